import Foundation
import Gateway
import TestSupport
import XCTest

/// `mailgate doctor`'s `mailbox.login` against the test Dovecot, its output shapes and its exit
/// codes (0 nothing failed, 1 a check failed, 78 a broken config).
final class DoctorMailboxTests: XCTestCase {
    private func checks(_ run: MailgateRun) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(object?["checks"] as? [[String: Any]], run.stdout + run.stderr)
    }

    func testLoginsThatWorkAreOkAndExitZero() throws {
        for proto in [FetchFixture.Proto.imaps, .pop3s] {
            let fixture = try FetchFixture(proto)
            let run = try fixture.mailgate("doctor", "--only", "mailbox", "--json")
            XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
            let found = try checks(run)
            XCTAssertEqual(found.count, 1)
            XCTAssertEqual(found.first?["id"] as? String, "mailbox.login")
            XCTAssertEqual(found.first?["subject"] as? String, "jobs")
            XCTAssertEqual(found.first?["verdict"] as? String, "ok", "\(proto)")
            XCTAssertTrue(found.first?["fix"] is NSNull, "an ok check has fix null")
            XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.path + "/mailgate.sqlite"),
                           "doctor must not create the store (run as root before the service, it would own it)")
        }
    }

    func testAWrongPasswordFailsWithItsFixAndExitsOne() throws {
        let fixture = try FetchFixture(.imaps, password: "not-the-password")
        let run = try fixture.mailgate("doctor", "--only", "mailbox", "--json")
        XCTAssertEqual(run.exitCode, 1, run.stdout + run.stderr)
        let check = try XCTUnwrap(try checks(run).first)
        XCTAssertEqual(check["verdict"] as? String, "fail")
        XCTAssertTrue((check["found"] as? String ?? "").contains("login"), "\(check)")
        XCTAssertTrue((check["fix"] as? String ?? "").contains("mailgate check --alias jobs"), "\(check)")
        XCTAssertFalse(run.stdout.contains("not-the-password"), "a secret never appears in the output")

        let table = try fixture.mailgate("doctor", "--only", "mailbox")
        XCTAssertEqual(table.exitCode, 1)
        XCTAssertTrue(table.stdout.contains("✗ mailbox.login  jobs"), table.stdout)
        XCTAssertTrue(table.stdout.contains("fix: check the user and secret"), table.stdout)
        XCTAssertTrue(table.stdout.contains("1 checks: 0 ok, 0 warning(s), 1 failed"), table.stdout)
    }

    func testASecretThatCannotBeReadIsAFailedLoginNotABrokenConfig() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/mailgate.toml"
        try """
            [defaults]
            domain = "acme.test"
            [alias.sales]
            url = "imaps://127.0.0.1:9/INBOX"
            user = "sales@acme.test"
            password_env = "MAILGATE_DOCTOR_TEST_UNSET"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try runMailgate(args: ["doctor", "--only", "mailbox", "--json", "--config", path],
                                  env: ["MAILGATE_DOCTOR_TEST_UNSET": ""])
        XCTAssertEqual(run.exitCode, 1, run.stdout + run.stderr)
        let check = try XCTUnwrap(try checks(run).first)
        XCTAssertEqual(check["verdict"] as? String, "fail")
        XCTAssertTrue((check["found"] as? String ?? "").contains("MAILGATE_DOCTOR_TEST_UNSET is not set"), "\(check)")
        XCTAssertTrue((check["fix"] as? String ?? "").hasPrefix("set the environment variable MAILGATE_DOCTOR_TEST_UNSET"), "\(check)")
    }

    func testARoutingOnlyConfigSkipsTheLogin() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/mailgate.toml"
        try "[defaults]\ndomain = \"acme.test\"\n[alias.sales]\nmodel = \"crm.lead\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try runMailgate(args: ["doctor", "--only", "mailbox", "--json", "--config", path])
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(try checks(run).first?["verdict"] as? String, "skip")
    }

    func testABrokenDoctorTableNamesTheKeyAndExits78() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/mailgate.toml"
        try "[doctor]\nnameserver = \"dns.example\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try runMailgate(args: ["doctor", "--config", path])
        XCTAssertEqual(run.exitCode, 78)
        XCTAssertTrue(run.stderr.contains("nameserver"), run.stderr)

        try "[doctor]\nspf_includes = [\"_spf.odoo.com\"]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let misspelt = try runMailgate(args: ["doctor", "--config", path])
        XCTAssertEqual(misspelt.exitCode, 78)
        XCTAssertTrue(misspelt.stderr.contains("did you mean \"spf_include\""), misspelt.stderr)
    }

    func testTheNameserverAddressForms() {
        XCTAssertEqual(DoctorConfig.nameserverAddress("127.0.0.1:5353")?.port, 5353)
        XCTAssertEqual(DoctorConfig.nameserverAddress("127.0.0.1")?.port, 53)
        XCTAssertEqual(DoctorConfig.nameserverAddress("[::1]:5353")?.host, "::1")
        XCTAssertEqual(DoctorConfig.nameserverAddress("::1")?.port, 53)
        XCTAssertNil(DoctorConfig.nameserverAddress("localhost:53"))
        XCTAssertNil(DoctorConfig.nameserverAddress("127.0.0.1:0"))
        XCTAssertNil(DoctorConfig.nameserverAddress("[::1"))
    }
}
