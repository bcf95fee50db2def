import Foundation
import MailSource

/// One `[alias.NAME]` table: the mailbox to poll (nil for a routing-only alias), how often,
/// and the routing keys.
public struct AliasConfig: Equatable, Sendable {
    /// The table name: `sales` in `[alias.sales]`.
    public var name: String
    /// The configuration file (for error messages) and its directory.
    public var file: String
    public var directory: String
    /// The mailbox and how to talk to it; nil when the alias has no `url` (routing only).
    public var mailbox: Mailbox?
    /// Seconds between polls (the alias's `interval`, else `[defaults] interval`).
    public var interval: TimeInterval
    /// Larger messages are skipped (the alias's `max_message_size`, else the default).
    public var maxMessageSize: Int64
    /// The routing keys (used by the router).
    public var routing: Routing
    /// `mailgate run`: IDLE is re-issued at least this often (`idle_refresh`, else the default).
    public var idleRefresh: TimeInterval = 600
    /// `mailgate run`: the cap of the retry backoff (`backoff_max`, else the default).
    public var backoffMax: TimeInterval = 3600
    /// `mailgate run`: continuous failure for this long makes the alias `failing` (`disable_after`).
    public var disableAfter: TimeInterval = 5 * 86_400
    /// A failed message's first retry waits this long, doubling up to `backoffMax` (`retry_backoff`).
    public var retryBackoff: TimeInterval = 60
    /// Failed attempts before a message is quarantined (`max_attempts`).
    public var maxAttempts = 5

    /// The alias's email address: `address`, else `NAME@[defaults] domain`, else nil.
    public var emailAddress: String? {
        if let address = routing.address { return address }
        return routing.domain.map { "\(name)@\($0)" }
    }

    /// Where the mail comes from.
    public struct Mailbox: Equatable, Sendable {
        public var scheme: Scheme
        public var host: String
        /// The `url`'s port, else 143 / 993 / 110 / 995.
        public var port: Int
        /// IMAP folder (percent-decoded; default INBOX). Always INBOX for POP3.
        public var folder: String
        public var user: String
        public var secret: SecretSource
        public var auth: Auth
        public var tls: TLSMode
        /// An extra trust anchor (absolute path), checked readable at load.
        public var caFile: String?
        /// false: the server certificate is not verified (warned at every start).
        public var tlsVerify: Bool
        /// e.g. `socks5h://127.0.0.1:1080`.
        public var proxy: String?
        public var afterFetch: AfterFetch
        public var start: Start

        public var isIMAP: Bool { scheme == .imap || scheme == .imaps }
    }

    // The mailbox vocabulary is MailSource's own: the config names what the connection uses.
    public typealias Scheme = Endpoint.Scheme
    public typealias Auth = Endpoint.Auth
    public typealias TLSMode = Endpoint.TLS

    /// What to do with a message on the server once it is durably recorded.
    public enum AfterFetch: Equatable, Sendable, CustomStringConvertible {
        case seen
        case delete
        case move(String)
        case keep

        public var description: String {
            switch self {
            case .seen: return "seen"
            case .delete: return "delete"
            case .move(let folder): return "move:\(folder)"
            case .keep: return "keep"
            }
        }
    }

    /// Which messages the first poll takes.
    public enum Start: String, Equatable, Sendable, CaseIterable {
        /// IMAP: messages without \Seen (the default for IMAP).
        case unseen
        /// Only messages arriving after the first poll.
        case new
        /// Everything in the mailbox (the default for POP3).
        case all
    }

    /// Keys the router uses (stored, not interpreted here).
    public struct Routing: Equatable, Sendable {
        /// The Odoo model new threads create, e.g. `crm.lead`.
        public var model: String?
        /// The alias's address when it is not `NAME@domain`.
        public var address: String?
        /// `[defaults] domain`, copied for `emailAddress`.
        public var domain: String?
        public var role: String?
        public var contact: String?
        /// Default values for created records (scalars rendered as text).
        public var values: [String: String]
        public var allowedDomains: [String]
        public var bouncedContent: String?
        /// Use IMAP IDLE when the server offers it; nil: the scheduler decides.
        public var idle: Bool?

        public init(model: String? = nil, address: String? = nil, domain: String? = nil, role: String? = nil,
                    contact: String? = nil, values: [String: String] = [:], allowedDomains: [String] = [],
                    bouncedContent: String? = nil, idle: Bool? = nil) {
            self.model = model
            self.address = address
            self.domain = domain
            self.role = role
            self.contact = contact
            self.values = values
            self.allowedDomains = allowedDomains
            self.bouncedContent = bouncedContent
            self.idle = idle
        }
    }

    /// Reads the password (or XOAUTH2 token) now: the variable, the file (trailing newline
    /// stripped) or the command's output (run via `/bin/sh -c` in the config directory).
    /// Errors name the alias and key, never the secret or the command's output.
    public func resolveSecret(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> String {
        guard let mailbox else {
            throw ConfigError(file: file, alias: name, key: "url", message: "a routing-only alias has no mailbox to log in to")
        }
        return try mailbox.secret.resolve(file: file, alias: name, directory: directory, environment: environment)
    }
}
