import Foundation

/// The parsed `mailgate.toml`: where the store lives, the defaults and the aliases.
///
/// Relative paths in the file are resolved against the file's directory. Secrets are not
/// read here (only checked to exist): `AliasConfig.resolveSecret()` reads them at connect time.
public struct Config: Equatable, Sendable {
    /// The configuration file, as given to `load`.
    public var file: String
    /// The absolute directory of the configuration file.
    public var directory: String
    /// `[store] path`: the SQLite database (absolute). Default `mailgate.sqlite` beside the config.
    public var storePath: String
    /// `[store] spool`: the raw message directory (absolute). Default `spool` beside the store.
    public var spoolPath: String
    /// `[store] keep_raw`: seconds a raw message is kept after it is done. Default 90 days.
    public var keepRaw: TimeInterval
    /// How long a command waits for another process's write lock on the store (`[store]
    /// busy_timeout`, default 5 s); then it fails with exit 75 and the MTA or scheduler retries.
    public var busyTimeout: TimeInterval = 5
    /// `[defaults]`.
    public var defaults: Defaults
    /// `[alias.NAME]` tables, in the order the file lists them.
    public var aliases: [AliasConfig]
    /// `[oauth.NAME]` tables (OAuth2 registrations aliases name with `oauth = "NAME"`), by name.
    public var oauth: [OAuthConfig] = []
    /// Things an admin should know at every start (loose file permissions with a literal
    /// password, `tls_verify = false`, …). Never contains a secret.
    public var warnings: [String]
    /// `[odoo]` / `[odoo.NAME]`: the Odoo servers aliases with `target = "odoo"` push to.
    public var odooServers: [OdooServerConfig] = []
    /// `[doctor]`: what `mailgate doctor` checks beyond the aliases.
    public var doctor = DoctorConfig()

    /// The Odoo server with this name.
    public func odooServer(named name: String) -> OdooServerConfig? {
        odooServers.first { $0.name == name }
    }

    /// `[defaults]`: values every alias inherits unless it sets its own.
    public struct Defaults: Equatable, Sendable {
        /// Seconds between polls. Default 300.
        public var interval: TimeInterval
        /// The alias domain: alias `sales` is `sales@DOMAIN` unless it sets `address`.
        public var domain: String?
        /// Messages larger than this (bytes) are skipped and reported once. Default 25 MB.
        public var maxMessageSize: Int64
        /// Charset assumed for undeclared 8-bit text (a WHATWG label); nil: the parser's default.
        public var fallbackCharset: String?
        /// A sender with this many records/messages within `loopMinutes` is a mail loop (Odoo: 20).
        public var loopThreshold = 20
        /// The loop guard's window in minutes (Odoo: 120).
        public var loopMinutes = 120
        /// Senders the loop guard never stops (lower-case addresses).
        public var loopAllowed: [String] = []
        /// `mailgate run`: IMAP IDLE is re-issued at least this often (seconds). Default 10 min.
        public var idleRefresh: TimeInterval = 600
        /// `mailgate run`: the longest wait between retries of a failing alias. Default 1 h.
        public var backoffMax: TimeInterval = 3600
        /// `mailgate run`: continuous failure for this long makes an alias `failing`. Default 5 days.
        public var disableAfter: TimeInterval = 5 * 86_400
        /// A message that failed (not fetched, not parsed or routed) waits this long before its
        /// next attempt, doubling each time up to `backoffMax`. Default 1 min.
        public var retryBackoff: TimeInterval = 60
        /// After this many failed attempts a message is quarantined. Default 5.
        public var maxAttempts = 5

        public init(interval: TimeInterval = 300, domain: String? = nil, maxMessageSize: Int64 = 25_000_000,
                    fallbackCharset: String? = nil) {
            self.interval = interval
            self.domain = domain
            self.maxMessageSize = maxMessageSize
            self.fallbackCharset = fallbackCharset
        }
    }

    /// The alias with this name.
    public func alias(named name: String) -> AliasConfig? {
        aliases.first { $0.name == name }
    }

    /// Where to look for the configuration: `$MAILGATE_CONFIG`, then `./mailgate.toml`
    /// when it exists, then `/etc/mailgate/mailgate.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) })
        -> String {
        if let explicit = environment["MAILGATE_CONFIG"], !explicit.isEmpty { return explicit }
        if fileExists("mailgate.toml") { return "mailgate.toml" }
        return "/etc/mailgate/mailgate.toml"
    }

    /// Reads and checks the configuration file. Every problem is a `ConfigError` (exit 78)
    /// naming the file, alias and key.
    /// - Parameter environment: where `password_env` variables are checked.
    /// - Parameter checkingSecrets: false for commands that never log in (`status`, `threads`,
    ///   `route`, …): they must work for an admin who does not hold the service's secrets.
    public static func load(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            checkingSecrets: Bool = true) throws(ConfigError)
        -> Config {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(file: path, message: "cannot read the configuration file: \(ConfigLoader.reason(error, path: path))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the configuration file is not UTF-8 text")
        }
        var st = stat()
        let mode = stat(path, &st) == 0 ? st.st_mode & 0o777 : 0o600
        return try ConfigLoader(file: path, environment: environment, checkingSecrets: checkingSecrets)
            .parse(text, fileMode: mode)
    }

    /// Parses configuration text as if it were the file `file` (with permissions `fileMode`).
    public static func parse(_ text: String, file: String, fileMode: mode_t = 0o600,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> Config {
        try ConfigLoader(file: file, environment: environment).parse(text, fileMode: fileMode)
    }
}
