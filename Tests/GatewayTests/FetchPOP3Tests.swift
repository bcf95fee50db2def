import Foundation
import TestSupport
import XCTest

/// `mailgate fetch` against POP3 mailboxes on the real test Dovecot.
final class FetchPOP3Tests: XCTestCase {
    func testThousandMessagesOverPOP3SAreStoredByteIdenticalAndDeleted() throws {
        let f = try FetchFixture(.pop3s)
        let messages = (0..<1000).map { f.dovecot.sampleMessage(index: $0, size: 2_000 + $0 * 7) }
        try f.dovecot.deliver(user: f.user, messages: messages)

        let (run, report) = try f.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1000)
        XCTAssertEqual(report["skipped"] as? Int, 0)
        XCTAssertTrue(report["uidvalidity"] is NSNull, "POP3 has no UIDVALIDITY")
        XCTAssertTrue(report["error"] is NSNull)
        XCTAssertEqual(try f.spooledMessages(), Set(messages.map(crlf)),
                       "every stored message is byte-identical to what the server served")
        XCTAssertEqual(f.dovecot.messageCount(user: f.user), 0, "after_fetch = delete is POP3's default")

        let status = try f.status()
        XCTAssertEqual(status["recorded"] as? Int, 1000)
        XCTAssertEqual(status["done"] as? Int, 1000)

        let (again, second) = try f.fetch()
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertEqual(second["fetched"] as? Int, 0, "a second fetch records nothing")
        XCTAssertEqual(try f.status()["recorded"] as? Int, 1000)
    }

    func testKeepLeavesMessagesAndFetchesOnlyNewOnes() throws {
        let f = try FetchFixture(.pop3, extra: "tls = \"starttls\"\nafter_fetch = \"keep\"")
        try f.dovecot.deliver(user: f.user, messages: (0..<5).map { f.dovecot.sampleMessage(index: $0, size: 800) })
        XCTAssertEqual(try f.fetch().report["fetched"] as? Int, 5)
        XCTAssertEqual(f.dovecot.messageCount(user: f.user), 5, "keep leaves the messages on the server")

        try f.dovecot.deliver(user: f.user, messages: [f.dovecot.sampleMessage(index: 99, size: 900)])
        XCTAssertEqual(try f.fetch().report["fetched"] as? Int, 1, "a message added between polls is picked up")
        XCTAssertEqual(try f.fetch().report["fetched"] as? Int, 0)
        XCTAssertEqual(f.dovecot.messageCount(user: f.user), 6)
    }

    func testPlainPOP3WithoutTLS() throws {
        let f = try FetchFixture(.pop3, extra: "tls = \"none\"", caFile: false)
        try f.dovecot.deliver(user: f.user, messages: [f.dovecot.sampleMessage(index: 1, size: 500)])
        let (run, report) = try f.fetch()
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(report["fetched"] as? Int, 1)
    }

    func testOversizedMessageIsSkippedOnceAndNeverFetched() throws {
        let f = try FetchFixture(.pop3s, extra: "max_message_size = \"10KB\"")
        let small = f.dovecot.sampleMessage(index: 1, size: 2_000)
        let big = f.dovecot.sampleMessage(index: 2, size: 50_000)
        try f.dovecot.deliver(user: f.user, messages: [small, big])
        let first = try f.fetch().report
        XCTAssertEqual(first["fetched"] as? Int, 1)
        XCTAssertEqual(first["skipped"] as? Int, 1)
        XCTAssertEqual(try f.spooledMessages(), [crlf(small)], "the oversized message was never downloaded")
        let second = try f.fetch().report
        XCTAssertEqual(second["skipped"] as? Int, 0, "reported once, not at every poll")
        XCTAssertEqual(try f.status()["skipped"] as? Int, 1)
        XCTAssertEqual(f.dovecot.messageCount(user: f.user), 1, "the skipped message stays on the server")
    }

    func testWrongPasswordExits77WithoutTheSecret() throws {
        let secret = "Wr0ng-Pa55word-xyzzy"
        let f = try FetchFixture(.pop3s, password: secret)
        let (run, report) = try f.fetch()
        XCTAssertEqual(run.exitCode, 77)
        XCTAssertEqual(report["exit_code"] as? Int, 77)
        let error = report["error"] as? String ?? ""
        XCTAssertTrue(error.lowercased().contains("refused") || error.lowercased().contains("authentication"), error)
        XCTAssertFalse(run.stdout.contains(secret) || run.stderr.contains(secret), "the password never appears")
        XCTAssertFalse(try f.mailgate("status", "--json").stdout.contains(secret))
    }

    func testClosedPortExits75() throws {
        let f = try FetchFixture(.pop3s, port: try unusedLoopbackPort())
        let (run, report) = try f.fetch()
        XCTAssertEqual(run.exitCode, 75, run.stderr)
        XCTAssertNotNil(report["error"] as? String)
    }

    func testSelfSignedCertificateWithoutCAFileExits78() throws {
        let f = try FetchFixture(.pop3s, caFile: false)
        let (run, report) = try f.fetch()
        XCTAssertEqual(run.exitCode, 78, run.stderr)
        XCTAssertTrue((report["error"] as? String ?? "").contains("tls_ca_file"), "the error says what to configure")
    }

    func testUnknownConfigKeyExits78NamingIt() throws {
        let f = try FetchFixture(.pop3s, extra: "colour = \"blue\"")
        let run = try f.mailgate("fetch")
        XCTAssertEqual(run.exitCode, 78)
        XCTAssertTrue(run.stderr.contains("colour"), run.stderr)
        XCTAssertTrue(run.stderr.contains("jobs"), run.stderr)
    }

    func testUnknownAliasIsAUsageError() throws {
        let f = try FetchFixture(.pop3s)
        XCTAssertEqual(try f.mailgate("fetch", "--alias", "nosuch").exitCode, 64)
    }

    /// A crash at every step of a batch, then a second fetch: exactly 2,000 recorded, each
    /// once, and none left on the server.
    func testKillNineMidFetchLosesNothingAndRecordsNothingTwice() throws {
        for point in ["spooled:2", "committed:2", "acknowledged:1"] {
            let f = try FetchFixture(.pop3s)
            let messages = (0..<2000).map { f.dovecot.sampleMessage(index: $0, size: 1_200) }
            try f.dovecot.deliver(user: f.user, messages: messages)
            let crashed = try f.fetch(environment: ["MAILGATE_CRASH_AT": point]).run
            XCTAssertEqual(crashed.exitCode, 137, "\(point): the process was killed (SIGKILL)")
            let (run, report) = try f.fetch()
            XCTAssertEqual(run.exitCode, 0, run.stderr)
            let status = try f.status()
            XCTAssertEqual(status["recorded"] as? Int, 2000, "\(point): \(report)")
            XCTAssertEqual(status["done"] as? Int, 2000, "\(point)")
            XCTAssertEqual(try f.spooledMessages().count, 2000, "\(point)")
            XCTAssertEqual(f.dovecot.messageCount(user: f.user), 0, "\(point): none left on the server")
        }
    }
}
