import Foundation
import XCTest
@testable import MIME

/// Hostile input ends in bounded time and memory with defects and a truncated but valid Message.
/// No timing thresholds: these assert that parsing returns, what it reports and what it keeps.
final class HostileInputTests: XCTestCase {
    func testTenThousandNestedMultiparts() throws {
        var s: [UInt8] = []
        for i in 0..<10_000 { s += Array("Content-Type: multipart/mixed; boundary=b\(i)\r\n\r\n--b\(i)\r\n".utf8) }
        s += Array("Content-Type: text/plain\r\n\r\ndeep\r\n".utf8)
        let m = parse(bytes: s)
        XCTAssertTrue(m.defects.contains { $0.contains("nesting deeper than 32") })
        XCTAssertLessThanOrEqual(m.root.map(depth) ?? 0, 33)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(m.jsonLine().utf8)))
    }

    func testManyPartsAreCut() {
        var s = Array("Content-Type: multipart/mixed; boundary=m\r\n\r\n".utf8)
        let part = Array("--m\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n".utf8)
        for _ in 0..<5000 { s += part }
        let m = parse(bytes: s)
        XCTAssertLessThanOrEqual(m.attachments.count, 2000)
        XCTAssertTrue(m.defects.contains { $0.contains("more than 2000 MIME parts") })
    }

    /// A 100 MB header (one endless field): cut at maxHeaderBytes, the rest is body; the decoded body is
    /// cut by maxDecodedBytes.
    func testHundredMegabyteHeader() {
        var s = [UInt8](repeating: UInt8(ascii: "a"), count: 100 << 20)
        let prefix = Array("Subject: ".utf8)
        s.replaceSubrange(0..<prefix.count, with: prefix)
        let options = ParserOptions(maxDecodedBytes: 8 << 20)
        let m = parse(bytes: s, options)
        XCTAssertTrue(m.defects.contains { $0.lowercased().contains("header") }, "\(m.defects)")
        XCTAssertLessThanOrEqual(m.subject?.utf8.count ?? 0, ParserOptions().maxLineLength)
        XCTAssertLessThanOrEqual(m.text?.utf8.count ?? 0, 8 << 20)
        XCTAssertTrue(m.defects.contains { $0.contains("decoded bytes") })
    }

    /// A 50 MB base64 body: streamed into its size and checksum, never held decoded.
    func testFiftyMegabyteBase64Body() {
        let head = Array("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
        let line = Array("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n".utf8)  // 76 chars → 57 bytes
        let lines = (50 << 20) / line.count
        var s = head
        s.reserveCapacity(head.count + lines * line.count)
        for _ in 0..<lines { s += line }
        let m = parse(bytes: s)
        XCTAssertEqual(m.attachments.count, 1)
        XCTAssertEqual(m.attachments.first?.size, lines * 57)
        XCTAssertEqual(m.attachments.first?.sha256.count, 64)
        // With a small budget: truncated, with a defect, still valid.
        let small = parse(bytes: s, ParserOptions(maxDecodedBytes: 1 << 20))
        XCTAssertEqual(small.attachments.first?.size, 1 << 20)
        XCTAssertTrue(small.defects.contains { $0.contains("decoded bytes") })
        XCTAssertEqual(small.attachments.first?.sha256, SHA256.hex([UInt8](repeating: 0, count: 1 << 20)))
    }

    func testLongHeaderLinesAreCut() {
        let m = parse("X-Long: " + String(repeating: "x", count: 5000) + "\r\nSubject: ok\r\n\r\nbody", ParserOptions(maxLineLength: 1000))
        XCTAssertEqual(m.header("X-Long")?.value.count, 1000)
        XCTAssertEqual(m.subject, "ok")
        XCTAssertTrue(m.defects.contains { $0.contains("longer than 1000") })
    }

    func depth(_ p: MIMEPart) -> Int { 1 + (p.children.map(depth).max() ?? 0) }
}
