import Foundation
import OAuth

/// One `[oauth.NAME]` table: an application registration at Microsoft Entra, Google Cloud or
/// another OAuth2 server, which aliases name with `oauth = "NAME"`. Secrets are sources,
/// read at each use (`client(environment:)`).
public struct OAuthConfig: Equatable, Sendable {
    /// NAME in `[oauth.NAME]`.
    public var name: String
    public var file: String
    public var directory: String
    public var provider: OAuthProvider
    /// Microsoft: the tenant id or domain (`organizations` by default, delegated sign-in only).
    public var tenant: String?
    /// Empty for `service_account` (the key file names the account).
    public var clientID: String
    /// `client_secret`, `client_secret_env`, `client_secret_file` or `client_secret_command`.
    public var clientSecret: SecretSource?
    public var grant: OAuthClient.Grant
    public var scopes: [String]
    public var tokenURL: String
    public var deviceAuthorizationURL: String?
    public var authorizationURL: String?
    /// `service_account_key_file`/`_env`/`_command`: the JSON key of a Google service account.
    public var serviceAccountKey: SecretSource?
    /// PEM file of the CAs to trust for the endpoints (`tls_ca_file`).
    public var caFile: String?
    /// Refresh this many seconds before the access token expires (`refresh_before`, default 5 min).
    public var refreshBefore: TimeInterval
    /// Seconds a token endpoint request may take (`timeout`, default 30).
    public var timeout: TimeInterval

    /// The registration as OAuth uses it, with its secrets read now. Errors name the key.
    public func client(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> OAuthClient {
        let secret = try clientSecret.map { source throws(ConfigError) in
            try resolve(source, prefix: "client_secret", environment: environment)
        }
        let key = try serviceAccountKey.map { source throws(ConfigError) in
            Array(try resolve(source, prefix: "service_account_key", environment: environment).utf8)
        }
        return OAuthClient(name: name, provider: provider, grant: grant, clientID: clientID, clientSecret: secret,
                           scopes: scopes, tokenURL: tokenURL, deviceAuthorizationURL: deviceAuthorizationURL,
                           authorizationURL: authorizationURL, serviceAccountKey: key,
                           http: HTTPClient(caFile: caFile, timeout: timeout))
    }

    /// The configuration key of `source` under `prefix` (`password_env` → `client_secret_env`).
    static func key(_ source: SecretSource, prefix: String) -> String {
        prefix + source.key.dropFirst("password".count)
    }

    private func resolve(_ source: SecretSource, prefix: String, environment: [String: String]) throws(ConfigError) -> String {
        do {
            return try source.resolve(file: file, alias: name, directory: directory, environment: environment)
        } catch {
            throw ConfigError(file: file, section: "oauth.\(name)", key: Self.key(source, prefix: prefix), message: error.message)
        }
    }
}

extension Config {
    /// The `[oauth.NAME]` table with this name.
    public func oauth(named name: String) -> OAuthConfig? {
        oauth.first { $0.name == name }
    }
}
