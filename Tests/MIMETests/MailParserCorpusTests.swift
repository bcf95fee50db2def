import Foundation
import XCTest
@testable import MIME

/// Every message of mail-parser's corpus parses, and its subject, addresses, date and ids agree with
/// mail-parser's expected JSON field by field, except the deliberate differences listed (with their
/// reasons) in Tests/Fixtures/mime/mailparser-differences.json.
final class MailParserCorpusTests: XCTestCase {
    static let fields = ["subject", "from", "sender", "reply_to", "to", "cc", "bcc", "date", "message_id", "in_reply_to", "references"]

    /// mail-parser's reading of the top-level header fields we compare, in our JSON's terms.
    static func expected(_ json: [String: Any]) -> [String: String] {
        let parts = json["parts"] as? [[String: Any]] ?? []
        let headers = parts.first?["headers"] as? [[String: Any]] ?? []
        var out: [String: String] = [:]
        for f in fields { out[f] = f == "subject" || f == "date" || f == "message_id" ? "null" : "[]" }
        var seen: Set<String> = []
        var lists: [String: [String]] = [:]
        for h in headers {
            guard let name = h["name"] as? String, fields.contains(name) else { continue }
            let first = !seen.contains(name)
            seen.insert(name)
            let value = h["value"]
            switch name {
            case "subject":
                if first { out[name] = ((value as? [String: Any])?["Text"] as? String).map { "\"\($0)\"" } ?? "null" }
            case "message_id":
                if first { out[name] = ((value as? [String: Any])?["Text"] as? String).map { "\"\($0)\"" } ?? "null" }
            case "in_reply_to", "references":
                var ids: [String] = []
                if let v = value as? [String: Any] {
                    if let t = v["Text"] as? String { ids = [t] }
                    if let l = v["TextList"] as? [String] { ids = l }
                }
                lists[name, default: []] += ids.map { "\"\($0)\"" }
            case "date":
                if first {
                    if let dt = (value as? [String: Any])?["DateTime"] as? [String: Any] {
                        let i = { (k: String) in dt[k] as? Int ?? 0 }
                        let offset = (i("tz_hour") * 60 + i("tz_minute")) * ((dt["tz_before_gmt"] as? Bool ?? false) ? -1 : 1)
                        let local = DateParser.daysFromCivil(i("year"), i("month"), i("day")) * 86400
                            + Int64(i("hour") * 3600 + i("minute") * 60 + i("second"))
                        out[name] = DateParser.iso8601(local - Int64(offset * 60))
                    } else {
                        out[name] = "null"
                    }
                }
            default: // addresses
                guard first || ["to", "cc", "bcc"].contains(name) else { continue }
                var addrs: [String] = []
                if let a = (value as? [String: Any])?["Address"] as? [String: Any] {
                    if let list = a["List"] as? [[String: Any]] {
                        addrs = list.map { pair($0["name"] as? String, $0["address"] as? String) }
                    }
                    if let groups = a["Group"] as? [[String: Any]] {
                        for g in groups {
                            for m in g["addresses"] as? [[String: Any]] ?? [] {
                                addrs.append(pair(m["name"] as? String, m["address"] as? String))
                            }
                        }
                    }
                }
                lists[name, default: []] += addrs
            }
        }
        for (k, v) in lists { out[k] = "[" + v.joined(separator: ", ") + "]" }
        return out
    }

    static func pair(_ name: String?, _ address: String?) -> String {
        "(\(name ?? "nil"), \(address ?? "nil"))"
    }

    static func ours(_ m: Message) -> [String: String] {
        func strip(_ id: String) -> String {
            var s = Substring(id)
            if s.hasPrefix("<") { s = s.dropFirst() }
            if s.hasSuffix(">") { s = s.dropLast() }
            return "\"\(s)\""
        }
        func addrs(_ a: [Address]) -> String { "[" + a.map { pair($0.name, $0.address) }.joined(separator: ", ") + "]" }
        return [
            "subject": m.subject.map { "\"\($0)\"" } ?? "null",
            "from": addrs(m.from), "sender": addrs(m.sender), "reply_to": addrs(m.replyTo),
            "to": addrs(m.to), "cc": addrs(m.cc), "bcc": addrs(m.bcc),
            "date": m.dateISO8601 ?? "null",
            "message_id": m.messageID.map(strip) ?? "null",
            "in_reply_to": "[" + m.inReplyTo.map(strip).joined(separator: ", ") + "]",
            "references": "[" + m.references.map(strip).joined(separator: ", ") + "]",
        ]
    }

