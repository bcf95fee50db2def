import Foundation
import MIME
import MailStore

/// The state of an OAuth2 alias's token for `status` (never the token itself).
public struct OAuthTokenStatus: Sendable, Equatable {
    /// `[oauth.NAME]`.
    public var name: String
    /// `valid` (the access token works until `validUntil`), `refreshable` (it expired, a
    /// refresh token or an app grant renews it at the next connect) or `needs-sign-in`.
    public var state: String
    public var validUntil: Date?

    public init(name: String, row: OAuthTokenRow?, appOnly: Bool, now: Date = Date()) {
        self.name = name
        if let row, row.accessToken != nil, let expires = row.expiresAt, expires > now {
            state = "valid"
            validUntil = expires
        } else if row?.refreshToken != nil || appOnly {
            state = "refreshable"
        } else {
            state = "needs-sign-in"
        }
    }

    var json: JSONValue {
        .object([("name", .string(name)), ("state", .string(state)), ("valid_until", .string(validUntil.map(iso8601)))])
    }

    func humanText(alias: String) -> String {
        switch state {
        case "valid": return "oauth [\(name)]: token valid until \(validUntil.map(iso8601) ?? "?")"
        case "refreshable": return "oauth [\(name)]: token expired, renewed at the next connect"
        default: return "oauth [\(name)]: needs sign-in (mailgate oauth login --alias \(alias))"
        }
    }
}

extension Poller {
    /// The token state of an `oauth = "NAME"` alias; nil for password aliases.
    func oauthStatus(of alias: AliasConfig, now: Date = Date()) throws -> OAuthTokenStatus? {
        guard let mailbox = alias.mailbox, case .oauth(let name) = mailbox.secret else { return nil }
        let appOnly = config.oauth(named: name).map { !$0.grant.needsSignIn } ?? false
        return OAuthTokenStatus(name: name, row: try store.oauthToken(name: name, user: mailbox.user),
                                appOnly: appOnly, now: now)
    }
}
