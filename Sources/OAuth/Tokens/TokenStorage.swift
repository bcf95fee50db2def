import Foundation

/// A token as kept between processes (the store's row for one (oauth name, user)).
/// Printing it never shows a token.
public struct StoredToken: Sendable, Equatable, CustomStringConvertible {
    public var accessToken: String?
    public var refreshToken: String?
    public var expiresAt: Date?
    /// When the access token was obtained (its lifetime is `expiresAt - obtainedAt`).
    public var obtainedAt: Date?

    public init(accessToken: String?, refreshToken: String?, expiresAt: Date?, obtainedAt: Date?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
    }

    public var description: String {
        "stored token (hidden)\(expiresAt.map { ", valid until \($0)" } ?? "")"
    }
}

/// The answer of `TokenStorage.takeRefreshTurn`.
public enum RefreshTurn: Sendable {
    /// The stored access token is good: use it.
    case current(StoredToken)
    /// This process now holds the refresh lease; here is what is stored (nil: nothing yet).
    case yours(StoredToken?)
    /// Another process holds the refresh lease until the given time.
    case busy(owner: String, until: Date)
}

/// Where tokens live, shared by every process (the Gateway hands in the store's). Each call
/// is one transaction, so that two processes never refresh the same token together and a
/// rotated refresh token replaces the old one atomically.
public protocol TokenStorage: Sendable {
    /// In one transaction: when `needsRefresh(stored)` is false, `.current`; else when no
    /// other live owner holds the refresh lease, take it for `lease` seconds and `.yours`;
    /// else `.busy`.
    func takeRefreshTurn(owner: String, lease: TimeInterval, needsRefresh: (StoredToken?) -> Bool) throws -> RefreshTurn
    /// In one transaction: store `token` (nil: forget the tokens, a sign-in is needed) and
    /// release the lease.
    func finishRefresh(owner: String, token: StoredToken?) throws
    /// Releases the lease, keeping what is stored (the refresh failed for now).
    func abandonRefresh(owner: String) throws
}
