import Foundation
import GRDB

/// One `oauth_tokens` row. Printing it never shows a token.
public struct OAuthTokenRow: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var user: String
    public var accessToken: String?
    public var refreshToken: String?
    public var expiresAt: Date?
    public var obtainedAt: Date?
    /// The process refreshing the token now, and until when its lease runs.
    public var refreshOwner: String?
    public var refreshUntil: Date?

    public var description: String {
        "oauth token [\(name)] \(user): \(accessToken == nil ? "none" : "hidden")\(expiresAt.map { " until \($0)" } ?? "")"
    }

    init(row: Row) {
        name = row["name"]
        user = row["user"]
        accessToken = row["access_token"]
        refreshToken = row["refresh_token"]
        expiresAt = (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        obtainedAt = (row["obtained_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        refreshOwner = row["refresh_owner"]
        refreshUntil = (row["refresh_until"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}

/// The answer of `takeOAuthRefreshTurn`.
public enum OAuthRefreshTurn: Sendable {
    /// The stored token is good (`needsRefresh` said no).
    case current(OAuthTokenRow)
    /// The refresh lease is now the caller's; the row as it was (nil: there was none).
    case yours(OAuthTokenRow?)
    /// Another live process holds the refresh lease.
    case busy(owner: String, until: Date)
}

// OAuth2 tokens per (oauth name, user), shared by every process using the store; the row
// doubles as the refresh lease so that one process refreshes while the others wait.
extension Store {
    public func oauthToken(name: String, user: String) throws(StoreError) -> OAuthTokenRow? {
        try read("reading the OAuth token of [oauth.\(name)] for \(user)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM oauth_tokens WHERE name = ? AND user = ?", arguments: [name, user])
                .map(OAuthTokenRow.init(row:))
        }
    }

    /// In one transaction: `.current` when `needsRefresh(row)` is false; else takes the
    /// refresh lease for `lease` seconds when it is free, expired, already `owner`'s or held
    /// by a process `ownerIsGone` says has died (`.yours`); else `.busy`.
    public func takeOAuthRefreshTurn(name: String, user: String, owner: String, lease: TimeInterval, now: Date = Date(),
                                     ownerIsGone: (String) -> Bool = Store.leaseOwnerIsGone,
                                     needsRefresh: (OAuthTokenRow?) -> Bool) throws(StoreError) -> OAuthRefreshTurn {
        try write("taking the refresh turn of [oauth.\(name)] for \(user)") { db -> OAuthRefreshTurn in
            let t = now.timeIntervalSince1970
            let row = try Row.fetchOne(db, sql: "SELECT * FROM oauth_tokens WHERE name = ? AND user = ?",
                                       arguments: [name, user]).map(OAuthTokenRow.init(row:))
            if !needsRefresh(row), let row { return .current(row) }
            if let row, let holder = row.refreshOwner, let until = row.refreshUntil, holder != owner,
               until.timeIntervalSince1970 > t, !ownerIsGone(holder) {
                return .busy(owner: holder, until: until)
            }
            try db.execute(sql: """
                INSERT INTO oauth_tokens (name, user, refresh_owner, refresh_until, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name, user) DO UPDATE SET refresh_owner = excluded.refresh_owner,
                    refresh_until = excluded.refresh_until
                """, arguments: [name, user, owner, t + lease, t])
            return .yours(row)
        }
    }

    /// In one transaction: stores the new tokens (a rotated refresh token replaces the old one
    /// here, never earlier) and releases `owner`'s lease. `accessToken == nil` forgets both
    /// tokens: the next use needs a sign-in.
    public func finishOAuthRefresh(name: String, user: String, owner: String, accessToken: String?,
                                   refreshToken: String?, expiresAt: Date?, obtainedAt: Date?,
                                   now: Date = Date()) throws(StoreError) {
        try write("saving the OAuth token of [oauth.\(name)] for \(user)") { db in
            try db.execute(sql: """
                INSERT INTO oauth_tokens (name, user, access_token, refresh_token, expires_at, obtained_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name, user) DO UPDATE SET access_token = excluded.access_token,
                    refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                    obtained_at = excluded.obtained_at, updated_at = excluded.updated_at,
                    refresh_owner = CASE WHEN refresh_owner = ? THEN NULL ELSE refresh_owner END,
                    refresh_until = CASE WHEN refresh_owner = ? THEN NULL ELSE refresh_until END
                """, arguments: [name, user, accessToken, accessToken == nil ? nil : refreshToken,
                                 expiresAt?.timeIntervalSince1970, obtainedAt?.timeIntervalSince1970,
                                 now.timeIntervalSince1970, owner, owner])
        }
    }

    /// Releases `owner`'s refresh lease without changing the tokens.
    public func abandonOAuthRefresh(name: String, user: String, owner: String) throws(StoreError) {
        try write("releasing the refresh turn of [oauth.\(name)] for \(user)") { db in
            try db.execute(sql: """
                UPDATE oauth_tokens SET refresh_owner = NULL, refresh_until = NULL
                WHERE name = ? AND user = ? AND refresh_owner = ?
                """, arguments: [name, user, owner])
        }
    }

    /// Forgets the tokens (`mailgate oauth logout`). Returns whether there was a row.
    @discardableResult
    public func deleteOAuthToken(name: String, user: String) throws(StoreError) -> Bool {
        try write("forgetting the OAuth token of [oauth.\(name)] for \(user)") { db in
            try db.execute(sql: "DELETE FROM oauth_tokens WHERE name = ? AND user = ?", arguments: [name, user])
            return db.changesCount > 0
        }
    }
}
