import Foundation
import OAuth
import TOMLKit

extension ConfigLoader {
    static let oauthKeys = ["provider", "tenant", "client_id", "grant", "scopes", "token_url", "device_authorization_url",
                            "authorization_url", "tls_ca_file", "refresh_before", "timeout"]
        + clientSecretKeys + serviceAccountKeyKeys
    static let clientSecretKeys = ["client_secret", "client_secret_env", "client_secret_file", "client_secret_command"]
    static let serviceAccountKeyKeys = ["service_account_key_file", "service_account_key_env", "service_account_key_command"]
    /// Entra's tenant placeholders that only work for delegated (signed-in) access.
    static let multiTenant = ["organizations", "common", "consumers"]

    /// The `[oauth.NAME]` tables, in name order.
    func oauthTables(_ top: Reader) throws(ConfigError) -> [OAuthConfig] {
        guard let table = try top.table("oauth") else { return [] }
        var result: [OAuthConfig] = []
        for name in table.keys.sorted() {
            guard let sub = table[name]?.table else {
                throw ConfigError(file: file, section: "oauth.\(name)", message: "must be a table ([oauth.\(name)] with keys below it)")
            }
            result.append(try oauth(name, Reader(sub, loader: self, section: "oauth.\(name)", known: Self.oauthKeys)))
        }
        return result
    }

    private func oauth(_ name: String, _ reader: Reader) throws(ConfigError) -> OAuthConfig {
        guard let provider = try reader.choice("provider", OAuthProvider.self) else {
            throw reader.error("provider", "is missing: one of \(OAuthProvider.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let grant = try reader.choice("grant", OAuthClient.Grant.self)
            ?? (provider == .google ? .authorizationCode : .deviceCode)
        if provider == .google, grant == .deviceCode {
            throw reader.error("grant", "Google does not allow the mail scope (https://mail.google.com/) in its device flow; "
                               + "use \"authorization_code\" (or \"service_account\" for Workspace domain-wide delegation)")
        }
        if provider == .microsoft, grant == .serviceAccount {
            throw reader.error("grant", "\"service_account\" is Google's; Microsoft app-only access is \"client_credentials\"")
        }
        let tenant = try reader.string("tenant", nonEmpty: true)
        if tenant != nil, provider != .microsoft {
            throw reader.error("tenant", "only applies to provider = \"microsoft\"")
        }
        if provider == .microsoft, grant == .clientCredentials,
           Self.multiTenant.contains((tenant ?? OAuthProvider.defaultTenant).lowercased()) {
            throw reader.error("tenant", "client_credentials needs your tenant id or domain (e.g. \"acme.onmicrosoft.com\"), "
                               + "not \"\(tenant ?? OAuthProvider.defaultTenant)\"")
        }
        let clientID = try reader.string("client_id", nonEmpty: true)
        if clientID == nil, grant != .serviceAccount {
            throw reader.error("client_id", "is missing: the application (client) id of the registration")
        }
        let clientSecret = try secretSource(reader, keys: Self.clientSecretKeys, prefix: "client_secret")
        if grant == .clientCredentials, clientSecret == nil {
            throw reader.error("client_secret", "is missing: client_credentials needs one of \(Self.clientSecretKeys.joined(separator: ", "))")
        }
        let key = try secretSource(reader, keys: Self.serviceAccountKeyKeys, prefix: "service_account_key")
        if grant == .serviceAccount, key == nil {
            throw reader.error("service_account_key_file", "is missing: service_account needs the account's JSON key "
                               + "(one of \(Self.serviceAccountKeyKeys.joined(separator: ", ")))")
        }
        if grant != .serviceAccount, let present = Self.serviceAccountKeyKeys.first(where: { reader.table.contains(key: $0) }) {
            throw reader.error(present, "only applies to grant = \"service_account\"")
        }

        let preset = provider.endpoints(tenant: tenant ?? OAuthProvider.defaultTenant)
        func url(_ key: String, _ fallback: String?, required: Bool) throws(ConfigError) -> String? {
            guard let value = try reader.string(key, nonEmpty: true) ?? fallback else {
                if required { throw reader.error(key, "is missing (provider = \"generic\" has no preset endpoints)") }
                return nil
            }
            if let problem = EndpointURL.problem(with: value) { throw reader.error(key, problem) }
            return value
        }
        let tokenURL = try url("token_url", preset?.token, required: true)!
        let deviceURL = try url("device_authorization_url", preset?.device, required: grant == .deviceCode)
        let authorizationURL = try url("authorization_url", preset?.authorization, required: grant == .authorizationCode)
        let scopes = try reader.stringArray("scopes") ?? provider.scopes(for: grant)
        guard let scopes, !scopes.isEmpty else {
            throw reader.error("scopes", "is missing: a list like scopes = [\"…\", \"…\"] (provider = \"generic\" has no preset)")
        }
        let caFile = try reader.path("tls_ca_file")
        if let caFile, access(caFile, R_OK) != 0 {
            throw reader.error("tls_ca_file", "cannot read \(caFile): \(String(cString: strerror(errno)))")
        }
        return OAuthConfig(name: name, file: file, directory: directory, provider: provider, tenant: tenant,
                           clientID: clientID ?? "", clientSecret: clientSecret, grant: grant, scopes: scopes,
                           tokenURL: tokenURL, deviceAuthorizationURL: deviceURL, authorizationURL: authorizationURL,
                           serviceAccountKey: key, caFile: caFile,
                           refreshBefore: try reader.duration("refresh_before") ?? 300,
                           timeout: try reader.duration("timeout", positive: true) ?? 30)
    }

    /// An alias's `oauth = "NAME"` and `auth`: the registration must exist, no password key
    /// may be given, and `auth` is auto (OAUTHBEARER when offered, else XOAUTH2), xoauth2 or
    /// oauthbearer.
    func oauthLogin(_ reader: Reader, registrations: [OAuthConfig]) throws(ConfigError) -> (SecretSource, AliasConfig.Auth)? {
        guard let name = try reader.string("oauth", nonEmpty: true) else { return nil }
        guard registrations.contains(where: { $0.name == name }) else {
            let known = registrations.map(\.name)
            throw reader.error("oauth", "there is no [oauth.\(name)] table"
                               + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"))
        }
        if let password = Self.secretKeys.first(where: { reader.table.contains(key: $0) }) {
            throw reader.error(password, "an alias with oauth = \"\(name)\" logs in with a token; remove \(password)")
        }
        let auth: AliasConfig.Auth
        switch try reader.string("auth") {
        case nil, "auto": auth = .oauth2
        case "xoauth2": auth = .xoauth2
        case "oauthbearer": auth = .oauthbearer
        case let other?: throw reader.error("auth", "\"\(other)\" is not one of auto, xoauth2, oauthbearer (with oauth)")
        }
        return (.oauth(name), auth)
    }
}
