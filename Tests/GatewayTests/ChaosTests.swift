import Foundation
import MIME
import MailStore
import TestSupport
import XCTest

/// A fixed subset of the fault suite (`Scripts/chaos` runs them all): a fault proxy between
/// mailgate and the test Dovecot cuts, resets, stalls or trickles the conversation of a poll of
/// three messages. After each: the poll ends with 0 or 75, nothing is flagged or deleted on
/// the server that the store has not committed, the next poll (no fault) completes, and the
/// store holds every message exactly once, routed once, with its bytes in the spool.
///
/// Offsets are in the phases of the plaintext conversation (`tls = "none"`, as Scripts/chaos
/// prints them): greeting 0–132, login ~150–330, SELECT ~380–700, SEARCH, sizes, the bodies
/// from ~1,000 to ~5,000, STORE and LOGOUT after; with TLS the first ~2,000 bytes are the
/// handshake. The exact numbers move with Dovecot's wording; each test is about its phase.
final class ChaosTests: XCTestCase {
    // Cuts, server to client, plaintext IMAP, every connection of the poll.
    func testCutBeforeTheGreeting() throws { try fault(.imap, "cut:s2c:0") }
    func testCutInsideTheGreeting() throws { try fault(.imap, "cut:s2c:40") }
    func testCutAfterTheGreeting() throws { try fault(.imap, "cut:s2c:132") }
    func testCutInsideTheLoginAnswer() throws { try fault(.imap, "cut:s2c:250") }
    func testCutInsideTheSelectAnswer() throws { try fault(.imap, "cut:s2c:500") }
    func testCutInsideTheSearchAnswer() throws { try fault(.imap, "cut:s2c:800") }
    func testCutInsideTheFirstLiteral() throws { try fault(.imap, "cut:s2c:1400") }
    func testCutInsideTheSecondLiteral() throws { try fault(.imap, "cut:s2c:3000") }
    func testCutInsideTheLastLiteral() throws { try fault(.imap, "cut:s2c:4700") }
    func testCutNearTheEnd() throws { try fault(.imap, "cut:s2c:5300") }
    func testResetInsideTheSecondLiteral() throws { try fault(.imap, "reset:s2c:2500") }
    func testResetInsideTheSelectAnswer() throws { try fault(.imap, "reset:s2c:450") }
    // Only the first connection: the poll's one retry reconnects and goes on.
    func testCutInsideALiteralThenTheRetryCompletes() throws { try fault(.imap, "cut:s2c:2000", every: false) }
    func testResetInTheBodiesThenTheRetryCompletes() throws { try fault(.imap, "reset:s2c:3500", every: false) }

    // Cuts, client to server.
    func testClientCutBeforeItsFirstCommand() throws { try fault(.imap, "cut:c2s:0") }
    func testClientCutInsideTheLogin() throws { try fault(.imap, "cut:c2s:30") }
    func testClientCutInsideSelect() throws { try fault(.imap, "cut:c2s:120") }
    func testClientCutInsideTheFetch() throws { try fault(.imap, "cut:c2s:260") }
    func testClientCutInsideTheStore() throws { try fault(.imap, "cut:c2s:330") }

    // TLS: the same phases in ciphertext.
    func testTLSCutInsideTheHandshake() throws { try fault(.imaps, "cut:s2c:700") }
    func testTLSCutAfterTheHandshake() throws { try fault(.imaps, "cut:s2c:2300") }
    func testTLSCutInsideTheBodies() throws { try fault(.imaps, "cut:s2c:5000") }
    func testTLSClientCutInsideTheHandshake() throws { try fault(.imaps, "cut:c2s:100") }
    func testTLSResetInsideTheBodies() throws { try fault(.imaps, "reset:s2c:4000", every: false) }

    // A message above the streaming threshold (4 MB) is written to the spool as it arrives; a
    // cut inside it once trapped ("closure argument was escaped in withoutActuallyEscaping block").
    func testCutInsideAStreamedLiteral() throws { try fault(.imap, "cut:s2c:2500000", sizes: [900, 5_000_000, 400]) }
    // Small messages are fetched (and committed, flagged) before large ones, so UID 2 (5 MB) sits
    // below UIDs 1 and 3 when the connection drops before it; it was once lost for good (later
    // polls searched above UID 3 only). The UIDNEXT saved now stays below it.
    func testCutBetweenTheSmallBatchAndTheStreamedMessage() throws {
        try fault(.imap, "cut:c2s:330", sizes: [900, 5_000_000, 400])
    }

    // Stalls that end, and one byte at a time.
    func testStallInsideALiteralThenResume() throws { try fault(.imap, "stall:s2c:2000:2") }
    func testTrickleTheWholeConversation() throws { try fault(.imap, "trickle:s2c:0") }
    func testTrickleTheClientSide() throws { try fault(.imap, "trickle:c2s:0") }

    // POP3.
    func testPOP3CutInsideTheListing() throws { try fault(.pop3, "cut:s2c:200") }
    func testPOP3CutInsideARetrieve() throws { try fault(.pop3, "cut:s2c:1500") }
    func testPOP3CutInsideTheDeletes() throws { try fault(.pop3, "cut:c2s:90") }
    func testPOP3TrickleTheWholeConversation() throws { try fault(.pop3, "trickle:s2c:0") }

