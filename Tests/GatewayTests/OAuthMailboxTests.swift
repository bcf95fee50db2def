import Foundation
import TestSupport
import XCTest

/// OAuth2 end to end: `mailgate oauth login`, then polls through real OAUTHBEARER/XOAUTH2
/// logins at the test Dovecot, whose oauth2 passdb asks the test server's introspection.
/// The server's switches stand in for time: `expire-now`, `revoke`, `hold`/`release`.
final class OAuthMailboxTests: XCTestCase {
    func testDeviceCodeSignInThenIMAPAndPOP3FetchWithTheToken() throws {
        let f = try OAuthFixture()
        let login = try f.signInByDeviceCode()
        XCTAssertTrue(login.stdout.contains("Signed in"), login.stdout)
        try f.deliver(2)
        let imap = try f.fetch()
        XCTAssertEqual(imap.run.exitCode, 0, imap.run.stdout + imap.run.stderr)
        XCTAssertEqual(imap.fetched, 2)
        try f.deliver(1, from: 3)
        let pop = try f.fetch("\(f.alias)-pop")  // same (oauth, user): the same token, no sign-in
        XCTAssertEqual(pop.run.exitCode, 0, pop.run.stdout + pop.run.stderr)
        XCTAssertEqual(pop.fetched, 3)
        let check = try f.mailgate("check", "--alias", f.alias)
        XCTAssertEqual(check.exitCode, 0, check.stdout + check.stderr)
        let status = try f.mailgate("status", "--json")
        XCTAssertTrue(status.stdout.contains(#""oauth":{"name":"test","state":"valid""#), status.stdout)
        try f.assertNoTokenIn([login.stdout, login.stderr, imap.run.stdout, imap.run.stderr, pop.run.stdout,
                               pop.run.stderr, check.stdout, check.stderr, status.stdout, status.stderr])
    }

    /// `mailgate doctor`'s mailbox.login logs in with the OAuth2 token as polls do: a failure
    /// before the sign-in (with the sign-in as its fix), ok after it.
    func testDoctorLogsInWithTheToken() throws {
        let f = try OAuthFixture()
        let before = try f.mailgate("doctor", "--only", "mailbox", "--json")
        XCTAssertEqual(before.exitCode, 1, before.stdout + before.stderr)
        XCTAssertTrue(before.stdout.contains(#""verdict":"fail""#), before.stdout)
        XCTAssertTrue(before.stdout.contains("mailgate oauth login"), before.stdout)
        try f.signInByDeviceCode()
        let after = try f.mailgate("doctor", "--only", "mailbox", "--json")
        XCTAssertEqual(after.exitCode, 0, after.stdout + after.stderr)
        XCTAssertFalse(after.stdout.contains(#""verdict":"fail""#), after.stdout)
        try f.assertNoTokenIn([after.stdout, after.stderr])
    }

    func testAuthorizationCodeSignInWithPKCEAndLoopbackRedirect() throws {
        let f = try OAuthFixture(grant: "authorization_code")
        let login = try f.background("oauth", "login", "--alias", f.alias)
        let url = try login.waitForLine { $0.hasPrefix("http://") && $0.contains("code_challenge=") }
        XCTAssertTrue(url.contains("code_challenge_method=S256"), url)
        // The "browser": follow the authorization server's redirect to mailgate's loopback listener.
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        browser.arguments = ["-s", "-L", "--max-time", "60", url]
        browser.standardOutput = FileHandle.nullDevice
        try browser.run()
        browser.waitUntilExit()
        let run = login.finish()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        try f.deliver(1)
        let fetch = try f.fetch("\(f.alias)-pop")
        XCTAssertEqual(fetch.run.exitCode, 0, fetch.run.stdout + fetch.run.stderr)
        XCTAssertEqual(fetch.fetched, 1)
    }

    func testAuthorizationCodeTakesThePastedURL() throws {
        let f = try OAuthFixture(grant: "authorization_code")
        let login = try f.background("oauth", "login", "--alias", f.alias)
        let url = try login.waitForLine { $0.hasPrefix("http://") && $0.contains("code_challenge=") }
        // The browser runs elsewhere: it ends on an address that does not load; the person pastes it.
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        browser.arguments = ["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "--max-time", "60", url]
        let out = Pipe()
        browser.standardOutput = out
        try browser.run()
        let redirect = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()
        XCTAssertTrue(redirect.contains("code="), redirect)
        login.type(redirect)
        let run = login.finish()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
    }

    func testTokenExpiredBetweenPollsIsRefreshedAndRotationKeepsWorking() throws {
        let f = try OAuthFixture()
        try f.signInByDeviceCode()
        var outputs: [String] = []
        for round in 1...3 {
            let before = try f.refreshCount()
            try f.server.call("expire-now", ["user": f.user])  // the server refuses the stored token now
            try f.deliver(1, from: round)
            let fetch = try f.fetch()
            XCTAssertEqual(fetch.run.exitCode, 0, "round \(round): " + fetch.run.stdout + fetch.run.stderr)
            XCTAssertEqual(fetch.fetched, 1, "round \(round)")
            // Exactly one refresh, with the refresh token the previous round rotated in
            // (the server accepts each refresh token once).
            XCTAssertEqual(try f.refreshCount() - before, 1, "round \(round)")
            outputs += [fetch.run.stdout, fetch.run.stderr]
        }
        let status = try f.mailgate("status", "--json")
        try f.assertNoTokenIn(outputs + [status.stdout, status.stderr])
    }

    func testInvalidGrantExits77AndSaysToSignInAgain() throws {
        let f = try OAuthFixture()
        try f.signInByDeviceCode()
        try f.server.call("revoke", ["user": f.user])
        let fetch = try f.fetch()
        XCTAssertEqual(fetch.run.exitCode, 77, fetch.run.stdout + fetch.run.stderr)
        XCTAssertTrue((fetch.run.stdout + fetch.run.stderr).contains("run `mailgate oauth login --alias \(f.alias)` again"),
                      fetch.run.stdout + fetch.run.stderr)
        let status = try f.mailgate("status", "--json")
        XCTAssertTrue(status.stdout.contains(#""state":"needs-sign-in""#), status.stdout)
        let logout = try f.mailgate("oauth", "logout", "--alias", f.alias)
        XCTAssertEqual(logout.exitCode, 0, logout.stderr)
    }

    func testUnreachableTokenEndpointExits75() throws {
        let f = try OAuthFixture()
        try f.signInByDeviceCode()
        try f.server.call("expire-now", ["user": f.user])
        try f.server.call("unreachable", ["on": "1"])
        defer { _ = try? f.server.call("unreachable", ["on": "0"]) }
        let fetch = try f.fetch()
        XCTAssertEqual(fetch.run.exitCode, 75, fetch.run.stdout + fetch.run.stderr)
        XCTAssertTrue((fetch.run.stdout + fetch.run.stderr).contains("token endpoint"), fetch.run.stdout + fetch.run.stderr)
    }

    func testNoSignInYetExits77NamingTheCommand() throws {
        let f = try OAuthFixture()
        let fetch = try f.fetch()
        XCTAssertEqual(fetch.run.exitCode, 77, fetch.run.stdout + fetch.run.stderr)
        XCTAssertTrue((fetch.run.stdout + fetch.run.stderr).contains("mailgate oauth login --alias \(f.alias)"))
    }

    /// A `fetch` of the IMAP alias and one of the POP3 alias (same user, so the same token)
    /// both find the token refused; the first refreshes while the server holds its request,
    /// the second, seen waiting for it, must not refresh on top of it.
    func testTwoProcessesDoNotBothRefresh() throws {
        let f = try OAuthFixture()
        try f.signInByDeviceCode()
        try f.deliver(1)
        let before = try f.refreshCount()
        try f.server.call("expire-now", ["user": f.user])
        try f.server.call("hold", ["on": "1"])
        defer { _ = try? f.server.call("release") }
        let first = try f.background("fetch", "--alias", f.alias)
        try f.server.call("held", ["count": "1"])  // the first process is inside its refresh
        let second = try f.background("fetch", "--alias", "\(f.alias)-pop")
        _ = try second.waitForLine(onStderr: true) { $0.contains("waiting for another mailgate process") }
        try f.server.call("release")
        let a = first.finish(), b = second.finish()
        XCTAssertEqual(a.exitCode, 0, a.stdout + a.stderr)
        XCTAssertEqual(b.exitCode, 0, b.stdout + b.stderr)
        XCTAssertEqual(try f.refreshCount() - before, 1)
        try f.assertNoTokenIn([a.stdout, a.stderr, b.stdout, b.stderr])
    }
}
