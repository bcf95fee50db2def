import Foundation
import MailSource
import XCTest
@testable import Gateway

/// `mailgate fetch` logs in while the store opens (`EarlyLogins`), against the test Dovecot.
final class EarlyLoginsTests: XCTestCase {
    func testAPasswordAliasIsLoggedInAheadAndTakenOnce() throws {
        let f = try FetchFixture(.imaps, alias: "sales")
        let early = EarlyLogins(try Config.load(path: f.configPath).aliases, limit: 8)
        let login = try XCTUnwrap(try early.take("sales"), "started for a password alias")
        XCTAssertEqual(login.secret, f.dovecot.password)
        XCTAssertNotNil(try login.session.select("INBOX", readOnly: true).uidValidity, "the session is logged in")
        XCTAssertNil(try early.take("sales"), "a second poll connects itself")
        login.session.logout()
        early.closeUntaken()
    }

    func testAWrongPasswordIsThePollsOwnError() throws {
        let f = try FetchFixture(.imaps, alias: "sales", password: "nope-not-it-42")
        let early = EarlyLogins(try Config.load(path: f.configPath).aliases, limit: 8)
        XCTAssertThrowsError(try early.take("sales")) { error in
            guard case MailSourceError.authenticationFailed = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try f.fetch().run.exitCode, 77, "and fetch exits as it did")
    }

    func testOnlyTheFirstPollsOfIMAPAliasesLogInAhead() throws {
        let f = try FetchFixture(.pop3s, alias: "jobs", extra: """
            [alias.sales]
            url = "imaps://127.0.0.1:1/INBOX"
            user = "sales"
            password = "x"

            [alias.support]
            url = "imaps://127.0.0.1:1/INBOX"
            user = "support"
            password = "x"
            """)
        let aliases = try Config.load(path: f.configPath).aliases
        let early = EarlyLogins(Poller.pollingOrder(aliases), limit: 1)
        XCTAssertNil(try early.take("jobs"), "POP3 connects in its poll")
        XCTAssertThrowsError(try early.take("sales"), "the first IMAP alias was tried (nothing listens on port 1)")
        XCTAssertNil(try early.take("support"), "beyond the limit: connects in its poll")
        early.closeUntaken()
    }
}
