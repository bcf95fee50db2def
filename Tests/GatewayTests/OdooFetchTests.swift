import Foundation
import TestSupport
import XCTest

/// Mail fetched from the test Dovecot into the Odoo test server: as a new user would try it.
final class OdooFetchTests: XCTestCase {
    var server: OdooTestServer!

    override func tearDown() {
        server?.stop()
    }

    func fixture(version: Int, odoo extra: String = "") throws -> FetchFixture {
        server = try OdooTestServer(version: version)
        try server.configure(["aliases": ["sales@acme.test": "crm.lead"]])
        return try FetchFixture(.imap, alias: "sales", extra: """
            model = "crm.lead"
            target = "odoo"

            [odoo]
            url = "\(server.url)"
            database = "acme"
            user = "mailgate@acme.test"
            api_key = "test-key"
            \(extra)
            """)
    }

    func mail(_ id: String, _ subject: String, replyTo parent: String? = nil) -> [UInt8] {
        var text = "Message-ID: <\(id)@client.test>\r\nFrom: Ann <ann@client.test>\r\nTo: sales@acme.test\r\nSubject: \(subject)\r\n"
        if let parent { text += "In-Reply-To: <\(parent)@client.test>\r\nReferences: <\(parent)@client.test>\r\n" }
        return Array((text + "\r\n\(subject)\r\n").utf8)
    }

    func odooStatus(_ f: FetchFixture) throws -> [String: Any] {
        let run = try f.mailgate("status", "--json")
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").last { $0.hasPrefix("{\"odoo\"") })
        return try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["odoo"] as? [String: Any])
    }

    /// The "done when", as Odoo 19 and again as Odoo 17.
    func testFetchedMailLandsOnceAsLeadsWithRepliesAndSurvivesOdooBeingDown() throws {
        for version in [19, 17] {
            let f = try fixture(version: version)
            defer { f.directory.remove() }
            _ = try f.dovecot.deliver(user: f.user, messages: [mail("a1", "Lead one"), mail("a2", "Re: Lead one", replyTo: "a1"),
                                                                mail("b1", "Lead two")])
            let first = try f.mailgate("fetch")
            XCTAssertEqual(first.exitCode, 0, first.stderr)
            var records = try server.records()
            XCTAssertEqual(records.count, 2, "Odoo \(version)")
            XCTAssertTrue(records.allSatisfy { $0["model"] as? String == "crm.lead" })
            XCTAssertTrue(records.contains { $0["message_ids"] as? [String] == ["a1@client.test", "a2@client.test"] })
            XCTAssertEqual(try odooStatus(f)["queued"] as? Int, 0)

            // Odoo down: fetch still records (exit 0), says what stays queued.
            try server.fail("refuse")
            _ = try f.dovecot.deliver(user: f.user, messages: [mail("a3", "Re: Lead one", replyTo: "a2"), mail("c1", "Lead three")])
            let second = try f.mailgate("fetch")
            XCTAssertEqual(second.exitCode, 0, second.stderr)
            XCTAssertTrue(second.stderr.contains("still queued 2"), second.stderr)
            var status = try odooStatus(f)
            XCTAssertEqual(status["queued"] as? Int, 2)
            XCTAssertEqual(status["state"] as? String, "unreachable")

            try server.clearFailure()
            let push = try f.mailgate("push")
            XCTAssertEqual(push.exitCode, 0, push.stderr + push.stdout)
            records = try server.records()
            XCTAssertEqual(records.count, 3)
            XCTAssertTrue(records.contains { $0["message_ids"] as? [String] == ["a1@client.test", "a2@client.test", "a3@client.test"] })
            XCTAssertEqual(try server.messages().count, 5, "nothing lost or doubled")
            status = try odooStatus(f)
            XCTAssertEqual(status["queued"] as? Int, 0)
            XCTAssertEqual(status["state"] as? String, "ok")
            server.stop()
        }
    }

    func testTheSameMailboxFetchedByTwoProcessesPushesEachMessageOnce() throws {
        let f = try fixture(version: 19)
        defer { f.directory.remove() }
        let count = 30
        _ = try f.dovecot.deliver(user: f.user, messages: (0..<count).map { mail("p\($0)", "Parallel \($0)") })
        let group = DispatchGroup()
        let codes = CodeBox()
        for _ in 0..<2 {
            group.enter()
            Thread {
                codes.append((try? f.mailgate("fetch").exitCode) ?? -1)
                group.leave()
            }.start()
        }
        group.wait()
        XCTAssertTrue(codes.values.allSatisfy { $0 == 0 || $0 == 75 }, "\(codes.values)")
        _ = try f.mailgate("push")
        XCTAssertEqual(try server.messages().count, count)
        XCTAssertEqual(try server.counter("pushes"), count, "each message pushed once")
        XCTAssertEqual(try server.counter("overlapping"), 0)
    }

    /// `mailgate run` drains continuously: mail arriving while it runs reaches Odoo, mail
    /// recorded while Odoo is down reaches it once Odoo is back, each once.
    func testRunDrainsTheOutboxContinuously() throws {
        let f = try fixture(version: 19)
        defer { f.directory.remove() }
        _ = try f.dovecot.deliver(user: f.user, messages: [mail("r1", "Run one"), mail("r2", "Re: Run one", replyTo: "r1")])
        let service = try RunningService(configPath: f.configPath, logPath: f.directory.file("run.log"))
        defer { _ = service.terminate() }
        XCTAssertTrue(try waitUntil(60) { try server.messages().count == 2 }, service.log)
        try server.fail("refuse")
        // New mail comes in through the IDLE session while Odoo is down.
        _ = try f.dovecot.deliver(user: f.user, messages: [mail("r3", "Re: Run one", replyTo: "r2")])
        XCTAssertTrue(try waitUntil(60) { try odooStatus(f)["queued"] as? Int == 1 }, service.log)
        try server.clearFailure()
        // Odoo is back: a later round of the pump delivers it, after its parent.
        XCTAssertTrue(try waitUntil(60) { try server.messages().count == 3 }, service.log)
        XCTAssertEqual(try server.records().count, 1)
        XCTAssertEqual(try server.records().first?["message_ids"] as? [String], ["r1@client.test", "r2@client.test", "r3@client.test"])
        XCTAssertEqual(service.terminate(), 0)
    }

    func testKillDuringDeliveryLeavesEachMessageInOdooExactlyOnce() throws {
        // One push at a time, so that the kill lands after exactly the third.
        let f = try fixture(version: 19, odoo: "max_in_flight = 1")
        defer { f.directory.remove() }
        try server.fail("refuse")
        _ = try f.dovecot.deliver(user: f.user, messages: (0..<6).map { mail("k\($0)", "Kill \($0)") })
        XCTAssertEqual(try f.mailgate("fetch").exitCode, 0)
        try server.clearFailure()
        // SIGKILL right after Odoo answered the third push, before the outbox heard of it.
        let killed = try f.mailgate("push", environment: ["MAILGATE_CRASH_AT": "pushed:3"])
        XCTAssertEqual(killed.exitCode, 137)
        XCTAssertEqual(try server.messages().count, 3)
        let push = try f.mailgate("push")
        XCTAssertEqual(push.exitCode, 0, push.stderr)
        XCTAssertEqual(try server.messages().count, 6, "each message in Odoo exactly once")
        XCTAssertEqual(try server.counter("pushes"), 6, "the killed push was checked with search_count, not resent")
        XCTAssertEqual(try odooStatus(f)["queued"] as? Int, 0)
    }
}
