import Foundation
import XCTest
@testable import MIME

/// Mutated and hostile input: the parser never traps, always gives valid JSON, and stays linear.
final class RobustnessTests: XCTestCase {
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let tokens: [[UInt8]] = ["=?", "?=", "=?utf-8?B?", "=?gbk?Q?=D6", "?Q?", "<", ">", "\"", "(", ")", ":", ";", ",",
                                    "\r", "\n", "\r\n", "\\", "*0*=", "*1=", "'", "%", "%E6", "@", " ", "\t", "\u{1B}$B", "\u{1B}(B",
                                    "\r\n ", "\n\n", "Date: ", "From: ", "Content-Type: text/plain; charset=", "iso-2022-jp",
                                    "=?iso-2022-jp?B?GyRC?="].map { Array($0.utf8) } + [[0xFF], [0x80], [0xE4, 0xBD], [0x00]]

    func testMutatedCorpusNeverTraps() throws {
        let dirs = ["mime/mailparser/rfc", "mime/mailparser/malformed", "mime/mailparser/thirdparty", "mime/cpython"]
        var seeds: [[UInt8]] = []
        for d in dirs {
            for f in Paths.files(in: try Paths.corpus(d), suffix: d.hasSuffix("cpython") ? ".txt" : ".eml") {
                seeds.append(Array([UInt8](try Data(contentsOf: f)).prefix(3000)))
            }
        }
        for f in Paths.files(in: Paths.fixtures.appendingPathComponent("charsets"), suffix: ".eml") {
            seeds.append([UInt8](try Data(contentsOf: f)))
        }
        XCTAssertGreaterThan(seeds.count, 100)
        var rng = SplitMix64(state: 0x6D61_696C_6761_7465)
        let parser = MIMEParser()
        for iteration in 0..<3000 {
            var m = seeds[rng.below(seeds.count)]
            for _ in 0..<(1 + rng.below(8)) {
                let pos = rng.below(m.count + 1)
                switch rng.below(4) {
                case 0: if pos < m.count { m[pos] = UInt8(truncatingIfNeeded: rng.next()) }
                case 1: m.insert(contentsOf: Self.tokens[rng.below(Self.tokens.count)], at: pos)
                case 2: if pos < m.count { m.removeSubrange(pos..<min(m.count, pos + rng.below(40))) }
                default: m = Array(m.prefix(pos))
                }
            }
            let msg = parser.parse(m)
            let line = msg.jsonLine()
            guard (try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil else {
                XCTFail("invalid JSON at iteration \(iteration): \(line.prefix(200))")
                return
            }
        }
    }

    func testHostileHeadersStayLinear() {
        let start = Date()
        let n = 200_000
        let cases: [[UInt8]] = [
            Array("Subject: ".utf8) + Array(repeating: Array("=?a?q?x".utf8), count: n / 7).flatMap { $0 } + [0x0A, 0x0A],
            Array("To: ".utf8) + Array(repeating: UInt8(ascii: "("), count: n) + [0x0A, 0x0A],
            Array("To: \"".utf8) + Array(repeating: UInt8(ascii: "a"), count: n) + [0x0A, 0x0A],
            Array("To: ".utf8) + Array(repeating: Array("<a,".utf8), count: n / 3).flatMap { $0 } + [0x0A, 0x0A],
            Array("References: ".utf8) + Array(repeating: UInt8(ascii: "<"), count: n) + [0x0A, 0x0A],
            Array("Date: ".utf8) + Array(repeating: Array("1:".utf8), count: n / 2).flatMap { $0 } + [0x0A, 0x0A],
            Array("Content-Type: a/b".utf8) + Array(repeating: Array("; x*9*=%".utf8), count: n / 8).flatMap { $0 } + [0x0A, 0x0A],
            Array(repeating: Array("X: y\r\n".utf8), count: n / 6).flatMap { $0 },
            Array(repeating: Array(" folded\r\n".utf8), count: n / 9).flatMap { $0 },
        ]
        for c in cases {
            let m = MIMEParser().parse(c)
            XCTAssertLessThanOrEqual(m.defects.count, MIMEParser.maxDefects + 1)
        }
        // Linear work on ~2 MB of hostile headers takes well under a second in release; 60 s even in a
        // debug build on a loaded machine means something went quadratic.
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    func testParserIsUsableFromManyThreads() {
        let raw = [UInt8](try! Data(contentsOf: Paths.fixtures.appendingPathComponent("charsets/iso-2022-jp-circled.eml")))
        let gbk = [UInt8](try! Data(contentsOf: Paths.fixtures.appendingPathComponent("charsets/gbk-labelled-gb2312.eml")))
        let subjects = UnsafeMutableBufferPointer<String?>.allocate(capacity: 64)
        subjects.initialize(repeating: nil)
        defer { subjects.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let m = MIMEParser().parse(i % 2 == 0 ? raw : gbk)
            subjects[i] = m.subject
        }
        for i in 0..<64 {
            XCTAssertEqual(subjects[i], i % 2 == 0 ? "会議①と②について" : "朱镕基总理的讲话")
        }
    }
}
