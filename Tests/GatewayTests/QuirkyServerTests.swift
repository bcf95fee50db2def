import Foundation
import MIME
import MailStore
import TestSupport
import XCTest

/// Every listed message accounted for, against servers that answer the way deployed ones
/// were reported to (../shared/cases 25, 26, 32 and their kind): each message ends recorded,
/// skipped (too large), failed (kept, retried, quarantined) or dropped (verifiably gone);
/// never silently lost, never flagged on the server before it is committed.
final class QuirkyServerTests: XCTestCase {
    private let lead = scriptedMessage("lead-7")
    private let second = scriptedMessage("lead-8", subject: "Second request")
    private let third = scriptedMessage("lead-9", subject: "Third request")

    private func assertRecorded(_ uid: UInt32, _ message: [UInt8], in fixture: ScriptedIMAPFixture,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let row = try XCTUnwrap(try fixture.rows()[uid], "UID \(uid) has a seen row", file: file, line: line)
        XCTAssertEqual(row.sha256, SHA256.hex(servedCRLF(message)), "UID \(uid) stored byte for byte", file: file, line: line)
        XCTAssertEqual(row.state, .done, file: file, line: line)
    }

    /// Case 25 (jakartaee/mail-api#209): qq.com's "(UID 7 RFC822.SIZE 279 )" and a space
    /// before the closing parenthesis after the body.
    func testQQStraySpacesAreRead() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead], quirks: ["trailing-space": [:]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1)
        try assertRecorded(7, lead, in: fixture)
        XCTAssertEqual(try fixture.serverState().seen, [7])
    }

    /// Case 26 (imapsync#79): "* 1 FETCH (UID 7 BODY[] NIL)" for a message the server lists.
    /// It is failed (not flagged, visible, with the server's words), fetched again once due,
    /// and recorded when the server serves it.
    func testNilBodyIsFailedThenFetchedAgain() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second], quirks: ["body-nil": ["uid": 7, "times": 1]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1)
        XCTAssertEqual(report["failed"] as? Int, 1)
        XCTAssertTrue((report["notices"] as? [String])?.first?.contains("NIL") == true, "\(report)")
        let failed = try XCTUnwrap(try fixture.rows()[7])
        XCTAssertEqual(failed.state, .failed)
        XCTAssertNil(failed.sha256)
        XCTAssertEqual(failed.attempts, 1)
        XCTAssertNotNil(failed.nextAttemptAt)
        XCTAssertTrue(failed.lastError?.contains("BODY[] NIL") == true, failed.lastError ?? "")
        XCTAssertEqual(try fixture.serverState().seen, [8], "nothing is flagged that is not stored")

        // Not due yet: the next poll is one SELECT (UIDNEXT has not moved).
        let fetchesBefore = try fixture.serverState().commands.filter { $0.contains("BODY.PEEK") }.count
        let quiet = try fixture.fetch()
        XCTAssertEqual(quiet.report["fetched"] as? Int, 0)
        XCTAssertEqual(try fixture.serverState().commands.filter { $0.contains("BODY.PEEK") }.count, fetchesBefore)

        try fixture.makeRetriesDue()
        let again = try fixture.fetch()
        XCTAssertEqual(again.run.exitCode, 0, again.run.stderr)
        XCTAssertEqual(again.report["fetched"] as? Int, 1, "fetched again although UIDNEXT has not moved")
        XCTAssertEqual(try fixture.serverState().commands.filter { $0.contains("BODY.PEEK") }.count, fetchesBefore + 1)
        try assertRecorded(7, lead, in: fixture)
        XCTAssertEqual(try fixture.serverState().seen, [7, 8])
        let threads = try fixture.mailgate("threads", "--json")
        XCTAssertEqual(threads.stdout.split(separator: "\n").count, 2, "each message routed once: \(threads.stdout)")
    }

    /// Case 32 (Mailpile#1080): the size FETCH has no RFC822.SIZE; the body is asked for anyway.
    func testMissingSizeIsFetchedAnyway() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second], quirks: ["size-missing": [:]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 2)
        try assertRecorded(7, lead, in: fixture)
        try assertRecorded(8, second, in: fixture)
    }

    /// One message that fails every time ends quarantined, listed with its error in
    /// `status`, and does not hold the mailbox; `replay --quarantined` fetches it again over
    /// a session once the server serves it.
    func testAMessageThatAlwaysFailsIsQuarantinedAndReplayed() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second], quirks: ["body-nil": ["uid": 7, "times": 2]],
                                              extra: "max_attempts = 2")
        XCTAssertEqual(try fixture.fetch().report["fetched"] as? Int, 1)
        try fixture.makeRetriesDue()
        let last = try fixture.fetch()
        XCTAssertEqual(last.report["failed"] as? Int, 1)
        XCTAssertTrue((last.report["notices"] as? [String])?.first?.contains("quarantined") == true, "\(last.report)")
        XCTAssertEqual(try fixture.rows()[7]?.state, .quarantined)

        let status = try fixture.mailgate("status")
        XCTAssertTrue(status.stdout.contains("quarantined 1"), status.stdout)
        XCTAssertTrue(status.stdout.contains("UID 7 quarantined"), status.stdout)
        XCTAssertTrue(status.stdout.contains("BODY[] NIL"), status.stdout)
        let json = try fixture.mailgate("status", "--json")
        XCTAssertTrue(json.stdout.contains("\"problems\":[{"), json.stdout)

        // A quarantined message is not fetched again by itself…
        try fixture.makeRetriesDue()
        XCTAssertEqual(try fixture.fetch().report["fetched"] as? Int, 0)
        // …but replay fetches it now (the server serves it by now).
        let replay = try fixture.mailgate("replay", "--quarantined")
        XCTAssertEqual(replay.exitCode, 0, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.contains("fetched again"), replay.stdout)
        try assertRecorded(7, lead, in: fixture)
    }

    /// A literal claiming 1 GB is never drained: the connection is closed, the message is
    /// recorded skipped (reported once), and the poll reconnects for the rest.
    func testALiteralLargerThanTheLimitIsSkippedAndThePollGoesOn() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second, 9: third],
                                              quirks: ["literal-lies": ["uid": 8, "claim": 1 << 30]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["skipped"] as? Int, 1)
        XCTAssertEqual(report["fetched"] as? Int, 2)
        XCTAssertEqual(try fixture.rows()[8]?.state, .skipped)
        XCTAssertTrue(try fixture.rows()[8]?.lastError?.contains("1073741824") == true)
        try assertRecorded(7, lead, in: fixture)
        try assertRecorded(9, third, in: fixture)
        let state = try fixture.serverState()
        XCTAssertEqual(state.seen, [7, 9])
        XCTAssertEqual(state.sessions, 2, "one reconnection")
        let again = try fixture.fetch()
        XCTAssertEqual(again.report["skipped"] as? Int, 0, "reported once")
    }

    /// The connection ends inside a literal: the messages before it are kept, the one being
    /// read is failed (retried later), the rest is fetched over a new connection.
    func testAConnectionLostInsideALiteralFailsThatMessageOnly() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second, 9: third],
                                              quirks: ["drop-in-literal": ["uid": 8, "times": 1]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 2)
        XCTAssertEqual(report["failed"] as? Int, 1)
        XCTAssertEqual(try fixture.rows()[8]?.state, .failed)
        try assertRecorded(7, lead, in: fixture)
        try assertRecorded(9, third, in: fixture)
        try fixture.makeRetriesDue()
        XCTAssertEqual(try fixture.fetch().report["fetched"] as? Int, 1)
        try assertRecorded(8, second, in: fixture)
        XCTAssertEqual(try fixture.serverState().seen, [7, 8, 9])
    }

    /// A message expunged between the search and the body fetch is dropped only once a fresh
    /// UID SEARCH shows it gone, and that is said.
    func testAMessageExpungedMeanwhileIsDroppedAfterASearch() throws {
        for quirk in ["expunged-on-fetch", "expungeissued"] {
            let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second, 9: third], quirks: [quirk: ["uid": 8]])
            let (run, report) = try fixture.fetch()
            XCTAssertEqual(run.exitCode, 0, quirk + run.stdout + run.stderr)
            XCTAssertEqual(report["dropped"] as? Int, 1, quirk)
            XCTAssertTrue((report["notices"] as? [String])?.first?.contains("no longer on the server") == true, "\(report)")
            XCTAssertNil(try fixture.rows()[8], quirk)
            try assertRecorded(7, lead, in: fixture)
            if quirk == "expunged-on-fetch" { try assertRecorded(9, third, in: fixture) }
            XCTAssertTrue(try fixture.serverState().commands.contains { $0.hasPrefix("UID SEARCH") && $0.contains("UID 8") }, quirk)
        }
    }

    /// Lower-case atoms, the UID after the literal, unsolicited FETCH/EXISTS and a FETCH for
    /// a UID nobody asked for in the middle of the pipelined answers: all read.
    func testOddButHarmlessAnswersAreRead() throws {
        for quirks in [["lowercase": [:]], ["uid-after-literal": [:]], ["unsolicited": [:]]] as [[String: Any]] {
            let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second], quirks: quirks)
            let (run, report) = try fixture.fetch()
            XCTAssertEqual(run.exitCode, 0, "\(quirks): " + run.stdout + run.stderr)
            XCTAssertEqual(report["fetched"] as? Int, 2, "\(quirks)")
            XCTAssertEqual(report["failed"] as? Int, 0, "\(quirks)")
            try assertRecorded(7, lead, in: fixture)
            try assertRecorded(8, second, in: fixture)
        }
    }

    /// A body response the parser cannot read costs that message (failed, the raw line in
    /// its error), not the poll.
    func testAnUnreadableResponseFailsItsMessageOnly() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second], quirks: ["unreadable": ["uid": 7, "times": 1]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1)
        XCTAssertEqual(report["failed"] as? Int, 1)
        XCTAssertTrue(try fixture.rows()[7]?.lastError?.contains("X-GARBLED") == true)
        XCTAssertFalse(try fixture.rows()[7]?.lastError?.contains("not-a-real-secret") ?? true)
        try assertRecorded(8, second, in: fixture)
    }

    /// NetEase refuses SELECT without ID; Mailgate sends ID whenever it is offered.
    func testNetEaseNeedsIDBeforeSelect() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead], quirks: ["require-id": [:]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1)
    }

    /// The round trips a poll waits for after login, counted by the session (protocol turns,
    /// not time): new mail costs three (SELECT with the listing of new UIDs and their sizes,
    /// the bodies, the flags), an idle poll one; no SEARCH, no separate size FETCH, no
    /// LOGOUT answer awaited.
    func testAPollWithNewMailIsThreeRoundTripsAndAnIdlePollOne() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: second, 9: third])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 3)
        XCTAssertEqual(report["round_trips"] as? Int, 3, run.stdout)
        XCTAssertEqual(try fixture.serverState().seen, [7, 8, 9])
        let first = try fixture.serverState().commands
        XCTAssertEqual(first.filter { !$0.hasPrefix("CAPABILITY") && !$0.hasPrefix("LOGOUT") },
                       ["ID (\"name\" \"mailgate\" \"version\" \"1.0\")", "SELECT INBOX", "UID FETCH 1:* (UID RFC822.SIZE FLAGS)",
                        "UID FETCH 7:9 (UID BODY.PEEK[])", "UID STORE 7:9 +FLAGS.SILENT (\\Seen)"])

        let (idle, idleReport) = try fixture.fetch()
        XCTAssertEqual(idle.exitCode, 0, idle.stdout + idle.stderr)
        XCTAssertEqual(idleReport["round_trips"] as? Int, 1, idle.stdout)
        let second = try fixture.serverState().commands.dropFirst(first.count).filter { !$0.hasPrefix("CAPABILITY") && !$0.hasPrefix("LOGOUT") }
        XCTAssertEqual(Array(second), ["ID (\"name\" \"mailgate\" \"version\" \"1.0\")", "SELECT INBOX", "UID FETCH 10:* (UID RFC822.SIZE FLAGS)"])
    }

    /// Dovecot's "NO [SERVERBUG] Internal error" on SELECT is the server's trouble: 75, retried.
    func testServerBugOnSelectIsTemporary() throws {
        let fixture = try ScriptedIMAPFixture(messages: [7: lead], quirks: ["select-no": ["code": "SERVERBUG"]])
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 75, run.stdout + run.stderr)
        XCTAssertTrue((report["error"] as? String)?.contains("SERVERBUG") == true, "\(report)")
    }

    /// A stored message whose routing fails keeps its bytes (the server may forget it) and
    /// is routed again once due; the others of its batch are routed at once.
    func testAMessageWhoseRoutingFailsIsRoutedAgainFromItsBytes() throws {
        let poison = scriptedMessage("poison-8", subject: "Poison")
        let fixture = try ScriptedIMAPFixture(messages: [7: lead, 8: poison])
        XCTAssertEqual(try fixture.mailgate("status").exitCode, 0)  // creates the store
        try fixture.sql("""
            CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject = 'Poison'
            BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;
            """)
        let (run, report) = try fixture.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 2)
        XCTAssertEqual(report["failed"] as? Int, 1)
        let failed = try XCTUnwrap(try fixture.rows()[8])
        XCTAssertEqual(failed.state, .failed)
        XCTAssertEqual(failed.sha256, SHA256.hex(servedCRLF(poison)), "its bytes are kept")
        XCTAssertTrue(failed.lastError?.contains("refused by a test trigger") == true, failed.lastError ?? "")
        try assertRecorded(7, lead, in: fixture)
        XCTAssertEqual(try fixture.serverState().seen, [7, 8], "stored durably, so the server may be told")

        try fixture.sql("DROP TRIGGER poison")
        try fixture.makeRetriesDue()
        XCTAssertEqual(try fixture.fetch().run.exitCode, 0)
        XCTAssertEqual(try fixture.rows()[8]?.state, .done)
        let threads = try fixture.mailgate("threads", "--json")
        XCTAssertEqual(threads.stdout.split(separator: "\n").count, 2, threads.stdout)
    }
}
