import Foundation
import TestSupport
import XCTest

/// Issue 14 through the command line and a real store: the cases' right values (16, 23) and
/// Odoo's routing rules that need recorded messages (the newest referenced message, followers
/// of the replied record).
final class RouteCasesTests: XCTestCase {
    var directory: TemporaryDirectory!
    var configPath: String { directory.path + "/mailgate.toml" }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        // The cases' mailgate.toml, plus an alias with a followers policy.
        try """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [alias.sales]
            model = "crm.lead"

            [alias.jobs]
            model = "hr.applicant"

            [alias.catchall]
            role = "catchall"

            [alias.bounce]
            role = "bounce"

            [alias.club]
            model = "crm.lead"
            contact = "followers"
            bounced_content = "Followers only."
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

    func file(_ name: String, _ text: String) throws -> String {
        let path = directory.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func message(id: String, from: String = "li.wei@customer.test", to: String, headers: String = "",
                 references: String? = nil) -> String {
        var m = "From: Li Wei <\(from)>\r\nTo: \(to)\r\n" + headers
        if let references { m += "References: \(references)\r\n" }
        return m + "Subject: Hello\r\nMessage-ID: \(id)\r\nDate: Wed, 25 Nov 2026 09:00:00 +0000\r\n\r\nBody\r\n"
    }

    // Case 16 (odoo/odoo#140113): catchall@ with an unknown address of the same domain is the
    // catchall refusal, like catchall@ alone (Odoo's message_route step 4, `_detect_write_to_catchall`).
    func testCase16CatchallWithAnUnknownRecipientIsRefusedAsCatchall() throws {
        let input = try file("input.eml", """
            From: Sam Stranger <sam@stranger.example.test>\r
            To: catchall@acme.test, nobody@acme.test\r
            Subject: hello?\r
            Date: Fri, 27 Oct 2026 09:00:00 +0000\r
            Message-ID: <case-16@stranger.example.test>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=us-ascii\r
            \r
            Is anyone there?\r

            """)
        let explained = try mailgate("route", input, "--alias", "catchall", "--explain")
        XCTAssertEqual(explained.exitCode, 0, explained.stderr)
        XCTAssertTrue(explained.stdout.contains("catchall (any): DECIDES"), explained.stdout)
        XCTAssertTrue(explained.stdout.hasSuffix("=> catchall\n"), explained.stdout)
        let delivered = try mailgate("deliver", "--alias", "catchall", "--json",
                                     stdin: try String(contentsOfFile: input, encoding: .utf8))
        XCTAssertEqual(json(delivered)["route"] as? String, "catchall")
        XCTAssertEqual(json(delivered)["alias"] as? String, "catchall")
        // The catchall only in Cc is not writing to it.
        let cc = try file("cc.eml", message(id: "<cc@c.test>", to: "nobody@acme.test", headers: "Cc: catchall@acme.test\r\n"))
        XCTAssertEqual(json(try mailgate("route", cc, "--json"))["route"] as? String, "unrouted")
    }

    // Case 23 (sisimai/rb-sisimai#91): exactly one failed recipient, buyer@: 5.1.10, userunknown,
    // hard; `Sender Address: sales@acme.test` is our own sender.
    func testCase23OfficeNDRListsOnlyTheFailedRecipient() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/bounces")
        for name in ["case23-office365-text.eml", "case23-office365-min.eml", "case23-office365-dsn.eml"] {
            let run = try mailgate("route", fixtures.appendingPathComponent(name).path, "--alias", "bounce", "--json")
            XCTAssertEqual(run.exitCode, 0, run.stderr)
            let decision = json(run)
            XCTAssertEqual(decision["route"] as? String, "bounce", name)
            let recipients = (decision["bounce"] as? [String: Any])?["recipients"] as? [[String: Any]] ?? []
            XCTAssertEqual(recipients.map { $0["address"] as? String }, ["buyer@contoso.example.test"], name)
            XCTAssertEqual(recipients.first?["status"] as? String, "5.1.10", name)
            XCTAssertEqual(recipients.first?["reason"] as? String, "userunknown", name)
            XCTAssertEqual(recipients.first?["hard"] as? Bool, true, name)
        }
    }

    // message_route: `mail.message` searched by `message_id in refs`, `order='id desc'`: the most
    // recently recorded referenced message decides the thread, not the last one listed.
    func testTheNewestRecordedReferenceWins() throws {
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<lead@c.test>", to: "sales@acme.test")).exitCode, 0)
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<job@c.test>", to: "jobs@acme.test")).exitCode, 0)
        let reply = try file("reply.eml", message(id: "<r@c.test>", to: "someone@elsewhere.test",
                                                   references: "<job@c.test> <lead@c.test>"))
        let decision = json(try mailgate("route", reply, "--json"))
        XCTAssertEqual(decision["route"] as? String, "reply")
        XCTAssertEqual(decision["model"] as? String, "hr.applicant")
    }

    // message_route "if destination = alias with same model -> check contact settings as they
    // still apply": `_routing_check_route` → `_alias_get_error` on the replied record.
    func testAReplyThroughAFollowersAliasNeedsAFollowerOfTheRecord() throws {
        XCTAssertEqual(try mailgate("deliver", stdin: message(id: "<lead@c.test>", to: "sales@acme.test")).exitCode, 0)
        let stranger = try file("stranger.eml", message(id: "<s@c.test>", from: "sam@stranger.test", to: "club@acme.test",
                                                       references: "<lead@c.test>"))
        let refused = try mailgate("route", stranger, "--explain")
        XCTAssertTrue(refused.stdout.contains("reply: DECIDES"), refused.stdout)
        XCTAssertTrue(refused.stdout.contains("\n=> refused"), refused.stdout)
        // The lead's author follows its record.
        let author = try file("author.eml", message(id: "<a@c.test>", to: "club@acme.test", references: "<lead@c.test>"))
        XCTAssertEqual(json(try mailgate("route", author, "--json"))["route"] as? String, "reply")
    }

    // `_detect_is_bounce` reads Odoo's `to`, which has every Delivered-To.
    func testMailDeliveredToTheBounceAliasIsABounce() throws {
        let m = try file("b.eml", message(id: "<b@c.test>", from: "postmaster@far.test", to: "sales@acme.test",
                                          headers: "Delivered-To: bounce@acme.test\r\n"))
        XCTAssertEqual(json(try mailgate("route", m, "--json"))["route"] as? String, "bounce")
    }

    // Odoo's strict `_detect_write_to_catchall` reads `to` with Delivered-To: To catchall@ but
    // delivered for sales@ is new mail for sales.
    func testToTheCatchallButDeliveredForAnAliasIsNewMail() throws {
        let m = try file("n.eml", message(id: "<n@c.test>", to: "catchall@acme.test", headers: "Delivered-To: sales@acme.test\r\n"))
        let decision = json(try mailgate("route", m, "--json"))
        XCTAssertEqual(decision["route"] as? String, "new")
        XCTAssertEqual(decision["model"] as? String, "crm.lead")
    }
}
