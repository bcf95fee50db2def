import Foundation
@testable import MailStore
import XCTest

/// The `oauth_tokens` row: one refresh at a time across processes, rotation saved with the
/// lease's release, a dead owner's lease taken over.
final class OAuthTokenStoreTests: TemporaryDirectoryTestCase {
    func testOneRefreshAtATimeAndRotationSavedAtomically() throws {
        let store = try Store(path: directory + "/m.sqlite")
        let due: (OAuthTokenRow?) -> Bool = { _ in true }
        guard case .yours(nil) = try store.takeOAuthRefreshTurn(name: "m365", user: "u", owner: "a", lease: 60, needsRefresh: due)
        else { return XCTFail("the first process must get the turn") }
        guard case .busy(let holder, _) = try store.takeOAuthRefreshTurn(name: "m365", user: "u", owner: "b", lease: 60,
                                                                         ownerIsGone: { _ in false }, needsRefresh: due)
        else { return XCTFail("the second process must wait") }
        XCTAssertEqual(holder, "a")
        let expires = Date().addingTimeInterval(3600)
        try store.finishOAuthRefresh(name: "m365", user: "u", owner: "a", accessToken: "at1", refreshToken: "rt1",
                                     expiresAt: expires, obtainedAt: Date())
        // The waiting process now finds the new token current.
        guard case .current(let row) = try store.takeOAuthRefreshTurn(name: "m365", user: "u", owner: "b", lease: 60,
                                                                      needsRefresh: { $0?.accessToken == nil })
        else { return XCTFail("the token must be current") }
        XCTAssertEqual(row.refreshToken, "rt1")
        XCTAssertNil(row.refreshOwner)

        // Rotation: the new refresh token replaces the old in the same write that ends the lease.
        _ = try store.takeOAuthRefreshTurn(name: "m365", user: "u", owner: "b", lease: 60, needsRefresh: due)
        try store.finishOAuthRefresh(name: "m365", user: "u", owner: "b", accessToken: "at2", refreshToken: "rt2",
                                     expiresAt: expires, obtainedAt: Date())
        XCTAssertEqual(try store.oauthToken(name: "m365", user: "u")?.refreshToken, "rt2")
        XCTAssertFalse(try store.oauthToken(name: "m365", user: "u")!.description.contains("at2"))

        // Forgetting (invalid_grant) clears both tokens.
        _ = try store.takeOAuthRefreshTurn(name: "m365", user: "u", owner: "b", lease: 60, needsRefresh: due)
        try store.finishOAuthRefresh(name: "m365", user: "u", owner: "b", accessToken: nil, refreshToken: "rt2",
                                     expiresAt: nil, obtainedAt: nil)
        let cleared = try store.oauthToken(name: "m365", user: "u")
        XCTAssertNil(cleared?.accessToken)
        XCTAssertNil(cleared?.refreshToken)
        XCTAssertTrue(try store.deleteOAuthToken(name: "m365", user: "u"))
        XCTAssertNil(try store.oauthToken(name: "m365", user: "u"))
    }

    func testADeadOwnersLeaseIsTakenOver() throws {
        let store = try Store(path: directory + "/m.sqlite")
        _ = try store.takeOAuthRefreshTurn(name: "g", user: "u", owner: "dead", lease: 600, needsRefresh: { _ in true })
        guard case .yours = try store.takeOAuthRefreshTurn(name: "g", user: "u", owner: "alive", lease: 600,
                                                           ownerIsGone: { $0 == "dead" }, needsRefresh: { _ in true })
        else { return XCTFail("a dead owner's lease must be taken over") }
        try store.abandonOAuthRefresh(name: "g", user: "u", owner: "alive")
        XCTAssertNil(try store.oauthToken(name: "g", user: "u")?.refreshOwner)
        XCTAssertTrue(try store.appliedMigrations().contains("v4-oauth-tokens"))
    }
}
