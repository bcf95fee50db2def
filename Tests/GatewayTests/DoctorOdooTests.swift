import Foundation
@testable import Gateway
import TestSupport
import XCTest

/// `mailgate doctor`'s `odoo.*` checks against Scripts/odoo-test-server as Odoo 19 (JSON-2),
/// 17 (XML-RPC, `mail.alias.domain`) and 16 (XML-RPC, the `mail.catchall.*` system
/// parameters), each check once passing and once failing, run as `Doctor.run(only: [.odoo])`.
final class DoctorOdooTests: XCTestCase {
    var directory: TemporaryDirectory!
    var server: OdooTestServer?

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        server?.stop()
        directory?.remove()
    }

    /// sales@ (IMAP, crm.lead) and catchall@ push to Odoo; bounce@ stays local.
    static let aliases = """
        [alias.sales]
        url = "imaps://imap.acme.test/INBOX"
        user = "sales@acme.test"
        password = "secret"
        model = "crm.lead"
        target = "odoo"

        [alias.catchall]
        url = "imaps://imap.acme.test/INBOX"
        user = "catchall@acme.test"
        password = "secret"
        role = "catchall"
        target = "odoo"

        [alias.bounce]
        url = "pop3s://pop.acme.test"
        user = "bounce@acme.test"
        password = "secret"
        role = "bounce"
        """

    /// Starts the server as Odoo `version`, with Odoo's alias sales@acme.test → crm.lead plus `settings`.
    @discardableResult
    func start(version: Int, _ settings: [String: Any] = [:]) throws -> OdooTestServer {
        let server = try OdooTestServer(version: version)
        self.server = server
        var all: [String: Any] = ["aliases": ["sales@acme.test": "crm.lead"]]
        all.merge(settings) { $1 }
        try server.configure(all)
        return server
    }

    /// The config: `[odoo]` on the running server (or `url`), then `aliases`.
    func config(url: String? = nil, key: String = "test-key", odoo extra: String = "", aliases: String = aliases) throws -> Config {
        let path = directory.file("mailgate.toml")
        try """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [odoo]
            url = "\(url ?? server!.url)"
            database = "acme"
            user = "mailgate@acme.test"
            api_key = "\(key)"
            \(extra)

            \(aliases)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return try Config.load(path: path)
    }

    func odooChecks(_ config: Config) -> [DoctorCheck] {
        Doctor(config: config).run(only: [.odoo]).checks
    }

    func check(_ checks: [DoctorCheck], _ id: String, _ subject: String = "odoo", file: StaticString = #filePath,
               line: UInt = #line) throws -> DoctorCheck {
        try XCTUnwrap(checks.first { $0.id == id && $0.subject == subject }, "no \(id) for \(subject) in \(checks)",
                      file: file, line: line)
    }

    // MARK: - No Odoo alias

    func testEveryOdooCheckIsSkippedWhenNoAliasPushesToOdoo() throws {
        let checks = odooChecks(try config(url: "http://127.0.0.1:9", aliases: """
            [alias.sales]
            model = "crm.lead"
            """))
        XCTAssertEqual(checks.map(\.id), ["odoo.aliases", "odoo.fetchmail", "odoo.models", "odoo.protocol"])
        for check in checks {
            XCTAssertEqual(check.verdict, .skip)
            XCTAssertTrue(check.found.contains("no alias pushes to Odoo"), check.found)
        }
    }

    // MARK: - odoo.aliases

    func testAliasDomainCatchallAndBounceMatchOnOdoo19And17() throws {
        for version in [19, 17] {
            try start(version: version)
            let aliases = try check(odooChecks(try config()), "odoo.aliases")
            XCTAssertEqual(aliases.verdict, .ok, "Odoo \(version): \(aliases.found)")
            XCTAssertTrue(aliases.found.contains("catchall catchall@acme.test, bounce bounce@acme.test"), aliases.found)
            XCTAssertNil(aliases.fix)
            server?.stop()
        }
    }

    func testADifferentBounceAliasOrAMissingAliasDomainFails() throws {
        try start(version: 19, ["alias_domains": [["name": "acme.test", "catchall_alias": "catchall", "bounce_alias": "bounces"]]])
        var aliases = try check(odooChecks(try config()), "odoo.aliases")
        XCTAssertEqual(aliases.verdict, .fail)
        XCTAssertTrue(aliases.found.contains("Odoo's bounce is bounces@acme.test"), aliases.found)
        XCTAssertTrue(aliases.fix?.contains("Bounce Alias of acme.test to \"bounce\"") == true, aliases.fix ?? "")

        try server!.configure(["alias_domains": [["name": "other.test"]]])
        aliases = try check(odooChecks(try config()), "odoo.aliases")
        XCTAssertEqual(aliases.verdict, .fail)
        XCTAssertTrue(aliases.found.contains("Odoo has no alias domain acme.test (mail.alias.domain: other.test)"), aliases.found)
        XCTAssertTrue(aliases.fix?.contains("Alias Domains") == true, aliases.fix ?? "")
    }

    func testOdoo16ComparesTheCatchallSystemParameters() throws {
        try start(version: 16)
        var aliases = try check(odooChecks(try config()), "odoo.aliases")
        XCTAssertEqual(aliases.verdict, .ok, aliases.found)

        try server!.configure(["config_parameters": ["mail.catchall.domain": "acme.example", "mail.catchall.alias": "catchall"]])
        aliases = try check(odooChecks(try config()), "odoo.aliases")
        XCTAssertEqual(aliases.verdict, .fail)
        XCTAssertTrue(aliases.found.contains("mail.catchall.domain is \"acme.example\", not acme.test"), aliases.found)
        XCTAssertTrue(aliases.fix?.contains("mail.catchall.domain to acme.test") == true, aliases.fix ?? "")
    }

    func testSystemParametersUnreadableWithoutSettingsRightsIsAWarning() throws {
        try start(version: 16, ["settings_rights": false])
        let aliases = try check(odooChecks(try config()), "odoo.aliases")
        XCTAssertEqual(aliases.verdict, .warn)
        XCTAssertTrue(aliases.found.contains("needs Settings rights"), aliases.found)
        XCTAssertTrue(aliases.found.contains("'System Parameter' (ir.config_parameter)"), aliases.found)
        XCTAssertNotNil(aliases.fix)
    }

    // MARK: - odoo.fetchmail

    func testAConfirmedFetchmailServerOnAMailgateMailboxFails() throws {
        for version in [19, 17] {
            try start(version: version, ["fetchmail_servers": [
                ["name": "Sales inbox", "server": "IMAP.Acme.Test", "port": 993, "user": "sales@acme.test", "state": "done"],
            ]])
            let fetchmail = try check(odooChecks(try config()), "odoo.fetchmail")
            XCTAssertEqual(fetchmail.verdict, .fail, "Odoo \(version)")
            XCTAssertTrue(fetchmail.found.contains("\"Sales inbox\" (fetchmail.server 1, imap)"), fetchmail.found)
            XCTAssertTrue(fetchmail.found.contains("the mailbox of alias sales"), fetchmail.found)
            XCTAssertTrue(fetchmail.fix?.contains("Settings → Technical → Incoming Mail Servers") == true, fetchmail.fix ?? "")
            server?.stop()
        }
    }

    func testDraftArchivedOrOtherMailboxFetchmailServersPass() throws {
        try start(version: 17, ["fetchmail_servers": [
            ["name": "Draft", "server": "imap.acme.test", "port": 993, "user": "sales@acme.test", "state": "draft"],
            ["name": "Archived", "server": "imap.acme.test", "port": 993, "user": "sales@acme.test", "active": false],
            ["name": "Local", "server": "imap.acme.test", "port": 993, "user": "sales@acme.test", "server_type": "local"],
            ["name": "Other port", "server": "imap.acme.test", "port": 143, "user": "sales@acme.test"],
            ["name": "Jobs", "server": "imap.acme.test", "port": 993, "user": "jobs@acme.test"],
        ]])
        let fetchmail = try check(odooChecks(try config()), "odoo.fetchmail")
        XCTAssertEqual(fetchmail.verdict, .ok, fetchmail.found)
        XCTAssertTrue(fetchmail.found.contains("\"Other port\""), "the confirmed ones are named: \(fetchmail.found)")
        XCTAssertFalse(fetchmail.found.contains("Draft"), fetchmail.found)
    }

    func testFetchmailUnreadableWithoutSettingsRightsWarnsOnBothProtocols() throws {
        for version in [19, 17] {
            try start(version: version, ["settings_rights": false, "fetchmail_servers": [
                ["name": "Sales inbox", "server": "imap.acme.test", "port": 993, "user": "sales@acme.test"],
            ]])
            let checks = odooChecks(try config())
            let fetchmail = try check(checks, "odoo.fetchmail")
            XCTAssertEqual(fetchmail.verdict, .warn, "Odoo \(version): \(fetchmail.found)")
            XCTAssertTrue(fetchmail.found.hasPrefix("cannot check fetchmail.server: needs Settings rights"), fetchmail.found)
            XCTAssertTrue(fetchmail.found.contains("'Incoming Mail Server' (fetchmail.server)"), fetchmail.found)
            XCTAssertTrue(fetchmail.fix?.contains("imap.acme.test:993 sales@acme.test") == true, fetchmail.fix ?? "")
            XCTAssertEqual(try check(checks, "odoo.aliases").verdict, .ok, "mail.alias.domain is readable by internal users")
            server?.stop()
        }
    }

    func testOdoo16WithoutTheFetchmailModuleFetchesNothingItself() throws {
        try start(version: 16, ["fetchmail_installed": false])
        let fetchmail = try check(odooChecks(try config()), "odoo.fetchmail")
        XCTAssertEqual(fetchmail.verdict, .ok, fetchmail.found)
        XCTAssertTrue(fetchmail.found.contains("the fetchmail module is not installed"), fetchmail.found)
    }

    // MARK: - odoo.models

    func testAnAliasWithItsModelAndOdooAliasPasses() throws {
        for version in [19, 17, 16] {
            try start(version: version)
            let checks = odooChecks(try config())
            let sales = try check(checks, "odoo.models", "sales")
            XCTAssertEqual(sales.verdict, .ok, "Odoo \(version): \(sales.found)")
            XCTAssertTrue(sales.found.contains("Odoo's alias sales@acme.test creates crm.lead"), sales.found)
            XCTAssertEqual(try check(checks, "odoo.models", "catchall").verdict, .skip, "the catchall is the alias domain's")
            server?.stop()
        }
    }

    func testAMissingOdooAliasOrModelFailsAndAnUnreadableModelWarns() throws {
        try start(version: 19, ["aliases": ["sales@acme.test": "crm.lead"], "models": ["crm.lead", "res.partner"]])
        let aliases = Self.aliases + """

            [alias.support]
            model = "helpdesk.ticket"
            target = "odoo"

            [alias.jobs]
            model = "crm.lead"
            target = "odoo"
            """
        var checks = odooChecks(try config(aliases: aliases))
        let support = try check(checks, "odoo.models", "support")
        XCTAssertEqual(support.verdict, .fail)
        XCTAssertTrue(support.found.contains("Odoo has no model helpdesk.ticket"), support.found)
        let jobs = try check(checks, "odoo.models", "jobs")
        XCTAssertEqual(jobs.verdict, .fail)
        XCTAssertTrue(jobs.found.hasPrefix("Odoo has no mail.alias for jobs@acme.test"), jobs.found)
        XCTAssertTrue(jobs.fix?.contains("create the alias jobs@acme.test creating crm.lead") == true, jobs.fix ?? "")

        try server!.configure(["aliases": ["sales@acme.test": "res.partner"], "unreadable_models": ["crm.lead"]])
        checks = odooChecks(try config())
        let sales = try check(checks, "odoo.models", "sales")
        XCTAssertEqual(sales.verdict, .warn, sales.found)
        XCTAssertTrue(sales.found.contains("may not read crm.lead"), sales.found)

        try server!.configure(["unreadable_models": [] as [String]])
        let moved = try check(odooChecks(try config()), "odoo.models", "sales")
        XCTAssertEqual(moved.verdict, .fail)
        XCTAssertTrue(moved.found.contains("creates res.partner, the config says crm.lead"), moved.found)
    }

    // MARK: - odoo.protocol

    func testJSON2OnOdoo19AndXMLRPCOnOdoo17Pass() throws {
        for (version, expected) in [(19, "JSON-2 (Odoo 19.0)"), (17, "XML-RPC (Odoo 17.0 has no JSON-2")] {
            try start(version: version)
            let proto = try check(odooChecks(try config()), "odoo.protocol")
            XCTAssertEqual(proto.verdict, .ok)
            XCTAssertTrue(proto.found.hasPrefix(expected), proto.found)
            server?.stop()
        }
    }

    func testXMLRPCWhereOdooOffersJSON2Warns() throws {
        let server = try start(version: 19)
        let checks = odooChecks(try config(odoo: "protocol = \"xmlrpc\""))
        let proto = try check(checks, "odoo.protocol")
        XCTAssertEqual(proto.verdict, .warn)
        XCTAssertTrue(proto.found.contains("XML-RPC while Odoo 19.0 offers JSON-2"), proto.found)
        XCTAssertTrue(proto.fix?.contains("protocol = \"auto\"") == true, proto.fix ?? "")
        XCTAssertEqual(try server.counter("json2"), 0, "the reads went over XML-RPC too")
        XCTAssertEqual(try check(checks, "odoo.models", "sales").verdict, .ok)
    }

    func testProtocolJSON2OnOdoo17Fails() throws {
        try start(version: 17)
        let checks = odooChecks(try config(odoo: "protocol = \"json2\""))
        let proto = try check(checks, "odoo.protocol")
        XCTAssertEqual(proto.verdict, .fail)
        XCTAssertTrue(proto.found.contains("Odoo 17.0 has no JSON-2 API"), proto.found)
        XCTAssertTrue(proto.fix?.contains("protocol = \"auto\"") == true, proto.fix ?? "")
    }

    // MARK: - several servers

    func testEachServerIsAskedAboutItsOwnAliasesUnderItsOwnName() throws {
        let eu = try start(version: 19)
        let us = try OdooTestServer(version: 17)
        defer { us.stop() }
        try us.configure(["aliases": ["support@acme.test": "helpdesk.ticket"],
                          "alias_domains": [["name": "acme.test", "catchall_alias": "catchall", "bounce_alias": "bounce"]]])
        let path = directory.file("mailgate.toml")
        try """
            [defaults]
            domain = "acme.test"

            [odoo.eu]
            url = "\(eu.url)"
            api_key = "test-key"

            [odoo.us]
            url = "\(us.url)"
            database = "acme"
            user = "mailgate@acme.test"
            api_key = "test-key"

            [alias.sales]
            model = "crm.lead"
            target = "odoo"
            odoo = "eu"

            [alias.support]
            model = "helpdesk.ticket"
            target = "odoo"
            odoo = "us"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let checks = odooChecks(try Config.load(path: path))
        XCTAssertEqual(checks.filter { $0.id == "odoo.protocol" }.map(\.subject).sorted(), ["odoo.eu", "odoo.us"])
        XCTAssertEqual(try check(checks, "odoo.protocol", "odoo.eu").found, "JSON-2 (Odoo 19.0)")
        XCTAssertTrue(try check(checks, "odoo.protocol", "odoo.us").found.hasPrefix("XML-RPC (Odoo 17.0"))
        XCTAssertEqual(try check(checks, "odoo.models", "sales").verdict, .ok, "sales@ is eu's alias")
        XCTAssertEqual(try check(checks, "odoo.models", "support").verdict, .ok, "support@ is us's alias")
        XCTAssertEqual(checks.filter { $0.verdict == .fail }, [])
    }

    // MARK: - unreachable, refused

    func testAnUnreachableOdooOrARefusedKeyFailsEveryCheckWithTheReason() throws {
        let port = try unusedLoopbackPort()
        var checks = odooChecks(try config(url: "http://127.0.0.1:\(port)"))
        XCTAssertEqual(Set(checks.map(\.id)), ["odoo.aliases", "odoo.fetchmail", "odoo.models", "odoo.protocol"])
        for check in checks {
            XCTAssertEqual(check.verdict, .fail)
            XCTAssertTrue(check.found.hasPrefix("cannot reach Odoo at http://127.0.0.1:\(port)"), check.found)
            XCTAssertTrue(check.fix?.contains("check url in [odoo]") == true, check.fix ?? "")
        }

        for version in [19, 17] {
            try start(version: version)
            checks = odooChecks(try config(key: "wrong-key"))
            XCTAssertEqual(checks.count, 4)
            for check in checks {
                XCTAssertEqual(check.verdict, .fail, "Odoo \(version)")
                XCTAssertTrue(check.found.contains("refused the login"), check.found)
                XCTAssertTrue(check.fix?.contains("API key") == true, check.fix ?? "")
            }
            server?.stop()
        }
    }

    // MARK: - the command

    func testDoctorOnlyOdooJSONFromTheCommandLine() throws {
        try start(version: 19, ["fetchmail_servers": [
            ["name": "Sales inbox", "server": "imap.acme.test", "port": 993, "user": "sales@acme.test"],
        ]])
        _ = try config()
        let run = try runMailgate(args: ["doctor", "--only", "odoo", "--json", "--config", directory.file("mailgate.toml")])
        XCTAssertEqual(run.exitCode, 1, "a failed check: \(run.stderr)")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        let verdicts = Dictionary(checks.map { ("\($0["id"]!) \($0["subject"]!)", $0["verdict"] as? String) }) { a, _ in a }
        XCTAssertEqual(verdicts["odoo.aliases odoo"], "ok")
        XCTAssertEqual(verdicts["odoo.fetchmail odoo"], "fail")
        XCTAssertEqual(verdicts["odoo.models sales"], "ok")
        XCTAssertEqual(verdicts["odoo.protocol odoo"], "ok")
        XCTAssertTrue(checks.allSatisfy { ($0["id"] as? String)?.hasPrefix("odoo.") == true }, "--only odoo: \(checks)")
        XCTAssertFalse(run.stdout.contains("test-key"), "the key is never shown")
    }
}
