import Foundation
import XCTest
@testable import MIME

/// The charset fixtures of Tests/Fixtures/mime/charsets (made once by generate.py there): each
/// message's subject, addresses, body text and filename against the text it was made from.
final class CharsetFixtureTests: XCTestCase {
    func testCharsetFixtures() throws {
        let dir = Paths.fixtures.appendingPathComponent("charsets")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as! [String: [String: Any]]
        XCTAssertGreaterThan(expected.count, 30)
        for (file, want) in expected.sorted(by: { $0.key < $1.key }) {
            let m = MIMEParser().parse([UInt8](try Data(contentsOf: dir.appendingPathComponent(file))))
            if let s = want["subject"] as? String { XCTAssertEqual(m.subject, s, "\(file) subject") }
            if let t = want["text"] as? String { XCTAssertEqual(m.text, t, "\(file) text") }
            for (key, got) in [("from", m.from), ("to", m.to), ("cc", m.cc)] {
                guard let list = want[key] as? [[Any]] else { continue }
                let w = list.map { a in
                    Address(name: a[0] as? String, address: a[1] as? String, group: a.count > 2 ? a[2] as? String : nil)
                }
                XCTAssertEqual(got, w, "\(file) \(key)")
            }
            if let f = want["filename"] as? String {
                XCTAssertEqual(m.contentDisposition?.parameter("filename"), f, "\(file) filename")
            }
            if let n = want["name"] as? String {
                XCTAssertEqual(m.contentType?.parameter("name"), n, "\(file) name")
            }
            if let d = want["defects_contain"] as? String {
                XCTAssertTrue(m.defects.contains { $0.contains(d) }, "\(file): no defect containing \(d) in \(m.defects)")
            } else {
                XCTAssertEqual(m.defects, [], "\(file) defects")
            }
        }
    }

    func testLabelsResolveAsWHATWG() {
        let cases: [(String, CharsetDecoderKind)] = [
            ("gb2312", .iconv("GB18030")), ("GBK", .iconv("GB18030")), ("x-gbk", .iconv("GB18030")),
            ("gb_2312-80", .iconv("GB18030")), ("chinese", .iconv("GB18030")),
            ("iso-8859-1", .windows1252), ("US-ASCII", .windows1252), ("latin1", .windows1252),
            ("big5", .iconv("BIG5-HKSCS")), ("ks_c_5601-1987", .iconv("CP949")), ("euc-kr", .iconv("CP949")),
            ("shift_jis", .iconv("CP932")), ("sjis", .iconv("CP932")), ("euc-jp", .iconv("EUC-JP-MS")),
            ("iso-2022-jp", .iso2022jp), ("utf-7", .iconv("UTF-7")), ("koi8-r", .iconv("KOI8-R")),
            ("koi8-u", .iconv("KOI8-U")), ("tis-620", .iconv("WINDOWS-874")), ("windows-1251", .iconv("WINDOWS-1251")),
            (" \"UTF-8\" ", .utf8), ("utf_8", .utf8),
        ]
        for (label, kind) in cases { XCTAssertEqual(CharsetLabels.resolve(label), kind, label) }
        XCTAssertNil(CharsetLabels.resolve("x-unknown"))
    }

    func testWindows1252UndefinedBytesAndFastPaths() {
        var d: [String] = []
        XCTAssertEqual(TextDecoder.decode([0x80, 0x81, 0x93, 0x94, 0xE9], charset: "iso-8859-1", defects: &d), "€\u{81}“”é")
        XCTAssertEqual(TextDecoder.decode(Array("plain".utf8), charset: "gb2312", defects: &d), "plain")
        XCTAssertEqual(TextDecoder.decode(Array("plain".utf8), charset: "x-nonsense", defects: &d), "plain")
        XCTAssertEqual(d, [])
    }

    func testInvalidSequencesGiveOneReplacementEach() {
        var d: [String] = []
        // GBK lead byte followed by an invalid trail, then text.
        let s = TextDecoder.decode([0xD6, 0xEC, 0xFF, 0x41], charset: "gbk", defects: &d)
        XCTAssertEqual(s, "朱\u{FFFD}A")
        XCTAssertEqual(d.count, 1)
        d = []
        XCTAssertEqual(TextDecoder.decode([0x41, 0xC3], charset: "utf-8", defects: &d), "A\u{FFFD}")
        XCTAssertEqual(d.count, 1)
    }

