import Foundation
import TestSupport
import XCTest

/// The Odoo target end to end: `mailgate deliver`/`push`/`status`/`replay` against
/// Scripts/odoo-test-server as Odoo 19 (JSON-2) and Odoo 17 (XML-RPC).
final class OdooTargetTests: XCTestCase {
    var directory: TemporaryDirectory!
    var server: OdooTestServer!
    var configPath: String { directory.path + "/mailgate.toml" }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        server?.stop()
        directory?.remove()
    }

    /// Starts the test server as `version` and writes a config whose `sales` alias pushes to it.
    func start(version: Int, key: String = "test-key", extraAlias: String = "") throws {
        server = try OdooTestServer(version: version)
        try server.configure(["aliases": ["sales@acme.test": "crm.lead"], "catchall": "catchall@acme.test"])
        try """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [odoo]
            url = "\(server.url)"
            database = "acme"
            user = "mailgate@acme.test"
            api_key_env = "TEST_ODOO_KEY"
            max_in_flight = 3

            [alias.sales]
            model = "crm.lead"
            target = "odoo"
            values = { team_id = 3, source = "web" }

            [alias.catchall]
            role = "catchall"
            target = "odoo"
            \(extraAlias)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        environment = ["TEST_ODOO_KEY": key]
    }

    var environment: [String: String] = [:]

    func mailgate(_ args: [String], stdin: [UInt8]? = nil) throws -> MailgateRun {
        try runMailgate(args: args + ["--config", configPath], env: environment, stdin: stdin)
    }

    func deliver(_ raw: String, alias: String = "sales") throws -> MailgateRun {
        try mailgate(["deliver", "--alias", alias], stdin: Array(raw.utf8))
    }

    func message(_ id: String, subject: String, inReplyTo: String? = nil, to: String = "sales@acme.test") -> String {
        var text = "Message-ID: <\(id)@client.test>\r\nFrom: Ann Buyer <ann@client.test>\r\nTo: \(to)\r\nSubject: \(subject)\r\n"
        if let inReplyTo { text += "In-Reply-To: <\(inReplyTo)@client.test>\r\nReferences: <\(inReplyTo)@client.test>\r\n" }
        return text + "Date: Mon, 30 Nov 2026 08:00:00 +0000\r\n\r\n\(subject) body\r\n"
    }

    func statusJSON() throws -> [String: Any] {
        let run = try mailgate(["status", "--json"])
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").last { $0.hasPrefix("{\"odoo\"") })
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return try XCTUnwrap(object?["odoo"] as? [String: Any])
    }

    // MARK: -

    func testAConversationLandsAsOneRecordWithItsRepliesInOrder() throws {
        for version in [19, 17] {
            try start(version: version)
            for (n, raw) in [message("c1", subject: "Quote please"), message("c2", subject: "Re: Quote please", inReplyTo: "c1"),
                             message("c3", subject: "Re: Re: Quote please", inReplyTo: "c2", to: "ann@client.test")].enumerated() {
                let run = try deliver(raw)
                XCTAssertEqual(run.exitCode, 0, "message \(n): \(run.stderr)")
            }
            let records = try server.records()
            XCTAssertEqual(records.count, 1, "Odoo \(version)")
            XCTAssertEqual(records.first?["model"] as? String, "crm.lead")
            XCTAssertEqual(records.first?["message_ids"] as? [String], ["c1@client.test", "c2@client.test", "c3@client.test"])
            let expectedProtocol = version >= 19 ? "json2" : "xmlrpc"
            XCTAssertEqual(try server.counter(expectedProtocol), 3, "Odoo \(version) is spoken to with \(expectedProtocol)")
            let status = try statusJSON()
            XCTAssertEqual(status["protocol"] as? String, expectedProtocol)
            XCTAssertEqual(status["queued"] as? Int, 0)
            XCTAssertEqual(status["state"] as? String, "ok")
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testCustomValuesKeepTheirTOMLTypes() throws {
        try start(version: 19)
        // No alias matches at Odoo: the model argument is the fallback and custom_values apply.
        XCTAssertEqual(try deliver(message("v1", subject: "Fallback", to: "unknown@acme.test")).exitCode, 0)
        let record = try XCTUnwrap(try server.records().first)
        let values = try XCTUnwrap(record["custom_values"] as? [String: Any])
        XCTAssertEqual((values["team_id"] as? NSNumber)?.intValue, 3)
        XCTAssertTrue(values["team_id"] is NSNumber, "team_id = 3 arrives as an integer")
        XCTAssertEqual(values["source"] as? String, "web")
    }

    func testServerDownThenUpDeliversEveryMessageOnceInThreadOrder() throws {
        for version in [19, 17] {
            try start(version: version)
            try server.fail("refuse")
            let ids = ["d1", "d2", "d3", "d4"]
            XCTAssertEqual(try deliver(message("d1", subject: "Down")).exitCode, 0)
            XCTAssertEqual(try deliver(message("d2", subject: "Re: Down", inReplyTo: "d1")).exitCode, 0)
            XCTAssertEqual(try deliver(message("d3", subject: "Re: Down", inReplyTo: "d2")).exitCode, 0)
            XCTAssertEqual(try deliver(message("d4", subject: "Other")).exitCode, 0)
            var status = try statusJSON()
            XCTAssertEqual(status["queued"] as? Int, 4, "everything stays queued while Odoo is down")
            XCTAssertEqual(status["state"] as? String, "unreachable")
            XCTAssertEqual(try server.records().count, 0)

            try server.clearFailure()
            let push = try mailgate(["push"])
            XCTAssertEqual(push.exitCode, 0, push.stderr + push.stdout)
            let records = try server.records()
            XCTAssertEqual(records.count, 2)
            let thread = records.first { ($0["message_ids"] as? [String] ?? []).contains("d1@client.test") }
            XCTAssertEqual(thread?["message_ids"] as? [String], ids.prefix(3).map { "\($0)@client.test" },
                           "the replies follow their parent, in order")
            XCTAssertEqual(try server.messages().count, 4, "each message once")
            status = try statusJSON()
            XCTAssertEqual(status["queued"] as? Int, 0)
            XCTAssertEqual(status["state"] as? String, "ok")
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testALostAnswerMakesNoSecondRecord() throws {
        for version in [19, 17] {
            try start(version: version)
            try server.fail("lose", count: 1)
            let run = try deliver(message("l1", subject: "Lost"))
            XCTAssertEqual(run.exitCode, 0, "recorded: the outbox owns it")
            XCTAssertEqual(try server.records().count, 1, "Odoo created the record, the answer was lost")
            XCTAssertEqual(try server.counter("pushes"), 1, "search_count found it: not sent again")
            XCTAssertGreaterThanOrEqual(try server.counter("searches"), 1)
            let status = try statusJSON()
            XCTAssertEqual(status["queued"] as? Int, 0)
            XCTAssertEqual(status["delivered"] as? Int, 1)
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testAWrongKeyPausesDeliverySaysSoAndTriesNoMore() throws {
        for version in [19, 17] {
            try start(version: version, key: "wrong-key")
            XCTAssertEqual(try deliver(message("k1", subject: "One")).exitCode, 0)
            let second = try deliver(message("k2", subject: "Two"))
            XCTAssertEqual(second.exitCode, 0)
            XCTAssertEqual(try server.counter("auth_failures"), 1, "one refused attempt, then no more")
            let status = try statusJSON()
            XCTAssertEqual(status["state"] as? String, "paused")
            XCTAssertEqual(status["queued"] as? Int, 2)
            XCTAssertTrue((status["last_fault"] as? String ?? "").contains("refused"), "\(status)")
            XCTAssertFalse(try mailgate(["status"]).stdout.contains("wrong-key"), "the key is never shown")
            // Fixed key: push resumes and drains.
            environment["TEST_ODOO_KEY"] = "test-key"
            let push = try mailgate(["push"])
            XCTAssertEqual(push.exitCode, 0, push.stderr)
            XCTAssertEqual(try server.messages().count, 2)
            XCTAssertEqual(try statusJSON()["state"] as? String, "ok")
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testNoPossibleRouteExits67ParksAndReplayQueuesAgain() throws {
        try start(version: 19)
        // The catchall alias sends model false: Odoo finds no alias for this recipient and no fallback.
        let run = try deliver(message("n1", subject: "Nobody", to: "nobody@elsewhere.test"), alias: "catchall")
        XCTAssertEqual(run.exitCode, 67, run.stderr)
        XCTAssertEqual(try statusJSON()["parked"] as? Int, 1)
        XCTAssertTrue(try mailgate(["status"]).stdout.contains("replay --quarantined"))
        let aliasLine = try XCTUnwrap(try mailgate(["status", "--json"]).stdout.split(separator: "\n")
            .first { $0.contains("\"alias\":\"catchall\"") })
        let alias = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(aliasLine.utf8)) as? [String: Any])
        XCTAssertEqual(alias["quarantined"] as? Int, 1, "a parked push joins the alias's quarantine")
        try server.configure(["aliases": ["sales@acme.test": "crm.lead", "nobody@elsewhere.test": "helpdesk.ticket"]])
        let replay = try mailgate(["replay", "--quarantined"])
        XCTAssertEqual(replay.exitCode, 0, replay.stderr)
        XCTAssertEqual(try statusJSON()["queued"] as? Int, 1)
        XCTAssertEqual(try mailgate(["push"]).exitCode, 0)
        XCTAssertEqual(try server.records().first?["model"] as? String, "helpdesk.ticket")
    }

    func testAJSON2BuildThatCannotTakeTheModelArgumentFallsBackToXMLRPC() throws {
        try start(version: 19)
        // Early 19 builds route /json/2/<model>/<method>: the body's "model" is overwritten (422).
        try server.configure(["json2_model_path": true])
        let run = try deliver(message("j1", subject: "Early build"))
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("using XML-RPC"), run.stderr)
        XCTAssertEqual(try server.counter("xmlrpc"), 1)
        XCTAssertEqual(try server.messages().count, 1, "the message was sent again over XML-RPC")
        XCTAssertEqual(try statusJSON()["protocol"] as? String, "xmlrpc")
    }

    func testThreeIdenticalAnswersParkAtOnce() throws {
        try start(version: 19)
        try server.fail("status", status: 503)
        XCTAssertEqual(try deliver(message("t1", subject: "Crash")).exitCode, 0)
        XCTAssertEqual(try statusJSON()["queued"] as? Int, 1)
        _ = try mailgate(["push"])
        XCTAssertEqual(try statusJSON()["queued"] as? Int, 1, "two identical answers: still retried")
        _ = try mailgate(["push"])
        let status = try statusJSON()
        XCTAssertEqual(status["parked"] as? Int, 1, "the third identical answer parks it: \(status)")
        XCTAssertEqual(status["queued"] as? Int, 0)
    }

    func testUserErrorParksOnlyThatMessage() throws {
        for version in [19, 17] {
            try start(version: version)
            try server.fail("user_error", count: 1)
            XCTAssertEqual(try deliver(message("u1", subject: "Refused")).exitCode, 0)
            XCTAssertEqual(try deliver(message("u2", subject: "Fine")).exitCode, 0)
            let status = try statusJSON()
            XCTAssertEqual(status["parked"] as? Int, 1)
            XCTAssertEqual(status["state"] as? String, "ok")
            XCTAssertEqual(try server.messages().count, 1)
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testTwoPushesOfOneMessageIdAreNeverInFlightTogether() throws {
        try start(version: 19)
        // Odoo's duplicate check is not safe against simultaneous pushes: with the race window
        // open, two pushes in flight together would both create a record.
        try server.fail("race", seconds: 1)
        let a = message("r1", subject: "Same id")
        let b = a.replacingOccurrences(of: "To: sales@acme.test", with: "To: sales@acme.test\r\nCc: boss@client.test")
        let group = DispatchGroup()
        let codes = CodeBox()
        for raw in [a, b] {
            group.enter()
            Thread {
                let code = (try? self.deliver(raw).exitCode) ?? -1
                codes.append(code)
                group.leave()
            }.start()
        }
        group.wait()
        XCTAssertEqual(codes.values, [0, 0])
        _ = try mailgate(["push"])
        XCTAssertEqual(try server.counter("overlapping"), 0)
        XCTAssertEqual(try server.records().count, 1)
        XCTAssertEqual(try server.messages().count, 1, "the second copy is Odoo's duplicate")
    }

    func testARawGBKHeaderArrivesWithTheRightSubjectAndSenderName() throws {
        // Subject 测试邮件 and sender name 张三 as raw GBK bytes; a GBK body without a charset.
        let gbk: [UInt8] = Array("Message-ID: <gbk1@client.test>\r\nFrom: \"".utf8) + [0xD5, 0xC5, 0xC8, 0xFD]
            + Array("\" <zhang@client.test>\r\nTo: sales@acme.test\r\nSubject: ".utf8) + [0xB2, 0xE2, 0xCA, 0xD4, 0xD3, 0xCA, 0xBC, 0xFE]
            + Array("\r\nContent-Type: text/plain\r\n\r\n".utf8) + [0xC4, 0xE3, 0xBA, 0xC3] + Array("\r\n".utf8)
        for version in [19, 17] {
            try start(version: version)
            let run = try mailgate(["deliver", "--alias", "sales"], stdin: gbk)
            XCTAssertEqual(run.exitCode, 0, run.stderr)
            let seen = try XCTUnwrap(try server.messages().first)
            XCTAssertEqual(seen["subject"] as? String, "测试邮件", "Odoo \(version)")
            XCTAssertEqual(seen["from"] as? String, "张三 <zhang@client.test>")
            XCTAssertEqual((seen["text"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), "你好")
            server.stop()
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    func testConfigErrorsNameTheKey() throws {
        server = try OdooTestServer(version: 19)
        let cases: [(String, String)] = [
            ("[odoo]\nurl = \"http://erp.acme.test\"\napi_key = \"k\"\n", "key \"url\""),
            ("[odoo]\nurl = \"https://erp.acme.test\"\n", "key \"api_key\""),
            ("[odoo]\nurl = \"https://erp.acme.test\"\napi_key = \"k\"\nprotocol = \"xmlrpc\"\n", "key \"database\""),
            ("[odoo]\nurl = \"https://erp.acme.test\"\napi_key = \"k\"\n[odoo.b]\nurl = \"https://b.test\"\napi_key = \"k\"\n", "[odoo]"),
            ("[odoo.a]\nurl = \"https://a.test\"\napi_key = \"k\"\n[odoo.b]\nurl = \"https://b.test\"\napi_key = \"k\"\n"
                + "[alias.sales]\ntarget = \"odoo\"\n", "key \"odoo\""),
            ("[alias.sales]\ntarget = \"odoo\"\n", "key \"target\""),
            ("[odoo]\nurl = \"https://erp.acme.test\"\napi_key_env = \"MAILGATE_TEST_UNSET_KEY\"\n", "key \"api_key_env\""),
        ]
        for (text, expected) in cases {
            try ("[store]\npath = \"mailgate.sqlite\"\n" + text).write(toFile: configPath, atomically: true, encoding: .utf8)
            let run = try runMailgate(args: ["fetch", "--config", configPath])
            XCTAssertEqual(run.exitCode, 78, text)
            XCTAssertTrue(run.stderr.contains(expected), "\(text): \(run.stderr)")
        }
    }
}

final class CodeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int32] = []
    func append(_ code: Int32) { lock.lock(); list.append(code); lock.unlock() }
    var values: [Int32] { lock.lock(); defer { lock.unlock() }; return list.sorted() }
}
