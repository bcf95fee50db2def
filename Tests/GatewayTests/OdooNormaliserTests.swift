import Foundation
import MIME
import TestSupport
import XCTest
@testable import Gateway

/// The pre-push normalisation: what Odoo (Python's `email`) reads from the normalised message is
/// what `mailgate parse --json` reads from the original.
final class OdooNormaliserTests: XCTestCase {
    let parser = MIMEParser(options: ParserOptions(fallbackCharset: "gb18030"))
    var normaliser: OdooNormaliser { OdooNormaliser(parser: parser) }

    func testAValidUnambiguousMessageGoesByteForByte() {
        let raw = Array("Message-ID: <a@b>\r\nSubject: caf\u{e9} \u{4e2d}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nh\u{e9}\r\n".utf8)
        XCTAssertEqual(normaliser.normalise(raw, addingMessageID: "<x@y>"), raw)
        let ascii = Array("Message-ID: <a@b>\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\n\r\nplain\r\n".utf8)
        XCTAssertEqual(normaliser.normalise(ascii), ascii)
    }

    func testAMissingMessageIDIsAdded() {
        let raw = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        XCTAssertEqual(normaliser.normalise(raw, addingMessageID: "<abc@mailgate.invalid>"),
                       Array("Message-ID: <abc@mailgate.invalid>\r\nSubject: x\r\n\r\nbody\r\n".utf8))
    }

