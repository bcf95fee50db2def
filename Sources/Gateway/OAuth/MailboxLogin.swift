import Foundation
import MailSource
import MailStore
import OAuth

/// What an alias logs in with: its password (read at each connect), or for `oauth = "NAME"`
/// a current OAuth2 access token from the store, refreshed `refresh_before` ahead of its
/// expiry and once more when the server refuses it.
///
/// Blocking (HTTP, SQLite, password_command): use it off the cooperative pool.
public final class MailboxLogin: @unchecked Sendable {
    public let config: Config
    private var openedStore: Store?
    /// This process's name on refresh leases.
    public var owner = Store.makeLeaseOwner()
    /// Told when this process waits for another one's token refresh (a line on standard error
    /// unless replaced, e.g. by the service's logger).
    public var onWait: (String) -> Void = { FileHandle.standardError.write(Data("mailgate: \($0)\n".utf8)) }

    public init(config: Config, store: Store? = nil) {
        self.config = config
        openedStore = store
    }

    /// The secret and, for a token, when it expires and how long before that it is renewed.
    public struct Credential: Sendable {
        public var secret: String
        public var expiresAt: Date?
        /// When a session kept open (IDLE) should reconnect with a fresh token: `refresh_before`
        /// ahead of the expiry, at most half the remaining lifetime ahead. nil for passwords.
        public var renewAt: Date?
    }

    /// The secret to log in with now. OAuth2 failures arrive as `MailSourceError`
    /// (77 sign-in needed or refused, 75 token endpoint unreachable) or `ConfigError` (78).
    /// - Parameter failed: a token the server just refused (it is replaced).
    public func credential(for alias: AliasConfig, replacing failed: String? = nil) throws -> Credential {
        guard let mailbox = alias.mailbox, case .oauth = mailbox.secret else {
            return Credential(secret: try alias.resolveSecret(), expiresAt: nil, renewAt: nil)
        }
        let source = try tokenSource(for: alias)
        do {
            let (token, expires) = try source.accessToken(replacing: failed)
            let lead = min(source.refreshBefore, max(0, expires.timeIntervalSinceNow) / 2)
            return Credential(secret: token, expiresAt: expires, renewAt: expires.addingTimeInterval(-lead))
        } catch let error as OAuthError {
            throw Self.translate(error, oauth: source.client.name, file: config.file)
        }
    }

    /// Runs `body` with the alias's secret; for OAuth2, a refused login is tried once more
    /// with a token refreshed for the purpose (a token revoked or expired early).
    public func withSecret<T>(for alias: AliasConfig, _ body: (String) throws -> T) throws -> T {
        try withCredential(for: alias) { try body($0.secret) }
    }

    /// `withSecret`, handing `body` the whole credential (a session kept open needs `renewAt`).
    public func withCredential<T>(for alias: AliasConfig, _ body: (Credential) throws -> T) throws -> T {
        let first = try credential(for: alias)
        guard first.expiresAt != nil else { return try body(first) }
        do {
            return try body(first)
        } catch MailSourceError.authenticationFailed(let words) {
            if let explained = Self.exchangeNotConnected(words, user: alias.mailbox?.user ?? "") { throw explained }
            let second = try credential(for: alias, replacing: first.secret)
            do {
                return try body(second)
            } catch MailSourceError.authenticationFailed(let words) {
                throw Self.exchangeNotConnected(words, user: alias.mailbox?.user ?? "")
                    ?? MailSourceError.authenticationFailed(
                        "\(words) (with a freshly refreshed token: the account may lack mailbox access or IMAP/POP may be turned off for it)")
            }
        }
    }

    /// The token source of an `oauth = "NAME"` alias (`mailgate oauth login|logout` use it too).
    public func tokenSource(for alias: AliasConfig) throws -> AccessTokenSource {
        guard let mailbox = alias.mailbox, case .oauth(let name) = mailbox.secret else {
            throw ConfigError(file: alias.file, alias: alias.name, key: "oauth",
                              message: "the alias does not log in with OAuth2 (set oauth = \"NAME\" and an [oauth.NAME] table)")
        }
        guard let registration = config.oauth(named: name) else {
            throw ConfigError(file: alias.file, alias: alias.name, key: "oauth", message: "there is no [oauth.\(name)] table")
        }
        let client = try registration.client()
        let storage = StoreTokenStorage(store: try store(), name: name, user: mailbox.user)
        let source = AccessTokenSource(client: client, alias: alias.name, user: mailbox.user, storage: storage,
                                       refreshBefore: registration.refreshBefore, owner: owner)
        source.onWait = onWait
        return source
    }

    /// Forgets the alias's stored token. Returns whether one was stored.
    public func forget(_ alias: AliasConfig) throws -> Bool {
        let source = try tokenSource(for: alias)
        return try store().deleteOAuthToken(name: source.client.name, user: source.user)
    }

    func store() throws -> Store {
        if let openedStore { return openedStore }
        let store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        openedStore = store
        return store
    }

    static func translate(_ error: OAuthError, oauth name: String, file: String) -> Error {
        switch error {
        case .signInNeeded(let m), .refused(let m): return MailSourceError.authenticationFailed(m)
        case .unreachable(let m): return MailSourceError.temporary("the token endpoint of [oauth.\(name)] is unreachable: \(m)")
        case .temporary(let m): return MailSourceError.temporary(m)
        case .configuration(let m): return ConfigError(file: file, section: "oauth.\(name)", message: m)
        }
    }

    /// Exchange Online's answer when the token is good but the application may not open the
    /// mailbox (app-only access without the service principal or the mailbox permission).
    static func exchangeNotConnected(_ words: String, user: String) -> MailSourceError? {
        guard words.lowercased().contains("user is authenticated but not connected") else { return nil }
        return .authenticationFailed(
            "\(words): the token is valid but Exchange Online does not let this application into \(user)'s mailbox. "
            + "For app-only access register the application's service principal in Exchange (New-ServicePrincipal) "
            + "and grant it the mailbox (Add-MailboxPermission -AccessRights FullAccess), with IMAP.AccessAsApp or "
            + "POP.AccessAsApp admin-consented in Entra")
    }
}
