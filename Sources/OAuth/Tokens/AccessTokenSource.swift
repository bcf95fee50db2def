import Foundation

/// Hands out a current access token for one (oauth name, user), refreshing it through the
/// shared `TokenStorage` so that concurrent processes take turns: the first to find it due
/// takes the refresh lease, refreshes (RFC 6749 6; a rotated refresh token is saved in the
/// same transaction that releases the lease), the others wait for its result.
///
/// Blocking (HTTP and the store): call it off the cooperative pool.
public final class AccessTokenSource: @unchecked Sendable {
    public let client: OAuthClient
    /// The alias that asks (for "run `mailgate oauth login --alias NAME`").
    public let alias: String
    /// The mailbox (the `sub` of a service account's assertion).
    public let user: String
    public let storage: TokenStorage
    /// Refresh this long before the token expires (`refresh_before`, default 5 min); capped
    /// at half the token's lifetime so that short-lived tokens are not refreshed at every use.
    public let refreshBefore: TimeInterval
    /// This process's name on the refresh lease.
    public let owner: String
    /// Told once when this process waits for another one's refresh (a log line; tests watch it).
    public var onWait: (String) -> Void = { _ in }
    /// How the wait for another process passes (its row is the only signal there is).
    public var pause: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    public var now: () -> Date = Date.init
    /// The lease outlasts the token request's timeout.
    var lease: TimeInterval { client.http.timeout + 15 }

    public init(client: OAuthClient, alias: String, user: String, storage: TokenStorage,
                refreshBefore: TimeInterval = 300, owner: String) {
        self.client = client
        self.alias = alias
        self.user = user
        self.storage = storage
        self.refreshBefore = refreshBefore
        self.owner = owner
    }

    /// A current access token and when it expires.
    /// - Parameter failed: the token a server just refused: it is replaced unless another
    ///   process already did (then that one's is returned).
    /// - Throws: `OAuthError` (77 sign-in needed / refused, 75 unreachable or busy, 78) or the
    ///   storage's error.
    public func accessToken(replacing failed: String? = nil) throws -> (token: String, expiresAt: Date) {
        var told = false
        let giveUp = now().addingTimeInterval(lease + 30)
        while true {
            let turn = try storage.takeRefreshTurn(owner: owner, lease: lease) { stored in
                self.isDue(stored, failed: failed)
            }
            switch turn {
            case .current(let stored):
                return (stored.accessToken!, stored.expiresAt!)
            case .yours(let stored):
                let token: OAuthToken
                switch Result(catching: { () throws(OAuthError) -> OAuthToken in try obtain(stored) }) {
                case .success(let obtained):
                    token = obtained
                case .failure(let error):
                    if case .signInNeeded = error, client.grant.needsSignIn {
                        try storage.finishRefresh(owner: owner, token: nil)  // the refresh token is dead
                    } else {
                        try? storage.abandonRefresh(owner: owner)
                    }
                    throw error
                }
                let saved = StoredToken(accessToken: token.accessToken,
                                        refreshToken: token.refreshToken ?? stored?.refreshToken,
                                        expiresAt: token.expiresAt, obtainedAt: now())
                try storage.finishRefresh(owner: owner, token: saved)
                return (token.accessToken, token.expiresAt)
            case .busy(let holder, let until):
                if !told {
                    onWait("waiting for another mailgate process (\(holder)) to refresh the token of [oauth.\(client.name)] for \(user)")
                    told = true
                }
                if now() >= giveUp {
                    throw OAuthError.temporary("another mailgate process (\(holder)) has been refreshing the token of [oauth.\(client.name)] for \(user) until \(until)")
                }
                pause(0.1)
            }
        }
    }

    /// Saves a token a sign-in produced (replacing whatever was stored).
    public func save(_ token: OAuthToken) throws {
        while true {
            switch try storage.takeRefreshTurn(owner: owner, lease: lease, needsRefresh: { _ in true }) {
            case .yours, .current:
                try storage.finishRefresh(owner: owner, token: StoredToken(
                    accessToken: token.accessToken, refreshToken: token.refreshToken,
                    expiresAt: token.expiresAt, obtainedAt: now()))
                return
            case .busy:
                pause(0.1)
            }
        }
    }

    /// For the grants that need no person (client credentials, service account): a new token
    /// now, stored (`mailgate oauth login` checks the setup with it).
    public func renew() throws -> OAuthToken {
        let token = try obtain(nil)
        try save(token)
        return token
    }

    /// Whether the stored token must be replaced now.
    func isDue(_ stored: StoredToken?, failed: String?) -> Bool {
        guard let stored, let access = stored.accessToken, let expires = stored.expiresAt else { return true }
        if let failed, access == failed { return true }
        var lead = refreshBefore
        if let obtained = stored.obtainedAt { lead = min(lead, expires.timeIntervalSince(obtained) / 2) }
        return expires.timeIntervalSince(now()) <= lead
    }

    /// A new token: the refresh grant when a refresh token is kept, else the grant itself
    /// when it needs no person (client credentials, service account).
    func obtain(_ stored: StoredToken?) throws(OAuthError) -> OAuthToken {
        let endpoint = TokenEndpoint(client: client)
        let answer: Result<OAuthToken, OAuthErrorResponse>
        if let refresh = stored?.refreshToken {
            var form = [("grant_type", "refresh_token"), ("refresh_token", refresh)]
            if client.provider != .google { form.append(("scope", client.scope)) }
            answer = try endpoint.request(form, now: now())
        } else {
            switch client.grant {
            case .deviceCode, .authorizationCode:
                throw .signInNeeded("no sign-in is stored for [oauth.\(client.name)] and \(user); run `mailgate oauth login --alias \(alias)`")
            case .clientCredentials:
                answer = try endpoint.request([("grant_type", "client_credentials"), ("scope", client.scope)], now: now())
            case .serviceAccount:
                guard let keyBytes = client.serviceAccountKey else {
                    throw .configuration("[oauth.\(client.name)] has no service account key")
                }
                let key = try ServiceAccountKey(json: keyBytes)
                let assertion = try JWTBearer.assertion(key: key, scope: client.scope, subject: user,
                                                        audience: client.tokenURL, now: now())
                answer = try endpoint.request([("grant_type", JWTBearer.grantType), ("assertion", assertion)],
                                              withClient: false, now: now())
            }
        }
        switch answer {
        case .success(let token): return token
        case .failure(let error): throw error.asError(alias: alias)
        }
    }
}
