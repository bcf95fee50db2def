import Foundation
import MIME
import TestSupport
import XCTest
@testable import Routing

/// The cheap header look (`BounceClassifier.mayBeReport`) that lets ordinary mail skip every
/// text scan: it must never turn a bounce away. Checked on every message of the shared bounce
/// corpus, the text-only reports of case 23 and the hand-written fixtures.
final class BouncePretestTests: XCTestCase {
    func messages(in dir: URL, matching keep: (String) -> Bool = { $0.hasSuffix(".eml") }) throws -> [(String, Message)] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter(keep).sorted().map {
            ($0, MIMEParser().parse(try [UInt8](Data(contentsOf: dir.appendingPathComponent($0)))))
        }
    }

    func testNoBounceOfTheCorpusIsTurnedAway() throws {
        let corpus = try messages(in: try SharedCorpus.require("corpus/bounces"))
        XCTAssertEqual(corpus.count, 293)
        for (name, m) in corpus { XCTAssertTrue(BounceClassifier.mayBeReport(m), name) }
    }

    func testTextOnlyReportsOfCase23AndTheFixturesPass() throws {
        let cases = try SharedCorpus.require("cases")
        let case23 = try FileManager.default.contentsOfDirectory(atPath: cases.path).filter { $0.hasPrefix("23-") }
        XCTAssertFalse(case23.isEmpty)
        var all = try messages(in: BounceFixtureTests.fixtures)
        for c in case23 { all += try messages(in: cases.appendingPathComponent(c)) }
        for (name, m) in all { XCTAssertTrue(BounceClassifier.mayBeReport(m), name) }
    }

    func testOrdinaryMailIsTurnedAway() {
        let m = MIMEParser().parse(Array("""
            From: Ann <ann@example.com>\r
            To: sales@acme.test\r
            Subject: Quote for 40 chairs\r
            \r
            Hello, could you send a quote? The last delivery failed to arrive on time.\r

            """.utf8))
        XCTAssertFalse(BounceClassifier.mayBeReport(m))
    }
}