    func testRawLegacyHeadersAndUndeclaredTextBecomeUTF8() {
        let raw: [UInt8] = Array("Subject: ".utf8) + [0xB2, 0xE2, 0xCA, 0xD4] + Array("\r\nFrom: \"".utf8) + [0xD5, 0xC5, 0xC8, 0xFD]
            + Array("\" <z@x.cn>\r\nContent-Type: text/plain\r\n\r\n".utf8) + [0xC4, 0xE3, 0xBA, 0xC3] + Array("\r\n".utf8)
        let out = normaliser.normalise(raw)
        XCTAssertNotNil(String(validatingUTF8: out.map { CChar(bitPattern: $0) } + [0]), "valid UTF-8")
        let text = String(decoding: out, as: UTF8.self)
        XCTAssertTrue(text.contains("Subject: 测试\r\n"))
        XCTAssertTrue(text.contains("From: \"张三\" <z@x.cn>"))
        XCTAssertTrue(text.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        XCTAssertTrue(text.contains("\r\n\r\n你好\r\n"))
        let reread = parser.parse(out)
        XCTAssertEqual(reread.subject, "测试")
        XCTAssertEqual(reread.from.first?.name, "张三")
        XCTAssertEqual(reread.text?.trimmingCharacters(in: .whitespacesAndNewlines), "你好")
    }

    func testBase64TextPartsStayBase64AndEmbeddedMessagesAreDecoded() {
        let latin1Base64 = "aOlsbG8=" // "héllo" in ISO-8859-1
        let inner = "Subject: inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n\(latin1Base64)\r\n"
        let innerB64 = Data(inner.utf8).base64EncodedString()
        let raw = Array("""
            Subject: outer\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain; charset=iso-8859-1\r
            Content-Transfer-Encoding: base64\r
            \r
            \(latin1Base64)\r
            --b\r
            Content-Type: message/rfc822\r
            Content-Transfer-Encoding: base64\r
            \r
            \(innerB64)\r
            --b--\r

            """.utf8)
        let out = normaliser.normalise(raw)
        let text = String(decoding: out, as: UTF8.self)
        XCTAssertTrue(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naMOpbGxv"), text)
        XCTAssertTrue(text.contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSubject: inner"), text)
        XCTAssertEqual(parser.parse(out).text?.trimmingCharacters(in: .whitespacesAndNewlines), "héllo")
    }

    /// Over the whole shared corpus: Python's reading of the normalised message agrees with
    /// Mailgate's reading of the original wherever it agreed before, and more often.
    func testPythonReadsTheNormalisedCorpusAsMailgateReadsTheOriginal() throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
        let corpus = shared.appendingPathComponent("corpus").path, oracle = shared.appendingPathComponent("tools/email_oracle.py").path
        guard FileManager.default.fileExists(atPath: oracle) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail("../shared/corpus is missing") }
            throw XCTSkip("../shared is absent: the corpus property is not checked")
        }
        let files = (FileManager.default.enumerator(atPath: corpus)?.allObjects as? [String] ?? [])
            .filter { !$0.hasSuffix(".json") && !$0.hasSuffix(".md") }
            .filter { var dir: ObjCBool = false; return FileManager.default.fileExists(atPath: corpus + "/" + $0, isDirectory: &dir) && !dir.boolValue }
            .sorted()
        XCTAssertGreaterThan(files.count, 300)
        let temp = try TemporaryDirectory(prefix: "mailgate-normalise")
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.file("original"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: temp.file("normalised"), withIntermediateDirectories: true)
        var mailgate: [String: [String: Any]] = [:]
        var unchanged = 0
        for (n, file) in files.enumerated() {
            let raw = Array(try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + file)))
            let name = String(format: "%04d.eml", n)
            let out = normaliser.normalise(raw)
            if out == raw { unchanged += 1 }
            XCTAssertTrue(String(validatingUTF8: out.map { CChar(bitPattern: $0) } + [0]) != nil || out.contains(0),
                          "\(file): the normalised message is not UTF-8")
            try Data(raw).write(to: URL(fileURLWithPath: temp.file("original/" + name)))
            try Data(out).write(to: URL(fileURLWithPath: temp.file("normalised/" + name)))
            let json = parser.parse(raw).jsonObject.serialized()
            mailgate[name] = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        }
        let before = try readings(oracle, temp.file("original"))
        let after = try readings(oracle, temp.file("normalised"))
        var agreedBefore = 0, agreedAfter = 0, broken: [String] = []
        for (name, expected) in mailgate.sorted(by: { $0.key < $1.key }) {
            for field in Self.fields {
                let want = Self.value(field, mailgate: expected)
                let old = before[name].map { Self.value(field, oracle: $0) }
                let new = after[name].map { Self.value(field, oracle: $0) }
                if old == want { agreedBefore += 1 }
                if new == want { agreedAfter += 1 }
                if new != want, ProcessInfo.processInfo.environment["MG_DEBUG_NORMALISE"] != nil {
                    print("DIFF \(files[Int(name.prefix(4))!]) \(field): python=\((new ?? "nil").prefix(120).debugDescription) mailgate=\(want.prefix(120).debugDescription)")
                }
                if old == want && new != want { broken.append("\(files[Int(name.prefix(4))!]) \(field): \(new ?? "nil") ≠ \(want)") }
            }
        }
        print("normaliser over \(files.count) corpus messages: \(unchanged) sent byte for byte; "
              + "fields where Python agrees with Mailgate: \(agreedBefore) before, \(agreedAfter) after")
        XCTAssertEqual(broken, [], "normalisation must never make Odoo read a field differently from Mailgate")
        XCTAssertGreaterThanOrEqual(agreedAfter, agreedBefore)
    }

    static let fields = ["subject", "from", "to", "text", "attachments"]

    /// A field as comparable text: names and addresses, LF bodies without trailing space, attachment names and digests.
    static func value(_ field: String, mailgate m: [String: Any]) -> String { value(field, m) }
    static func value(_ field: String, oracle o: [String: Any]) -> String { value(field, o) }

    private static func value(_ field: String, _ o: [String: Any]) -> String {
        switch field {
        case "from", "to":
            let list = o[field] as? [[String: Any]] ?? []
            return list.map { "\($0["name"] as? String ?? "")|\(($0["address"] as? String ?? "").lowercased())" }.joined(separator: ",")
        case "text":
            let text = (o["text"] as? String ?? "").replacingOccurrences(of: "\r\n", with: "\n")
            return text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
                .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        case "attachments":
            let list = o["attachments"] as? [[String: Any]] ?? []
            return list.filter { ($0["regenerated"] as? Bool) != true && !(($0["content_type"] as? String ?? "").hasPrefix("message/")) }
                .map { "\($0["filename"] as? String ?? "")|\($0["sha256"] as? String ?? "")" }.sorted().joined(separator: ",")
        default:
            return (o[field] as? String) ?? ""
        }
    }

    /// `email_oracle.py DIR` → file name → its reading.
    private func readings(_ oracle: String, _ directory: String) throws -> [String: [String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", oracle, directory]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var result: [String: [String: Any]] = [:]
        for line in data.split(separator: 10) {
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let file = object["file"] as? String else { continue }
            result[URL(fileURLWithPath: file).lastPathComponent] = object
        }
        return result
    }
}
