import Foundation
import XCTest
@testable import MIME

/// Text whose charset is missing (or `us-ascii`) but whose bytes say otherwise (issue 14).
final class UndeclaredCharsetTests: XCTestCase {
    func message(_ headers: String, body: [UInt8] = Array("hello\r\n".utf8), subject: [UInt8]? = nil) -> Message {
        var bytes = Array("From: a@example.test\r\nTo: b@example.test\r\n".utf8)
        if let subject { bytes += Array("Subject: ".utf8) + subject + [0x0D, 0x0A] }
        bytes += Array(headers.utf8) + [0x0D, 0x0A] + body
        return MIMEParser().parse(bytes)
    }

    // Case 12 (zammad/zammad#6144): Outlook 16's `Content-Type: text/plain;` with no charset and
    // an ISO-2022-JP body. The escapes can only be ISO-2022-JP (RFC 1468).
    func testCase12ISO2022JPBodyWithoutCharset() throws {
        let url = Paths.repoRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/cases/12-iso2022jp-body-no-charset/input.eml")
        let bytes: [UInt8]
        if let data = try? Data(contentsOf: url) { bytes = [UInt8](data) } else {
            bytes = Array("From: Yamamoto <yamamoto@example.test>\r\nTo: sales@acme.test\r\nSubject: inquiry\r\nMIME-Version: 1.0\r\nContent-Type: text/plain;\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8)
                + Array("\u{1B}$B8+@Q$b$j$r$*4j$$$7$^$9!#\u{1B}(B\r\n\u{1B}$BG<4|$b$4O\"Mm$/$@$5$$!#\u{1B}(B\r\n\u{1B}$B;3K\\\u{1B}(B\r\n".utf8)
        }
        let m = MIMEParser().parse(bytes)
        XCTAssertEqual(m.text, "見積もりをお願いします。\n納期もご連絡ください。\n山本\n")
        XCTAssertTrue(m.defects.contains { $0.contains("ISO-2022-JP (its escape sequences)") }, "\(m.defects)")
    }

    func testUSASCIILabelledISO2022JPBody() {
        let m = message("Content-Type: text/plain; charset=us-ascii\r\n",
                        body: Array("\u{1B}$B;3K\\\u{1B}(B\r\n".utf8))
        XCTAssertEqual(m.text, "山本\n")
        XCTAssertTrue(m.defects.contains { $0.contains("labelled us-ascii read as ISO-2022-JP") }, "\(m.defects)")
    }

    func testISO2022KRBodyWithoutCharset() {
        let m = message("Content-Type: text/plain\r\n", body: [0x1B, 0x24, 0x29, 0x43, 0x0E] + Array(">H3gGO<<?d".utf8) + [0x0F, 0x0D, 0x0A])
        XCTAssertEqual(m.text, "안녕하세요\n")
    }

    func testISO2022CNBodyWithoutCharset() {
        // ESC $ ) A designates GB 2312 (RFC 1922); SO/SI shift into and out of it.
        let m = message("Content-Type: text/plain\r\n", body: [0x1B, 0x24, 0x29, 0x41, 0x0E, 0x44, 0x63, 0x3A, 0x43, 0x0F, 0x0D, 0x0A])
        XCTAssertEqual(m.text, "你好\n")
        XCTAssertTrue(m.defects.contains { $0.contains("ISO-2022-CN (its escape sequences)") }, "\(m.defects)")
    }

    func testISO2022JPInARawHeader() {
        let m = message("", subject: Array("\u{1B}$B8+@Q\u{1B}(B".utf8))
        XCTAssertEqual(m.subject, "見積")
        XCTAssertTrue(m.defects.contains { $0.contains("raw header text read as ISO-2022-JP") }, "\(m.defects)")
    }

    // "Formação" in a raw Latin-1 subject read through fallback_charset (gb18030) was "Forma玢o".
    func testLatin1WithEnoughAccentedTextIsDetected() {
        let body = "Olá, segue a informação sobre a formação de gestão. A sessão começará às nove horas na sala de reuniões; "
            + "não se esqueça da apresentação. Confirmação até sexta-feira, por favor. Atenção: a participação é obrigatória.\r\n"
            + "Lembramos também que a inscrição só será válida após a verificação dos dados pela secretaria acadêmica.\r\n"
        let m = message("Content-Type: text/plain\r\n", body: Array(body.data(using: .isoLatin1)!),
                        subject: Array("Formação".data(using: .isoLatin1)!))
        XCTAssertEqual(m.subject, "Formação")
        XCTAssertEqual(m.text, body.replacingOccurrences(of: "\r\n", with: "\n"))
        XCTAssertTrue(m.defects.contains { $0.contains("read as ISO-8859-1 (detected") }, "\(m.defects)")
        XCTAssertTrue(m.defects.contains("raw 8-bit bytes in the Subject header"), "\(m.defects)")
    }

    // A charset declared elsewhere in the message (the body of a message with raw 8-bit headers) wins.
    func testACharsetDeclaredInTheBodyReadsRawHeaders() {
        let m = message("Content-Type: text/plain; charset=iso-8859-1\r\n", body: Array("ol\u{E1}\r\n".utf8),
                        subject: Array("Formação".data(using: .isoLatin1)!))
        XCTAssertEqual(m.subject, "Formação")
        XCTAssertTrue(m.defects.contains { $0.contains("read as iso-8859-1 (declared elsewhere") }, "\(m.defects)")
    }

    func testACharsetDeclaredInAnotherPartReadsAnUnlabelledOne() {
        let body = "--b\r\nContent-Type: text/plain\r\n\r\nFormação\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<p>x</p>\r\n--b--\r\n"
        let m = message("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n",
                        body: Array(body.data(using: .isoLatin1)!))
        XCTAssertEqual(m.text, "Formação")
    }

    // Below 32 non-ASCII bytes the detector is not asked (uchardet 0.0.7 reads a two-character GBK
    // word as UTF-8, four characters as ISO-8859-7): 2–6-character subjects decode as before.
    func testShortGBKAndBig5SubjectsDecodeAsBefore() {
        XCTAssertEqual(message("", subject: [0xC4, 0xE3, 0xBA, 0xC3]).subject, "你好")
        XCTAssertEqual(message("", subject: [0xD6, 0xB0, 0xCE, 0xBB, 0xC9, 0xEA, 0xC7, 0xEB]).subject, "职位申请")
        XCTAssertEqual(message("", subject: [0xB9, 0xD8, 0xD3, 0xDA, 0xE9, 0x46, 0xD6, 0xFD, 0xB5, 0xC4, 0xB1, 0xA8, 0xBC, 0xDB]).subject, "关于镕铸的报价")
        // Big5 through the gb18030 fallback: exactly what it was before the detector.
        let big5: [UInt8] = [0xB7, 0x7C, 0xC4, 0xB3, 0xB3, 0x71, 0xAA, 0xBE]
        var d: [String] = []
        let before = big5.withUnsafeBufferPointer { TextDecoder.decode($0, kind: .iconv("GB18030"), name: "gb18030", defects: &d) }
        XCTAssertEqual(message("", subject: big5).subject, before)
        let m = message("", subject: [0xC4, 0xE3, 0xBA, 0xC3])
        XCTAssertTrue(m.defects.contains { $0.contains("read as gb18030 (fallback_charset)") }, "\(m.defects)")
    }

    func testDeclaredTextIsNotGuessed() {
        let m = message("Content-Type: text/plain; charset=utf-8\r\n", body: Array("Grüße\r\n".utf8))
        XCTAssertEqual(m.text, "Grüße\n")
        XCTAssertEqual(m.defects, [])
    }

    func testJunkFoldedAfterAValidDateIsADefect() {
        let m = message("Date: Wed, 20 May 2026 10:00:00 +0900\r\n junk from a broken mailer\r\n")
        XCTAssertNotNil(m.date)
        XCTAssertTrue(m.defects.contains { $0.hasPrefix("text after the Date's time zone") }, "\(m.defects)")
        XCTAssertEqual(message("Date: Wed, 20 May 2026 10:00:00 -0800 (PST)\r\n").defects, [])
        XCTAssertEqual(message("Date: Wed, 20 May 2026 10:00:00 -0800 PST\r\n").defects, [])
    }
}
