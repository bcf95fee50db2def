import XCTest
@testable import Routing

/// The multi-pattern matcher against a naive search: every occurrence, overlaps, case folding.
final class AhoCorasickTests: XCTestCase {
    /// Every (pattern, start) a one-pattern-at-a-time search finds, lower-cased ASCII.
    func naive(_ patterns: [String], _ text: String) -> [String] {
        let t = Array(text.utf8).map(AhoCorasick<Int>.fold)
        var out: [String] = []
        for (i, p) in patterns.enumerated() {
            let b = Array(p.utf8)
            guard !b.isEmpty, t.count >= b.count else { continue }
            for s in 0...(t.count - b.count) where Array(t[s..<s + b.count]) == b { out.append("\(i)@\(s)") }
        }
        return out.sorted()
    }

    func found(_ a: AhoCorasick<Int>, _ text: String) -> [String] {
        a.matches(in: text).map { "\($0.pattern)@\($0.start)" }.sorted()
    }

    func testClassicExampleFindsOverlapsAndSuffixes() {
        let p = ["he", "she", "his", "hers"]
        let a = AhoCorasick(p.enumerated().map { ($0.element, $0.offset) })
        XCTAssertEqual(found(a, "ushers"), ["0@2", "1@1", "3@2"])
        XCTAssertEqual(found(a, "ushers"), naive(p, "ushers"))
    }

    func testASCIICaseFoldsButOtherBytesDoNot() {
        let a = AhoCorasick([("mailbox is full", 1), ("réponse", 2)])
        XCTAssertEqual(a.matches(in: "550 MailBox Is FULL").map(\.pattern), [0])
        XCTAssertEqual(a.matches(in: "RÉPONSE").count, 0)
        XCTAssertEqual(a.matches(in: "Réponse").map(\.pattern), [1])
    }

    func testFirstMatchIsTheOneEndingFirst() {
        let a = AhoCorasick([("user unknown", "a"), ("unknown", "b"), ("quota", "c")])
        let m = a.firstMatch(in: "over quota; user unknown")
        XCTAssertEqual(m.map { a.patterns[$0.pattern].value }, "c")
        XCTAssertEqual(m?.start, 5)
        XCTAssertNil(a.firstMatch(in: "delivered"))
        XCTAssertTrue(a.containsAny(in: "UNKNOWN"))
    }

    /// Occurrences that end at the same byte come longest first, and a pattern given twice in
    /// the order given: callers that keep the first of them rely on it.
    func testOccurrencesEndingTogetherComeLongestFirstThenInPatternOrder() {
        let a = AhoCorasick([("c", 0), ("user unknown", 1), ("unknown", 2), ("unknown", 3), ("n", 4)])
        XCTAssertEqual(a.matches(in: "user unknown").filter { $0.end == 12 }.map(\.pattern), [1, 2, 3, 4])
    }

    func testAgreesWithNaiveSearchOnGeneratedText() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abc ")
        for _ in 0..<200 {
            let patterns = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                String((0..<Int.random(in: 1...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            }
            let text = String((0..<Int.random(in: 0...60, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let a = AhoCorasick(patterns.enumerated().map { ($0.element, $0.offset) })
            XCTAssertEqual(found(a, text), naive(patterns, text), "\(patterns) in \(text)")
        }
    }

    func testEmptyTextAndUnusedBytes() {
        let a = AhoCorasick([("x-unix; ", 0)])
        XCTAssertTrue(a.matches(in: "").isEmpty)
        XCTAssertTrue(a.matches(in: "\u{0}\u{ff}zz").isEmpty)
        XCTAssertEqual(a.matches(in: "Diagnostic-Code: X-Unix; 67").map(\.start), [17])
    }

    /// The scan that collapses whitespace as it reads finds what a scan of the flattened copy finds.
    func testFlatteningScanMatchesAScanOfTheFlattenedText() {
        let p = ["in reply to rcpt to command", "after data", " command", "rcpt to:"]
        let a = AhoCorasick(p.enumerated().map { ($0.element, $0.offset) })
        for text in ["  550 5.1.1 (in\n  reply to RCPT TO\tcommand)  ", "after\r\n\r\nDATA", "", " \t\n", "RCPT  TO: <a@b>"] {
            var streamed: [String] = []
            Array(text.utf8).withUnsafeBufferPointer { b in a.forEachMatch(flattening: b) { streamed.append("\($0.pattern)@\($0.start)") } }
            let flat = String(decoding: TextScan.flattened(text), as: UTF8.self)
            XCTAssertEqual(streamed.sorted(), found(a, flat), text)
        }
    }
}