    func testFallbackCharsetOption() {
        // Raw 8-bit Latin-1 header, with the fallback set to windows-1252.
        let raw: [UInt8] = Array("Subject: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        XCTAssertEqual(parse(bytes: raw, ParserOptions(fallbackCharset: "windows-1252")).subject, "café")
        // Default gb18030.
        let gbk: [UInt8] = Array("Subject: ".utf8) + Array([0xC4, 0xE3, 0xBA, 0xC3]) + Array("\r\n\r\n".utf8)
        XCTAssertEqual(parse(bytes: gbk).subject, "你好")
    }

    /// Valid UTF-8 that a double-byte fallback reads too: UTF-8 unless another decoded header of the
    /// same message is not UTF-8 (then the message comes from a legacy mailer).
    func testAmbiguousRawHeaders() {
        let zhi: [UInt8] = [0xD6, 0xB0] // 职 in GBK, U+05B0 in UTF-8
        let alone = parse(bytes: Array("From: ".utf8) + zhi + Array(" <z@example.cn>\r\n\r\n".utf8))
        XCTAssertEqual(alone.from.first?.name, "\u{05B0}")
        let withGBKSubject = parse(bytes: Array("From: ".utf8) + zhi + Array(" <z@example.cn>\r\nSubject: ".utf8)
                                    + [0xC4, 0xE3, 0xBA, 0xC3] + Array("\r\n\r\n".utf8))
        XCTAssertEqual(withGBKSubject.from.first?.name, "职")
        XCTAssertEqual(withGBKSubject.subject, "你好")
        // A single-byte fallback never overrides valid UTF-8.
        let latin = parse(bytes: Array("From: Zo\u{00EB} <z@example.com>\r\nSubject: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8),
                          ParserOptions(fallbackCharset: "windows-1252"))
        XCTAssertEqual(latin.from.first?.name, "Zoë")
        XCTAssertEqual(latin.subject, "café")
    }

    func testISO2022JPUnknownEscapeAndEightBitAreReplaced() {
        var d: [String] = []
        // ESC $ A (GB 2312, ISO-2022-JP-2 only) is not read; an 8-bit byte has no place in 7-bit JIS.
        let s = TextDecoder.decode([0x41, 0x1B, 0x24, 0x41, 0x42, 0xA4, 0x43], charset: "iso-2022-jp", defects: &d)
        XCTAssertEqual(s, "A\u{FFFD}$AB\u{FFFD}C")
        XCTAssertEqual(d.count, 1)
    }

    func testISO2022JPHalfWidthKatakanaAndJIS0212() {
        var d: [String] = []
        // ESC ( I half-width katakana "ｱ" (0x31), then ASCII.
        XCTAssertEqual(TextDecoder.decode([0x1B, 0x28, 0x49, 0x31, 0x1B, 0x28, 0x42, 0x41], charset: "iso-2022-jp", defects: &d), "ｱA")
        // ESC $ B 0x2D 0x21 = ① (NEC row 13), ESC $ B 0x30 0x21 = 亜.
        XCTAssertEqual(TextDecoder.decode([0x1B, 0x24, 0x42, 0x2D, 0x21, 0x30, 0x21, 0x1B, 0x28, 0x42], charset: "ISO-2022-JP", defects: &d), "①亜")
        XCTAssertEqual(d, [])
    }
}

final class IconvOnlyLabelTests: XCTestCase {
    /// Labels outside the WHATWG table that glibc knows are decoded by iconv, not by the fallback.
    func testNonWHATWGLabelThroughIconv() {
        var d: [String] = []
        XCTAssertEqual(TextDecoder.decode([0x82, 0x87], charset: "cp850", defects: &d), "éç")
        XCTAssertEqual(TextDecoder.decode([0x82], charset: "IBM437", defects: &d), "é")
        XCTAssertEqual(d, [])
        XCTAssertEqual(TextDecoder.decode([0xC4, 0xE3], charset: "no-such-charset", defects: &d), "你")
        XCTAssertEqual(d.count, 1)
    }
}
