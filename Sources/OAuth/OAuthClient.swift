/// One `[oauth.NAME]` registration as OAuth uses it: which authorization server, which
/// client, which grant, which scopes. Secrets are already resolved (the caller reads
/// `client_secret_env`/`_file`/`_command` and the key file at each use).
public struct OAuthClient: Sendable {
    /// How a token is obtained.
    public enum Grant: String, Sendable, CaseIterable {
        /// RFC 8628 device authorization: a person types a code on another device.
        case deviceCode = "device_code"
        /// RFC 6749 4.1 with PKCE (RFC 7636) and a loopback redirect (RFC 8252).
        case authorizationCode = "authorization_code"
        /// RFC 6749 4.4: the application itself (Microsoft app-only access).
        case clientCredentials = "client_credentials"
        /// RFC 7523 JWT bearer assertion signed by a service account key (Google domain-wide delegation).
        case serviceAccount = "service_account"

        /// Grants that leave a refresh token to keep; the others simply ask again.
        public var needsSignIn: Bool { self == .deviceCode || self == .authorizationCode }
    }

    /// `[oauth.NAME]`'s NAME (for messages).
    public var name: String
    public var provider: OAuthProvider
    public var grant: Grant
    public var clientID: String
    /// Confidential clients only; public clients (device code, most desktop apps) have none.
    public var clientSecret: String?
    public var scopes: [String]
    public var tokenURL: String
    public var deviceAuthorizationURL: String?
    public var authorizationURL: String?
    /// The service account's JSON key file contents (`service_account` only).
    public var serviceAccountKey: [UInt8]?
    public var http: HTTPClient

    public init(name: String, provider: OAuthProvider, grant: Grant, clientID: String, clientSecret: String? = nil,
                scopes: [String], tokenURL: String, deviceAuthorizationURL: String? = nil,
                authorizationURL: String? = nil, serviceAccountKey: [UInt8]? = nil, http: HTTPClient = HTTPClient()) {
        self.name = name
        self.provider = provider
        self.grant = grant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.tokenURL = tokenURL
        self.deviceAuthorizationURL = deviceAuthorizationURL
        self.authorizationURL = authorizationURL
        self.serviceAccountKey = serviceAccountKey
        self.http = http
    }

    /// The client's own parameters of a token request (RFC 6749 2.3.1: the secret in the body).
    var clientParameters: [(String, String)] {
        var p = [("client_id", clientID)]
        if let clientSecret, !clientSecret.isEmpty { p.append(("client_secret", clientSecret)) }
        return p
    }

    var scope: String { scopes.joined(separator: " ") }
}
