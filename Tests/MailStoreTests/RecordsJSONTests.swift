import Foundation
import XCTest
@testable import MailStore

/// The records' JSON columns are written without Foundation's encoder (issue 13): the text
/// must stay byte for byte what `JSONEncoder` wrote, so rows of before and after compare alike.
final class RecordsJSONTests: XCTestCase {
    let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    func foundation(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }

    func testEveryASCIIByteAndSomeUnicodeAsJSONEncoderWritesThem() throws {
        var all = ""
        for b in 0..<0x80 { all.unicodeScalars.append(Unicode.Scalar(UInt8(b))) }
        let strings = [all, "é\u{2028}\u{2029}😀/", "", "a\u{301}", "<kijitora@example.jp>"]
        XCTAssertEqual(RecordsJSON.text(strings), try foundation(strings))
        XCTAssertEqual(RecordsJSON.text([String]()), try foundation([String]()))
        XCTAssertEqual(RecordsJSON.text([String: String]()), try foundation([String: String]()))
    }

    func testRandomListsAndMapsAsJSONEncoderWritesThem() throws {
        let pieces = ["a", "B", "é", "e\u{301}", "😀", "\"", "\\", "/", "\n", "\u{1}", "\u{7f}", " ", "z", "日本", "\t"]
        var rng = SystemRandomNumberGenerator()
        func word() -> String { (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
        for _ in 0..<500 {
            let list = (0..<Int.random(in: 0...5, using: &rng)).map { _ in word() }
            XCTAssertEqual(RecordsJSON.text(list), try foundation(list), "\(list)")
            var map: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &rng) { map[word()] = word() }
            XCTAssertEqual(RecordsJSON.text(map), try foundation(map), "\(map)")
        }
    }
}
