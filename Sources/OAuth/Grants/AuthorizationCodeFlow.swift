import Foundation

/// One authorization request in flight: the URL to open, and what the answer must match.
public struct AuthorizationRequest: Sendable {
    /// Open this in a browser.
    public var url: String
    public var redirectURI: String
    /// RFC 6749 10.12: the redirect must carry it back.
    public var state: String
    let pkce: PKCE
}

/// RFC 6749 4.1 authorization code grant with PKCE (RFC 7636) and a loopback redirect
/// (RFC 8252 7.3): Google's way to the mail scope.
public struct AuthorizationCodeFlow {
    public let client: OAuthClient
    public let alias: String

    public init(client: OAuthClient, alias: String) {
        self.client = client
        self.alias = alias
    }

    /// The URL a person opens; `loginHint` (the mailbox) preselects the account.
    public func begin(redirectURI: String, loginHint: String?) throws(OAuthError) -> AuthorizationRequest {
        guard let base = client.authorizationURL else {
            throw .configuration("[oauth.\(client.name)] has no authorization_url")
        }
        let pkce = try PKCE()
        let state = Base64URL.encode(try Random.bytes(16))
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", redirectURI),
            ("scope", client.scope), ("state", state),
            ("code_challenge", pkce.challenge), ("code_challenge_method", pkce.method),
        ]
        if let loginHint { query.append(("login_hint", loginHint)) }
        if client.provider == .google {
            // A refresh token only comes with offline access, and only with consent shown.
            query += [("access_type", "offline"), ("prompt", "consent")]
        }
        let url = base + (base.contains("?") ? "&" : "?") + FormEncoding.encode(query)
        return AuthorizationRequest(url: url, redirectURI: redirectURI, state: state, pkce: pkce)
    }

    /// Exchanges the code in `redirect` (the URL the browser was sent to, or just its query)
    /// for tokens. A wrong `state`, an `error=` answer or a refused code is a 77.
    public func complete(_ request: AuthorizationRequest, redirect: String) throws(OAuthError) -> OAuthToken {
        let query = FormEncoding.queryParameters(of: redirect.trimmingCharacters(in: .whitespacesAndNewlines))
        if let error = query["error"] {
            let text = query["error_description"].map { "\(error): \($0)" } ?? error
            throw .signInNeeded("the sign-in was not completed (\(text)); run `mailgate oauth login --alias \(alias)` again")
        }
        guard let code = query["code"], !code.isEmpty else {
            throw .signInNeeded("the pasted URL has no code= parameter; paste the whole address the browser ended on")
        }
        guard query["state"] == request.state else {
            throw .signInNeeded("the answer's state does not match this sign-in (an old or foreign URL?); run `mailgate oauth login --alias \(alias)` again")
        }
        let answer = try TokenEndpoint(client: client).request([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", request.redirectURI),
            ("code_verifier", request.pkce.verifier),
        ])
        switch answer {
        case .success(let token): return token
        case .failure(let error): throw error.asError(alias: alias)
        }
    }
}
