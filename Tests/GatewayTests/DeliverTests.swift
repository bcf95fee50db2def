import Foundation
import TestSupport
import XCTest

/// `mailgate deliver` (the MTA pipe), `route`, `threads`, `show` and `replay` on a store of
/// routing-only aliases: no mail server involved.
final class DeliverTests: XCTestCase {
    var directory: TemporaryDirectory!
    var configPath: String { directory.path + "/mailgate.toml" }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        try """
            [store]
            path = "mailgate.sqlite"
            busy_timeout = "1s"

            [defaults]
            domain = "acme.test"

            [alias.catchall]
            role = "catchall"

            [alias.bounce]
            role = "bounce"

            [alias.sales]
            model = "crm.lead"
            values = { team_id = "3" }

            [alias.jobs]
            model = "hr.applicant"

            [alias.vip]
            model = "crm.lead"
            contact = "partners"
            bounced_content = "Only customers may write to vip@."
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    override func tearDown() { directory.remove() }

    func mailgate(_ args: String..., stdin: String? = nil) throws -> MailgateRun {
        try runMailgate(args: args + ["--config", configPath], stdin: stdin.map { Array($0.utf8) })
    }

    func json(_ run: MailgateRun) -> [String: Any] {
        let line = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    func message(id: String, from: String = "li.wei@customer.test", to: String, cc: String? = nil,
                 references: String? = nil, subject: String = "Hello") -> String {
        var m = "From: Li Wei <\(from)>\r\nTo: \(to)\r\n"
        if let cc { m += "Cc: \(cc)\r\n" }
        if let references { m += "References: \(references)\r\nIn-Reply-To: \(references)\r\n" }
        m += "Subject: \(subject)\r\nMessage-ID: \(id)\r\nDate: Wed, 25 Nov 2026 09:00:00 +0000\r\n\r\nBody of \(id)\r\n"
        return m
    }

    func testDeliverExitCodesFollowOdooMailgate() throws {
        let lead = try mailgate("deliver", "--json", stdin: message(id: "<lead@c.test>", to: "sales@acme.test"))
        XCTAssertEqual(lead.exitCode, 0, lead.stderr)
        XCTAssertEqual(json(lead)["route"] as? String, "new")
        XCTAssertEqual(json(lead)["model"] as? String, "crm.lead")

        let again = try mailgate("deliver", "--json", stdin: message(id: "<lead@c.test>", to: "sales@acme.test"))
        XCTAssertEqual(again.exitCode, 0)
        XCTAssertEqual(json(again)["route"] as? String, "duplicate")

        let catchall = try mailgate("deliver", "--json", stdin: message(id: "<c1@c.test>", to: "catchall@acme.test"))
        XCTAssertEqual(catchall.exitCode, 67)
        XCTAssertEqual(json(catchall)["route"] as? String, "catchall")

        let refused = try mailgate("deliver", "--json", stdin: message(id: "<v1@c.test>", from: "stranger@x.test", to: "vip@acme.test"))
        XCTAssertEqual(refused.exitCode, 67)
        XCTAssertEqual(json(refused)["route"] as? String, "refused")

        let unrouted = try mailgate("deliver", "--json", stdin: message(id: "<u1@c.test>", to: "nobody@elsewhere.test"))
        XCTAssertEqual(unrouted.exitCode, 67)
        XCTAssertEqual(json(unrouted)["route"] as? String, "unrouted")

        let bounce = try mailgate("deliver", "--alias", "bounce", "--json",
                                  stdin: message(id: "<b1@mx.test>", from: "MAILER-DAEMON@mx.test", to: "bounce@acme.test"))
        XCTAssertEqual(bounce.exitCode, 0)
        XCTAssertEqual(json(bounce)["route"] as? String, "bounce")
    }

    func testUnknownAliasAndBrokenConfigExit78() throws {
        XCTAssertEqual(try mailgate("deliver", "--alias", "nosuch", stdin: "x").exitCode, 78)
        try "[store]\ncolour = 1\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        let run = try mailgate("deliver", stdin: message(id: "<x@c.test>", to: "sales@acme.test"))
        XCTAssertEqual(run.exitCode, 78)
        XCTAssertTrue(run.stderr.contains("colour"), run.stderr)
    }

    func testAStoreLockedByAnotherWriterExits75SoTheMTARetries() throws {
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<first@c.test>", to: "sales@acme.test")).exitCode, 0)
        let lock = try SQLiteLock(path: directory.path + "/mailgate.sqlite")
        let locked = try mailgate("deliver", stdin: message(id: "<second@c.test>", to: "sales@acme.test"))
        XCTAssertEqual(locked.exitCode, 75, locked.stderr)
        try lock.release()
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<second@c.test>", to: "sales@acme.test")).exitCode, 0,
                       "the MTA's retry succeeds once the lock is gone")
    }

    func testRouteBeforeAnyStoreExistsCreatesNone() throws {
        // A first `route` (or one pointed at a production config to try a message) leaves no
        // database and no spool behind: it routes against an empty history.
        let file = directory.file("lead.eml")
        try message(id: "<first@c.test>", to: "sales@acme.test").write(toFile: file, atomically: true, encoding: .utf8)
        let dry = try mailgate("route", file, "--json")
        XCTAssertEqual(dry.exitCode, 0, dry.stderr)
        XCTAssertEqual(json(dry)["route"] as? String, "new")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/mailgate.sqlite"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/spool"))
    }

    func testRouteIsADryRunAndExplainsEveryStep() throws {
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<lead@c.test>", to: "sales@acme.test")).exitCode, 0)
        let file = directory.file("reply.eml")
        try message(id: "<r1@c.test>", to: "catchall@acme.test", references: "<lead@c.test>")
            .write(toFile: file, atomically: true, encoding: .utf8)

        let dry = try mailgate("route", file, "--json")
        XCTAssertEqual(dry.exitCode, 0, dry.stderr)
        let decision = json(dry)
        XCTAssertEqual(decision["route"] as? String, "reply")
        XCTAssertEqual(decision["model"] as? String, "crm.lead")
        XCTAssertNotNil(decision["thread_id"] as? Int)
        for key in ["alias", "routes", "bounce", "reason"] { XCTAssertNotNil(decision[key], "key \(key) is always present") }

        let explained = try mailgate("route", file, "--explain")
        XCTAssertTrue(explained.stdout.contains("reply: DECIDES"), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("duplicate: no"), explained.stdout)

        let threads = try mailgate("threads", "--json")
        let lines = threads.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("\"messages\":1"), "route recorded nothing: \(lines[0])")
        XCTAssertEqual(try mailgate("route", directory.file("missing.eml")).exitCode, 66)
    }

    func testReplayRoutesUnroutedMailAfterAConfigChange() throws {
        let run = try mailgate("deliver", stdin: message(id: "<late@c.test>", to: "support@acme.test"))
        XCTAssertEqual(run.exitCode, 67)
        var config = try String(contentsOfFile: configPath, encoding: .utf8)
        config += "\n[alias.support]\nmodel = \"helpdesk.ticket\"\n"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        let replay = try mailgate("replay", "--unrouted", "--json")
        XCTAssertEqual(replay.exitCode, 0, replay.stderr)
        let result = json(replay)
        XCTAssertEqual(result["before"] as? String, "unrouted")
        XCTAssertEqual(result["route"] as? String, "new")
        let threads = try mailgate("threads", "--alias", "support", "--json")
        XCTAssertTrue(threads.stdout.contains("helpdesk.ticket"), threads.stdout)
        XCTAssertEqual(try mailgate("replay", "--unrouted", "--json").stdout, "", "nothing left unrouted")
    }
}

/// Holds an exclusive write lock on an SQLite database through the sqlite3 shell, the way
/// another writer would, until released; no sleeping: it waits for the shell to confirm.
final class SQLiteLock {
    let process = Process()
    let input = Pipe()
    let output = Pipe()

    init(path: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\nSELECT 'locked';\n".utf8))
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("locked") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestSupportError("sqlite3 exited before taking the lock") }
            seen.append(chunk)
        }
    }

    func release() throws {
        input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
