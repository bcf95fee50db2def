import Foundation

/// The token endpoint of one client (RFC 6749 3.2): every grant is a form POST that answers
/// a token (5.1) or an error (5.2).
struct TokenEndpoint {
    let client: OAuthClient

    /// POSTs `parameters` (plus the client's id and secret unless `withClient` is false).
    /// - Returns: the token, or the server's error answer (4xx with an `error` code).
    /// - Throws: `.unreachable` (no answer), `.temporary` (5xx, unreadable answer).
    func request(_ parameters: [(String, String)], withClient: Bool = true,
                 now: Date = Date()) throws(OAuthError) -> Result<OAuthToken, OAuthErrorResponse> {
        let form = parameters + (withClient ? client.clientParameters : [])
        let response = try client.http.postForm(client.tokenURL, form)
        return try Self.interpret(response, endpoint: client.tokenURL, now: now)
    }

    static func interpret(_ response: HTTPResponse, endpoint: String,
                          now: Date) throws(OAuthError) -> Result<OAuthToken, OAuthErrorResponse> {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let host = EndpointURL.host(of: endpoint) ?? endpoint
        if response.status == 200 {
            guard let object, let access = object["access_token"] as? String, !access.isEmpty else {
                throw .temporary("\(host) answered 200 without an access_token")
            }
            let lifetime = (object["expires_in"] as? NSNumber)?.doubleValue
                ?? (object["expires_in"] as? String).flatMap(Double.init) ?? 3600
            return .success(OAuthToken(accessToken: access, refreshToken: object["refresh_token"] as? String,
                                       expiresAt: now.addingTimeInterval(lifetime), scope: object["scope"] as? String))
        }
        if let object, let code = object["error"] as? String, (400..<500).contains(response.status) {
            return .failure(OAuthErrorResponse(error: code, description: Self.firstLine(object["error_description"] as? String),
                                               status: response.status))
        }
        if response.status >= 500 || response.status == 429 {
            throw .temporary("\(host) answered HTTP \(response.status)")
        }
        throw .temporary("\(host) answered HTTP \(response.status) without an OAuth error")
    }

    /// Entra's descriptions run to several lines (trace ids, timestamps): the first says it.
    static func firstLine(_ text: String?) -> String? {
        guard let text else { return nil }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        return line.isEmpty ? nil : line
    }
}

extension OAuthErrorResponse {
    /// The error as an `OAuthError` for `alias` (the name in the "sign in again" hint).
    func asError(alias: String) -> OAuthError {
        switch error {
        case "invalid_grant", "interaction_required", "consent_required", "login_required":
            return .signInNeeded("the sign-in is no longer valid (\(text)); run `mailgate oauth login --alias \(alias)` again")
        case "temporarily_unavailable", "server_error", "slow_down":
            return .temporary("the authorization server is busy (\(text))")
        default:
            return .refused("the authorization server refused the request (\(text))")
        }
    }
}
