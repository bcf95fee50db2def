import Foundation
@testable import Gateway
import MailSource
import TestSupport
import XCTest

/// `mailgate run` with short-lived tokens: the IDLE session logs in again before each token
/// expires and keeps fetching through the refreshes and rotations. The test waits for the
/// service's log lines, never for a time.
final class OAuthRunTests: XCTestCase {
    func testIdleSessionRenewsItsTokenAndKeepsFetching() throws {
        let f = try OAuthFixture(oauthExtra: "refresh_before = \"1s\"")
        try f.server.call("lifetime", ["seconds": "3"])
        defer { _ = try? f.server.call("lifetime", ["seconds": "3600"]) }
        try f.signInByDeviceCode()
        let before = try f.refreshCount()
        let run = try f.background("run")
        _ = try run.waitForLine(onStderr: true) { $0.contains("IDLE session up") && $0.contains("alias=\(f.alias)") }
        try f.deliver(1)
        _ = try run.waitForLine(onStderr: true) { $0.contains("alias=\(f.alias) fetched=1 ") }
        // Two renewals: each a refresh with the refresh token the previous one rotated in.
        try run.waitForLines(onStderr: true, count: 2) { $0.contains("logs in again with a fresh OAuth2 token") }
        try f.deliver(1, from: 2)
        try run.waitForLines(onStderr: true, count: 2) { $0.contains("alias=\(f.alias) fetched=1 ") }
        run.process.terminate()
        let result = run.finish()
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertGreaterThanOrEqual(try f.refreshCount() - before, 2)
        XCTAssertFalse(result.stderr.contains("error"), result.stderr)
        try f.assertNoTokenIn([result.stdout, result.stderr])
    }

    func testExchangeNotConnectedNamesTheMissingGrant() {
        let error = MailboxLogin.exchangeNotConnected("User is authenticated but not connected.", user: "sales@acme.test")
        XCTAssertEqual(error?.exitCode, 77)
        XCTAssertTrue(error?.message.contains("Add-MailboxPermission") ?? false)
        XCTAssertTrue(error?.message.contains("IMAP.AccessAsApp") ?? false)
        XCTAssertNil(MailboxLogin.exchangeNotConnected("AUTHENTICATE failed.", user: "u"))
    }
}