    // MARK: - the check

    private func fault(_ proto: FetchFixture.Proto, _ spec: String, every: Bool = true, sizes: [Int] = [900, 2600, 400],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let dovecot = try Dovecot.require()
        let target: Int
        switch proto {
        case .imap: target = dovecot.imapPort
        case .imaps: target = dovecot.imapsPort
        case .pop3: target = dovecot.pop3Port
        case .pop3s: target = dovecot.pop3sPort
        }
        let proxy = try FaultProxy(target: target, fault: spec, everyConnection: every)
        defer { proxy.stop() }
        let plain = proto == .imap || proto == .pop3
        let f = try FetchFixture(proto, extra: plain ? "tls = \"none\"" : "", port: proxy.port)
        let messages = sizes.enumerated().map { f.dovecot.sampleMessage(index: $0.offset, size: $0.element) }
        try f.dovecot.deliver(user: f.user, messages: messages)
        let expected = Set(messages.map(crlf))

        let first = try f.fetch().run
        XCTAssert([0, 75].contains(first.exitCode), "\(spec): the faulty poll ended with \(first.exitCode): \(first.stderr)",
                  file: file, line: line)
        // Nothing acknowledged on the server that the store has not committed.
        let committed = try committedMessages(f)
        if proto == .imap || proto == .imaps {
            let flagged = flaggedMessages(f)
            XCTAssert(flagged.isSubset(of: committed), "\(spec): flagged \\Seen but not committed", file: file, line: line)
        } else {
            let left = Set(try f.dovecot.storedMessages(user: f.user).map(crlf))
            XCTAssert(expected.subtracting(left).isSubset(of: committed), "\(spec): deleted but not committed",
                      file: file, line: line)
        }

        try proxy.disarm()
        let second = try f.fetch().run
        XCTAssertEqual(second.exitCode, 0, "\(spec): the next poll: \(second.stderr)", file: file, line: line)
        // A message cut off inside its literal is failed: visible with its reason, retried
        // after its backoff. Time passes (it is made due) and one more poll fetches it.
        let failed = try Store(path: f.directory.path + "/mailgate.sqlite").rows(states: [.failed])
        XCTAssert(failed.allSatisfy { $0.lastError?.isEmpty == false }, "\(spec): a failed message without its reason",
                  file: file, line: line)
        if !failed.isEmpty {
            try f.makeRetriesDue()
            let retry = try f.fetch().run
            XCTAssertEqual(retry.exitCode, 0, "\(spec): the retry: \(retry.stderr)", file: file, line: line)
        }

        // Every message once, done, its bytes spooled, routed once; the server told.
        let store = try Store(path: f.directory.path + "/mailgate.sqlite")
        let rows: [SeenRow] = try store.rows(states: Set(SeenState.allCases)).filter { $0.sha256 != nil }
        XCTAssertEqual(rows.count, 3, "\(spec): seen rows \(rows.map { ($0.uid, $0.uidl, $0.state) })", file: file, line: line)
        XCTAssertEqual(Set(rows.compactMap(\.sha256)).count, rows.count, "\(spec): a message recorded twice", file: file, line: line)
        XCTAssert(rows.allSatisfy { $0.state == SeenState.done }, "\(spec): not all done", file: file, line: line)
        XCTAssertEqual(try f.spooledMessages(), expected, "\(spec): the spool", file: file, line: line)
        let everyRoute = ["new", "reply", "bounce", "duplicate", "loop", "refused", "catchall", "unrouted"]
        let routed: [Int64] = try store.messages(routes: everyRoute).compactMap { $0.seenID }
        XCTAssertEqual(routed.sorted(), rows.map(\.id).sorted(), "\(spec): each message routed once", file: file, line: line)
        if proto == .imap || proto == .imaps {
            XCTAssertEqual(f.dovecot.seenCount(user: f.user), 3, "\(spec): all flagged", file: file, line: line)
        } else {
            XCTAssertEqual(f.dovecot.messageCount(user: f.user), 0, "\(spec): all deleted", file: file, line: line)
        }
    }

    /// The raw bytes of every message with a committed row.
    private func committedMessages(_ f: FetchFixture) throws -> Set<Data> {
        let path = f.directory.path + "/mailgate.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let store = try Store(path: path)
        let shas = Set(try store.rows(states: Set(SeenState.allCases)).compactMap(\.sha256))
        return Set(try f.spooledMessages().filter { shas.contains(SHA256.hex([UInt8]($0))) })
    }

    /// The served bytes (CRLF) of each message flagged \Seen in the user's INBOX.
    private func flaggedMessages(_ f: FetchFixture) -> Set<Data> {
        let cur = f.dovecot.maildir(user: f.user) + "/cur"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cur)) ?? []
        return Set(names.filter { $0.split(separator: ":").last.map { $0.hasPrefix("2,") && $0.contains("S") } ?? false }
            .compactMap { FileManager.default.contents(atPath: cur + "/" + $0) }.map { crlf([UInt8]($0)) })
    }
}
