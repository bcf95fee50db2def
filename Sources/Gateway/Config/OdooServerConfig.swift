import Foundation
import OdooRPC

/// One `[odoo.NAME]` table (or the single `[odoo]` table, the server "main"): how to reach an
/// Odoo database and how hard to push.
public struct OdooServerConfig: Equatable, Sendable {
    public var name: String
    public var file: String
    public var directory: String
    /// `https://erp.example.com` (no trailing slash); `http://` only to loopback unless `allow_http`.
    public var url: String
    /// `X-Odoo-Database` (JSON-2); required for XML-RPC.
    public var database: String?
    /// The XML-RPC login (JSON-2 needs only the key).
    public var user: String?
    /// `api_key`, `api_key_env`, `api_key_file` or `api_key_command`.
    public var apiKey: SecretSource
    public var protocolChoice: OdooServer.ProtocolChoice = .auto
    /// Seconds for one request (`timeout`, default 60 s).
    public var timeout: TimeInterval = 60
    /// Requests in flight to this server across every process sharing the store (default 4).
    public var maxInFlight = 4
    /// A message failing with transient errors is retried this long, then parked (default 3 days).
    public var retryFor: TimeInterval = 3 * 86_400
    public var caFile: String?
    public var tlsVerify = true
    public var allowHTTP = false

    /// The configuration key an API-key source came from.
    static func key(of source: SecretSource) -> String {
        source.key.replacingOccurrences(of: "password", with: "api_key")
    }

    /// Reads the API key now. Errors name `[odoo.NAME]` and the key, never the key itself.
    public func resolveAPIKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> String {
        do {
            return try apiKey.resolve(file: file, alias: name, directory: directory, environment: environment)
        } catch {
            throw ConfigError(file: file, section: "odoo.\(name)", key: Self.key(of: apiKey), message: error.message)
        }
    }

    /// The OdooRPC view of this server, with the key read.
    public func server(apiKey: String) -> OdooServer {
        OdooServer(name: name, url: url, database: database, user: user, apiKey: apiKey, protocolChoice: protocolChoice,
                   timeout: timeout, caFile: caFile, verifyTLS: tlsVerify)
    }
}

/// Where an alias's messages go.
public enum AliasTarget: String, Equatable, Sendable, CaseIterable {
    /// Routed into Mailgate's own SQLite records (the default).
    case local
    /// Pushed into Odoo's `message_process` through the outbox.
    case odoo
}

/// A scalar of the `values` table with its TOML type, sent to Odoo as `custom_values`.
public enum ConfigScalar: Equatable, Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    var odooValue: OdooValue {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        }
    }
}

/// An alias's Odoo keys (each also settable in `[defaults]`).
public struct AliasOdoo: Equatable, Sendable {
    /// The `[odoo.NAME]` server.
    public var server: String
    public var saveOriginal: Bool?
    public var stripAttachments: Bool?
    /// The `values` table, TOML types kept, in file order.
    public var customValues: [String: ConfigScalar]

    public init(server: String, saveOriginal: Bool? = nil, stripAttachments: Bool? = nil, customValues: [String: ConfigScalar] = [:]) {
        self.server = server
        self.saveOriginal = saveOriginal
        self.stripAttachments = stripAttachments
        self.customValues = customValues
    }
}