    func testAgreesWithMailParser() throws {
        let dir = try Paths.corpus("mime/mailparser")
        let emls = Paths.files(in: dir, suffix: ".eml")
        XCTAssertEqual(emls.count, 53, "mail-parser corpus not found at \(dir.path)")
        let diffData = try Data(contentsOf: Paths.fixtures.appendingPathComponent("mailparser-differences.json"))
        let differences = try JSONSerialization.jsonObject(with: diffData) as? [String: [String: String]] ?? [:]
        var agree: [String: Int] = [:]
        var deliberate: [String: Int] = [:]
        var usedDifferences: Set<String> = []
        for eml in emls {
            let rel = String(eml.path.dropFirst(dir.path.count + 1))
            let jsonURL = eml.deletingPathExtension().appendingPathExtension("json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any] ?? [:]
            let m = MIMEParser().parse([UInt8](try Data(contentsOf: eml)))
            let want = Self.expected(json)
            let got = Self.ours(m)
            for f in Self.fields {
                if want[f] == got[f] {
                    agree[f, default: 0] += 1
                } else if let reason = differences[rel]?[f] {
                    deliberate[f, default: 0] += 1
                    usedDifferences.insert("\(rel) \(f)")
                    XCTAssertFalse(reason.isEmpty)
                } else {
                    XCTFail("\(rel) \(f): mail-parser \(want[f]!) but we read \(got[f]!)")
                }
            }
        }
        for (file, fs) in differences {
            for f in fs.keys where !usedDifferences.contains("\(file) \(f)") {
                XCTFail("listed difference \(file) \(f) no longer differs: remove it from mailparser-differences.json")
            }
        }
        let summary = Self.fields.map { f in
            "\(f) \(agree[f, default: 0])/\(emls.count)" + (deliberate[f].map { " (\($0) deliberate)" } ?? "")
        }.joined(separator: ", ")
        print("mail-parser agreement: \(summary)")
    }

    /// CRLF, bare LF and bare CR versions of each message read the same.
    func testLineEndingVariantsAgree() throws {
        let dir = try Paths.corpus("mime/mailparser")
        let emls = Paths.files(in: dir, suffix: ".eml") + Paths.files(in: try Paths.corpus("mime/cpython"), suffix: ".txt")
        XCTAssertGreaterThan(emls.count, 90)
        for eml in emls {
            let raw = [UInt8](try Data(contentsOf: eml))
            var lf: [UInt8] = []
            var i = 0
            while i < raw.count {
                if raw[i] == 0x0D { lf.append(0x0A); i += (i + 1 < raw.count && raw[i + 1] == 0x0A) ? 2 : 1 } else { lf.append(raw[i]); i += 1 }
            }
            let crlf = lf.flatMap { $0 == 0x0A ? [UInt8(0x0D), 0x0A] : [$0] }
            let cr = lf.map { $0 == 0x0A ? UInt8(0x0D) : $0 }
            // Attachments keep their bytes as they are (a 7bit attachment differs with its line endings):
            // everything but their size and checksum must agree.
            func reading(_ bytes: [UInt8]) -> String {
                var m = MIMEParser().parse(bytes)
                for i in m.attachments.indices { m.attachments[i].size = 0; m.attachments[i].sha256 = "" }
                return m.jsonLine()
            }
            let a = reading(lf)
            XCTAssertEqual(a, reading(crlf), "CRLF differs: \(eml.lastPathComponent)")
            XCTAssertEqual(a, reading(cr), "CR differs: \(eml.lastPathComponent)")
        }
    }

    /// Every CPython test message parses; most have a From and a Date.
    func testCPythonCorpusParses() throws {
        let files = Paths.files(in: try Paths.corpus("mime/cpython"), suffix: ".txt")
        XCTAssertEqual(files.count, 48)
        var withFrom = 0, withDate = 0, withSubject = 0
        for f in files {
            let m = MIMEParser().parse([UInt8](try Data(contentsOf: f)))
            // msg_19 is a bare body without headers: it reads as one, with a defect.
            XCTAssertTrue(!m.headers.isEmpty || m.defects.contains { $0.contains("missing empty line") }, f.lastPathComponent)
            if !m.from.isEmpty { withFrom += 1 }
            if m.dateEpochSeconds != nil { withDate += 1 }
            if m.subject != nil { withSubject += 1 }
            // The JSON line is valid JSON with every key.
            let obj = try JSONSerialization.jsonObject(with: Data(m.jsonLine().utf8)) as? [String: Any]
            XCTAssertEqual(obj?.count, 16, f.lastPathComponent)
        }
        print("cpython corpus: \(files.count) parsed, from \(withFrom), date \(withDate), subject \(withSubject)")
        XCTAssertGreaterThan(withFrom, 30)
    }
}
