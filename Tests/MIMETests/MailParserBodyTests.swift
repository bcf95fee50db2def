import Foundation
import XCTest
@testable import MIME

/// Bodies and attachments of mail-parser's corpus against its expected JSON, where the body models agree.
/// mail-parser (stalwartlabs) lists every text/html part it would show as `text_body`/`html_body` and may
/// count a part both as body and as attachment; Odoo's model (ours) does not. The messages where the two
/// readings differ are listed with the reason in Tests/Fixtures/mime/mailparser-body-differences.json;
/// every other message must agree on text, HTML and attachments (count, and size + SHA-256 of binary ones).
final class MailParserBodyTests: XCTestCase {
    /// mail-parser's reading in our terms; a body field is nil when mail-parser's reading of it cannot be
    /// compared (it converts between text and HTML where Odoo's model does not).
    struct Expected {
        var text: String??
        var html: String??
        /// Per attachment: nil for a part whose bytes mail-parser does not keep raw (text, message).
        var attachments: [(size: Int, sha256: String)?]
    }

    static func expected(_ json: [String: Any]) -> Expected {
        let parts = json["parts"] as? [[String: Any]] ?? []
        func body(_ i: Int) -> (kind: String, value: Any)? {
            guard i < parts.count, let b = parts[i]["body"] as? [String: Any], let k = b.keys.first else { return nil }
            return (k, b[k]!)
        }
        func join(_ idx: [Int], _ kind: String) -> String? {
            var out: [String] = []
            for i in idx {
                guard let b = body(i), b.kind == kind, let s = b.value as? String else { return nil }
                out.append(s)
            }
            return out.joined(separator: "\n")
        }
        let t = json["text_body"] as? [Int] ?? [], h = json["html_body"] as? [Int] ?? []
        var e = Expected(text: nil, html: nil, attachments: [])
        // text_body: only text parts → our text; none → no text (unless we render the HTML); HTML parts → not comparable.
        if t.isEmpty { e.text = .some(nil) } else if let s = join(t, "Text") { e.text = .some(s) }
        // html_body: only HTML parts → our html; only text parts (mail-parser's mirror of a text body) or none → no html.
        if h.isEmpty || join(h, "Text") != nil { e.html = .some(nil) } else if let s = join(h, "Html") { e.html = .some(s) }
        for i in json["attachments"] as? [Int] ?? [] {
            if let b = body(i), b.kind == "Binary" || b.kind == "InlineBinary", let bytes = b.value as? [Int] {
                let raw = bytes.map { UInt8(truncatingIfNeeded: $0) }
                e.attachments.append((raw.count, SHA256.hex(raw)))
            } else { e.attachments.append(nil) }
        }
        return e
    }

    static func norm(_ s: String?) -> String? {
        guard let s else { return nil }
        let lines = s.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let t = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    /// "text", "html", "attachments" → agree or not; a field mail-parser's reading cannot answer is left out.
    static func compare(_ m: Message, _ e: Expected) -> [String: Bool] {
        var out: [String: Bool] = [:]
        var attOK = m.attachments.count == e.attachments.count
        if attOK {
            for (a, x) in zip(m.attachments, e.attachments) {
                if let x, a.size != x.size || a.sha256 != x.sha256 { attOK = false }
            }
        }
        out["attachments"] = attOK
        if let t = e.text {
            // No text in mail-parser but HTML: we render the HTML as text, mail-parser does not count it.
            out["text"] = (t == nil && m.html != nil) ? true : norm(m.text) == norm(t)
        }
        if let h = e.html { out["html"] = norm(m.html) == norm(h) }
        return out
    }

    func testBodiesAndAttachmentsAgreeWithMailParser() throws {
        let dir = try Paths.corpus("mime/mailparser")
        let emls = Paths.files(in: dir, suffix: ".eml")
        XCTAssertEqual(emls.count, 53)
        let diffData = try Data(contentsOf: Paths.fixtures.appendingPathComponent("mailparser-body-differences.json"))
        let differences = try JSONSerialization.jsonObject(with: diffData) as? [String: [String: String]] ?? [:]
        var agree: [String: Int] = [:], deliberate: [String: Int] = [:], compared: [String: Int] = [:]
        var used: Set<String> = []
        var report: [String] = []
        for eml in emls {
            let rel = String(eml.path.dropFirst(dir.path.count + 1))
            let jsonURL = eml.deletingPathExtension().appendingPathExtension("json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any] ?? [:]
            let m = MIMEParser().parse([UInt8](try Data(contentsOf: eml)))
            let e = Self.expected(json)
            for (k, ok) in Self.compare(m, e).sorted(by: { $0.key < $1.key }) {
                compared[k, default: 0] += 1
                if ok { agree[k, default: 0] += 1; continue }
                if let reason = differences[rel]?[k] {
                    XCTAssertFalse(reason.isEmpty)
                    deliberate[k, default: 0] += 1
                    used.insert("\(rel) \(k)")
                } else {
                    report.append("\(rel) \(k): ours \(String(describing: k == "text" ? m.text : k == "html" ? m.html : "\(m.attachments.map { "\($0.contentType) \($0.size)" })").prefix(300)) mail-parser \(String(describing: k == "text" ? e.text ?? nil : k == "html" ? e.html ?? nil : "\(e.attachments.map { $0.map { "\($0.size)" } ?? "-" })").prefix(300))")
                }
            }
        }
        for r in report { XCTFail(r) }
        for (file, fs) in differences {
            for f in fs.keys where !used.contains("\(file) \(f)") {
                XCTFail("listed body difference \(file) \(f) no longer differs: remove it from mailparser-body-differences.json")
            }
        }
        print("mail-parser body agreement over \(emls.count) messages: "
              + ["text", "html", "attachments"].map { "\($0) \(agree[$0, default: 0])/\(compared[$0, default: 0]) comparable (\(deliberate[$0, default: 0]) listed differences)" }.joined(separator: ", "))
    }
}
