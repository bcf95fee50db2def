import Foundation
import XCTest
@testable import MIME

final class TransferEncodingTests: XCTestCase {
    func testBase64ToleratesWhitespaceJunkAndMissingPadding() {
        let want = Array("Hello, world!\n".utf8)
        for enc in ["SGVsbG8sIHdvcmxkIQo=", "SGVsbG8sIHdvcmxkIQo", "SGVs\r\nbG8s IHdv\tcmxk\nIQo=", "SGVs*bG8s!IHdvcmxkIQo=",
                    "SGVsbG8sIHdvcmxkIQo=junk after padding", " \r\nSGVsbG8sIHdvcmxkIQo=\r\n\r\n"] {
            XCTAssertEqual(Base64.decodeLenient(Array(enc.utf8)), want, enc)
        }
        XCTAssertEqual(Base64.decodeLenient(Array("QQ".utf8)), [0x41])
        XCTAssertEqual(Base64.decodeLenient(Array("QUI".utf8)), [0x41, 0x42])
        XCTAssertEqual(Base64.decodeLenient(Array("Q".utf8)), [])        // 6 bits make no byte
        XCTAssertEqual(Base64.decodeLenient([UInt8]()), [])
    }

    /// The streaming decoder, in any block size, gives the bytes of the whole decoder, for random data
    /// in 76-column CRLF lines with stray junk.
    func testBase64StreamingMatchesWhole() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<30 {
            let data = (0..<Int.random(in: 0...5000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var enc = Array(Data(data).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]).utf8)
            if round % 3 == 0, !enc.isEmpty { enc.insert(0x20, at: Int.random(in: 0..<enc.count, using: &rng)) }
            if round % 5 == 0 { while enc.last == 0x3D { enc.removeLast() } }
            XCTAssertEqual(Base64.decodeLenient(enc), data)
            for block in [3, 4, 7, 64, 1 << 16] {
                var out: [UInt8] = []
                let n = enc.withUnsafeBufferPointer { Base64.decode($0, blockSize: block) { out += $0 } }
                XCTAssertEqual(out, data, "block \(block)")
                XCTAssertEqual(n, data.count)
            }
            // A limit stops early.
            var limited: [UInt8] = []
            let n = enc.withUnsafeBufferPointer { Base64.decode($0, limit: 100, blockSize: 64) { limited += $0 } }
            XCTAssertEqual(limited, Array(data.prefix(100)))
            XCTAssertEqual(n, min(100, data.count))
        }
    }

    func testQuotedPrintableSoftBreaksAndBrokenEscapes() {
        let cases: [(String, String)] = [
            ("Caf=C3=A9", "Café"),
            ("soft=\r\nbreak", "softbreak"),
            ("soft=\nbreak", "softbreak"),
            ("soft=  \t\r\nbreak", "softbreak"),
            ("trailing=", "trailing"),
            ("bad =ZZ escape", "bad =ZZ escape"),
            ("half =4", "half =4"),
            ("lower =c3=a9", "lower é"),
            ("= space", "= space"),
            ("line\r\nbreak", "line\r\nbreak"),
        ]
        for (enc, want) in cases {
            XCTAssertEqual(String(decoding: QuotedPrintable.decode(Array(enc.utf8)), as: UTF8.self), want, enc)
        }
    }

    func testQuotedPrintableStreamingMatchesWhole() {
        var s = ""
        for i in 0..<3000 { s += "line \(i) caf=C3=A9 with a soft=\r\n break and =3D and a long run " + String(repeating: "x", count: i % 90) + "=\r\n\r\n" }
        s += String(repeating: "y=41", count: 40_000)   // one long line without breaks
        let enc = Array(s.utf8)
        let whole = QuotedPrintable.decode(enc)
        for block in [5, 100, 4096, 1 << 16] {
            var out: [UInt8] = []
            enc.withUnsafeBufferPointer { _ = QuotedPrintable.decode($0, blockSize: block) { out += $0 } }
            XCTAssertEqual(out, whole, "block \(block)")
        }
    }

    func testSevenBitEightBitBinaryAreIdentity() {
        for cte in ["7bit", "8bit", "binary", "x-unknown"] {
            let m = parse(bytes: Array("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: \(cte)\r\n\r\n".utf8) + [0x00, 0xFF, 0x0D, 0x0A, 0x41])
            XCTAssertEqual(m.attachments.first?.size, 5, cte)
            XCTAssertEqual(m.attachments.first?.sha256, SHA256.hex([0x00, 0xFF, 0x0D, 0x0A, 0x41] as [UInt8]), cte)
        }
    }

    /// Hashing in pieces of any size gives the one-shot digest; a copy taken midway
    /// finishes on its own (the libcrypto context is copied, not shared).
    func testIncrementalSHA256AgreesAndCopiesAreIndependent() {
        var rng = SystemRandomNumberGenerator()
        for len in [0, 1, 55, 56, 63, 64, 65, 1000, 100_000] {
            let data = (0..<len).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var a = SHA256.Hasher256()
            var midway: SHA256.Hasher256?
            var hashedAtMidway = 0
            var i = 0
            while i < data.count {
                let n = min(data.count - i, Int.random(in: 1...3000, using: &rng))
                data[i..<(i + n)].withUnsafeBytes { a.update($0) }
                i += n
                if midway == nil && i >= data.count / 2 { midway = a; hashedAtMidway = i }
            }
            XCTAssertEqual(a.finish(), SHA256.hash(data), "length \(len)")
            if var m = midway { XCTAssertEqual(m.finish(), SHA256.hash(data[..<hashedAtMidway]), "length \(len)") }
        }
    }
}
