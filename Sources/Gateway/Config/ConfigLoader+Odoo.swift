import Foundation
import OdooRPC
import TOMLKit

// The Odoo target's configuration (issue 12): `[odoo]` / `[odoo.NAME]` servers, and per alias
// (or in `[defaults]`) `target`, `odoo`, `save_original`, `strip_attachments`.
extension ConfigLoader {
    static let odooKeys = ["url", "database", "user", "api_key", "api_key_env", "api_key_file", "api_key_command",
                           "protocol", "timeout", "max_in_flight", "retry_for", "tls_ca_file", "tls_verify", "allow_http"]
    static let apiKeyKeys = ["api_key", "api_key_env", "api_key_file", "api_key_command"]
    /// Alias and `[defaults]` keys of the Odoo target.
    static let aliasOdooKeys = ["target", "odoo", "save_original", "strip_attachments"]

    /// The `[odoo]` table: one server ("main") when it holds keys, else one `[odoo.NAME]` per
    /// sub-table. Mixing both is an error.
    func odooServers(_ top: Reader) throws(ConfigError) -> [OdooServerConfig] {
        guard let table = try top.table("odoo") else { return [] }
        let subtables = table.keys.filter { table[$0]?.table != nil }
        let scalars = table.keys.filter { table[$0]?.table == nil }
        if !scalars.isEmpty && !subtables.isEmpty {
            throw ConfigError(file: file, section: "odoo", key: subtables.sorted()[0],
                              message: "give either one [odoo] table (the server \"main\") or [odoo.NAME] tables, not both")
        }
        if !scalars.isEmpty {
            return [try odooServer("main", Reader(table, loader: self, section: "odoo", known: Self.odooKeys))]
        }
        return try subtables.sorted().map { name throws(ConfigError) in
            try odooServer(name, Reader(table[name]!.table!, loader: self, section: "odoo.\(name)", known: Self.odooKeys))
        }
    }

    private func odooServer(_ name: String, _ reader: Reader) throws(ConfigError) -> OdooServerConfig {
        guard var url = try reader.string("url", nonEmpty: true) else {
            throw reader.error("url", "is missing: the address of the Odoo server, like https://erp.example.com")
        }
        while url.hasSuffix("/") { url.removeLast() }
        guard let parts = HTTPURL.split(url), parts.scheme == "http" || parts.scheme == "https" else {
            throw reader.error("url", "\"\(url)\" is not an http:// or https:// URL")
        }
        let allowHTTP = try reader.bool("allow_http") ?? false
        if parts.scheme == "http" && !HTTPURL.isLoopback(parts.host) && !allowHTTP {
            throw reader.error("url", "http:// to \(parts.host) would send the API key unencrypted: use https://, "
                               + "or set allow_http = true")
        }
        guard let secret = try secretSource(reader, keys: Self.apiKeyKeys, prefix: "api_key") else {
            throw reader.error("api_key", "is missing: give one of api_key, api_key_env, api_key_file, api_key_command")
        }
        var server = OdooServerConfig(name: name, file: file, directory: directory, url: url,
                                      database: try reader.string("database", nonEmpty: true),
                                      user: try reader.string("user", nonEmpty: true), apiKey: secret)
        server.allowHTTP = allowHTTP
        server.protocolChoice = try reader.choice("protocol", OdooServer.ProtocolChoice.self) ?? .auto
        if server.protocolChoice == .xmlrpc {
            if server.database == nil { throw reader.error("database", "is required for protocol = \"xmlrpc\"") }
            if server.user == nil { throw reader.error("user", "is required for protocol = \"xmlrpc\" (the login)") }
        }
        server.timeout = try reader.duration("timeout", positive: true) ?? server.timeout
        server.maxInFlight = try reader.positiveInt("max_in_flight") ?? server.maxInFlight
        server.retryFor = try reader.duration("retry_for", positive: true) ?? server.retryFor
        server.tlsVerify = try reader.bool("tls_verify") ?? true
        server.caFile = try reader.path("tls_ca_file")
        if let caFile = server.caFile, access(caFile, R_OK) != 0 {
            throw reader.error("tls_ca_file", "cannot read \(caFile): \(String(cString: strerror(errno)))")
        }
        return server
    }

    /// `target`, `odoo`, `save_original`, `strip_attachments` of one table (an alias or `[defaults]`).
    struct OdooKeys: Equatable, Sendable {
        var target: AliasTarget?
        var server: String?
        var saveOriginal: Bool?
        var stripAttachments: Bool?
    }

    func odooKeys(_ reader: Reader) throws(ConfigError) -> OdooKeys {
        OdooKeys(target: try reader.choice("target", AliasTarget.self), server: try reader.string("odoo", nonEmpty: true),
                 saveOriginal: try reader.bool("save_original"), stripAttachments: try reader.bool("strip_attachments"))
    }

    /// The alias's Odoo settings when its target (or the default target) is `odoo`.
    func aliasOdoo(_ name: String, _ reader: Reader, defaults: OdooKeys, servers: [OdooServerConfig]) throws(ConfigError) -> AliasOdoo? {
        let own = try odooKeys(reader)
        let target = own.target ?? defaults.target ?? .local
        guard target == .odoo else {
            if let stray = Self.aliasOdooKeys.dropFirst().first(where: { reader.table.contains(key: $0) }) {
                throw reader.error(stray, "applies only to an alias with target = \"odoo\"")
            }
            return nil
        }
        let key = own.server != nil ? "odoo" : own.target != nil ? "target" : "odoo"
        let serverName: String
        if let chosen = own.server ?? defaults.server {
            guard servers.contains(where: { $0.name == chosen }) else {
                throw reader.error(key, "no [odoo.\(chosen)] server is configured"
                                   + (servers.isEmpty ? "" : " (known: \(servers.map(\.name).joined(separator: ", ")))"))
            }
            serverName = chosen
        } else if servers.count == 1 {
            serverName = servers[0].name
        } else if servers.isEmpty {
            throw reader.error("target", "\"odoo\" needs an [odoo] table (url, database, api key)")
        } else {
            throw reader.error("odoo", "is missing: name one of the Odoo servers (\(servers.map(\.name).joined(separator: ", ")))")
        }
        var values: [String: ConfigScalar] = [:]
        if let table = try reader.table("values") {
            for key in table.keys {
                let value = table[key]!
                switch value.type {
                case .string: values[key] = .string(value.string!)
                case .int: values[key] = .int(value.int!)
                case .double: values[key] = .double(value.double!)
                case .bool: values[key] = .bool(value.bool!)
                default: throw reader.error("values", "\"\(key)\" must be a string, number or true/false for Odoo's custom_values")
                }
            }
        }
        return AliasOdoo(server: serverName, saveOriginal: own.saveOriginal ?? defaults.saveOriginal,
                         stripAttachments: own.stripAttachments ?? defaults.stripAttachments, customValues: values)
    }
}
