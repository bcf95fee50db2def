import Foundation
import OdooRPC
import TOMLKit

/// Turns the TOML text into a `Config`, checking every key.
struct ConfigLoader {
    let file: String
    let environment: [String: String]
    /// Whether `password_env` variables and `password_file` files must exist now.
    let checkingSecrets: Bool
    /// The absolute directory of the file: relative paths are resolved against it.
    let directory: String

    static let topLevelKeys = ["store", "defaults", "alias", "oauth", "odoo", "doctor"]
    static let doctorKeys = ["nameserver", "spf_include", "dkim_selectors"]
    static let storeKeys = ["path", "spool", "keep_raw", "busy_timeout"]
    static let defaultsKeys = ["interval", "domain", "max_message_size", "fallback_charset",
                               "loop_threshold", "loop_minutes", "loop_allowed",
                               "idle_refresh", "backoff_max", "disable_after", "retry_backoff", "max_attempts"] + aliasOdooKeys
    static let secretKeys = ["password", "password_env", "password_file", "password_command"]
    /// Keys that only make sense with a `url`.
    static let mailboxKeys = ["user", "oauth"] + secretKeys
        + ["auth", "tls", "tls_ca_file", "tls_verify", "proxy", "after_fetch", "start", "interval", "max_message_size",
           "idle_refresh", "backoff_max", "disable_after", "retry_backoff", "max_attempts"]
    static let routingKeys = ["model", "address", "role", "contact", "values", "allowed_domains", "bounced_content", "idle"]
    static let aliasKeys = ["url"] + mailboxKeys + routingKeys + aliasOdooKeys
    static let proxySchemes = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"]

    init(file: String, environment: [String: String], checkingSecrets: Bool = true) {
        self.file = file
        self.environment = environment
        self.checkingSecrets = checkingSecrets
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        directory = URL(fileURLWithPath: absolute).deletingLastPathComponent().standardizedFileURL.path
    }

    func parse(_ text: String, fileMode: mode_t) throws(ConfigError) -> Config {
        if let line = TOMLHeaderGuard.badHeaderLine(in: text) {
            throw ConfigError(file: file, line: line, message: "TOML syntax error: a table header must start with a name "
                + "(letters, digits, _ or -, or a quoted string), as in [alias.sales]")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigError(file: file, message: "TOML syntax error: \(error)")
        }
        let top = try Reader(root, loader: self, known: Self.topLevelKeys)

        let store = try top.table("store").map { table throws(ConfigError) in
            try Reader(table, loader: self, section: "store", known: Self.storeKeys)
        }
        let storePath = try store?.path("path") ?? resolve("mailgate.sqlite")
        let spoolPath = try store?.path("spool")
            ?? URL(fileURLWithPath: storePath).deletingLastPathComponent().appendingPathComponent("spool").path
        let keepRaw = try store?.duration("keep_raw") ?? 90 * 86_400
        let busyTimeout = try store?.duration("busy_timeout", positive: true) ?? 5

        var defaults = Config.Defaults()
        let odooServers = try odooServers(top)
        var odooDefaults = OdooKeys()
        if let table = try top.table("defaults") {
            let reader = try Reader(table, loader: self, section: "defaults", known: Self.defaultsKeys)
            odooDefaults = try odooKeys(reader)
            defaults.interval = try reader.duration("interval", positive: true) ?? defaults.interval
            defaults.domain = try reader.string("domain", nonEmpty: true)
            defaults.maxMessageSize = try reader.size("max_message_size") ?? defaults.maxMessageSize
            defaults.fallbackCharset = try reader.string("fallback_charset", nonEmpty: true)
            defaults.loopThreshold = try reader.positiveInt("loop_threshold") ?? defaults.loopThreshold
            defaults.loopMinutes = try reader.positiveInt("loop_minutes") ?? defaults.loopMinutes
            defaults.loopAllowed = (try reader.stringArray("loop_allowed") ?? []).map { $0.lowercased() }
            defaults.idleRefresh = try reader.duration("idle_refresh", positive: true) ?? defaults.idleRefresh
            defaults.backoffMax = try reader.duration("backoff_max", positive: true) ?? defaults.backoffMax
            defaults.disableAfter = try reader.duration("disable_after", positive: true) ?? defaults.disableAfter
            defaults.retryBackoff = try reader.duration("retry_backoff", positive: true) ?? defaults.retryBackoff
            defaults.maxAttempts = try reader.positiveInt("max_attempts") ?? defaults.maxAttempts
        }

        let oauth = try oauthTables(top)
        var aliases: [AliasConfig] = []
        var warnings: [String] = []
        if let table = try top.table("alias") {
            for name in Self.aliasOrder(names: table.keys, text: text) {
                guard let aliasTable = table[name]?.table else {
                    throw ConfigError(file: file, alias: name, message: "must be a table ([alias.\(name)] with keys below it)")
                }
                if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "@" }) {
                    throw ConfigError(file: file, alias: name, message: "an alias name is the local part of its address: no spaces or @")
                }
                let reader = try Reader(aliasTable, loader: self, alias: name, known: Self.aliasKeys)
                var alias = try self.alias(name, reader, defaults: defaults, oauth: oauth, warnings: &warnings)
                alias.odoo = try aliasOdoo(name, reader, defaults: odooDefaults, servers: odooServers)
                aliases.append(alias)
            }
        }

        let literal = aliases.filter { if case .literal = $0.mailbox?.secret { return true } else { return false } }
        if fileMode & 0o077 != 0, !literal.isEmpty {
            let names = literal.map { "\"\($0.name)\"" }.joined(separator: ", ")
            warnings.insert("\(file) holds a password (alias \(names)) and is readable by group or others "
                            + "(mode \(String(fileMode & 0o777, radix: 8))): chmod 600 \(file), or use password_file or password_env",
                            at: 0)
        }
        if fileMode & 0o077 != 0, let shown = oauth.first(where: { if case .literal = $0.clientSecret { true } else { false } }) {
            warnings.append("\(file) holds a client_secret ([oauth.\(shown.name)]) and is readable by group or others: "
                            + "chmod 600 \(file), or use client_secret_file or client_secret_env")
        }
        var config = Config(file: file, directory: directory, storePath: storePath, spoolPath: spoolPath, keepRaw: keepRaw,
                            defaults: defaults, aliases: aliases, warnings: warnings)
        config.busyTimeout = busyTimeout
        config.doctor = try doctor(top)
        config.oauth = oauth
        config.odooServers = odooServers
        config.warnings += odooServers.filter { !$0.tlsVerify }.map {
            "[odoo.\($0.name)]: tls_verify = false: the certificate of \(HTTPURL.origin($0.url)) is not checked"
        }
        return config
    }

    private func alias(_ name: String, _ reader: Reader, defaults: Config.Defaults, oauth: [OAuthConfig],
                       warnings: inout [String]) throws(ConfigError) -> AliasConfig {
        let routing = AliasConfig.Routing(
            model: try reader.string("model", nonEmpty: true),
            address: try reader.address("address"),
            domain: defaults.domain,
            role: try reader.string("role"),
            contact: try reader.string("contact"),
            values: try reader.stringTable("values") ?? [:],
            allowedDomains: try reader.stringArray("allowed_domains") ?? [],
            bouncedContent: try reader.string("bounced_content"),
            idle: try reader.bool("idle"))
        var alias = AliasConfig(name: name, file: file, directory: directory, mailbox: nil,
                                interval: try reader.duration("interval", positive: true) ?? defaults.interval,
                                maxMessageSize: try reader.size("max_message_size") ?? defaults.maxMessageSize,
                                routing: routing,
                                idleRefresh: try reader.duration("idle_refresh", positive: true) ?? defaults.idleRefresh,
                                backoffMax: try reader.duration("backoff_max", positive: true) ?? defaults.backoffMax,
                                disableAfter: try reader.duration("disable_after", positive: true) ?? defaults.disableAfter,
                                retryBackoff: try reader.duration("retry_backoff", positive: true) ?? defaults.retryBackoff,
                                maxAttempts: try reader.positiveInt("max_attempts") ?? defaults.maxAttempts)
        guard let urlText = try reader.string("url") else {
            if let stray = Self.mailboxKeys.first(where: { reader.table.contains(key: $0) }) {
                throw reader.error(stray, "needs a \"url\" (the mailbox to poll); without one the alias only routes")
            }
            return alias
        }
        let url: ConfigValues.MailboxURL
        switch ConfigValues.mailboxURL(urlText) {
        case .success(let parsed): url = parsed
        case .failure(let problem): throw reader.error("url", "\"\(urlText)\" \(problem.message)")
        }
        let isIMAP = url.scheme == .imap || url.scheme == .imaps
        let implicitScheme = url.scheme == .imaps || url.scheme == .pop3s

        guard let user = try reader.string("user", nonEmpty: true) else {
            throw reader.error("user", "is missing: an alias with a url needs the user to log in as")
        }
        let oauthLogin = try self.oauthLogin(reader, registrations: oauth)
        let secret: SecretSource
        if let oauthLogin { secret = oauthLogin.0 } else { secret = try self.secret(reader) }
        let auth: AliasConfig.Auth
        if let oauthLogin { auth = oauthLogin.1 } else { auth = try passwordAuth(reader) }

        let tls = try reader.choice("tls", AliasConfig.TLSMode.self) ?? (implicitScheme ? .implicit : .starttls)
        if implicitScheme, tls != .implicit {
            throw reader.error("tls", "\"\(tls.rawValue)\" is impossible with \(url.scheme.rawValue)://, which is TLS from the start; "
                               + "use \(url.scheme == .imaps ? "imap" : "pop3"):// for \(tls.rawValue)")
        }
        if !implicitScheme, tls == .implicit {
            throw reader.error("tls", "\"implicit\" is impossible with \(url.scheme.rawValue)://; use \(url.scheme.rawValue)s://")
        }
        if tls == .none {
            warnings.append("alias \"\(name)\": tls = \"none\": the password and mail cross the network unencrypted")
        }
        let tlsVerify = try reader.bool("tls_verify") ?? true
        if !tlsVerify {
            warnings.append("alias \"\(name)\": tls_verify = false: the certificate of \(url.host) is not checked")
        }
        let caFile = try reader.path("tls_ca_file")
        if let caFile, access(caFile, R_OK) != 0 {
            throw reader.error("tls_ca_file", "cannot read \(caFile): \(String(cString: strerror(errno)))")
        }
        let proxy = try reader.string("proxy", nonEmpty: true)
        if let proxy {
            let scheme = proxy.range(of: "://").map { String(proxy[..<$0.lowerBound]).lowercased() }
            guard let scheme, Self.proxySchemes.contains(scheme) else {
                throw reader.error("proxy", "\"\(proxy)\" is not a proxy URL like socks5h://127.0.0.1:1080 "
                                   + "(schemes: \(Self.proxySchemes.joined(separator: ", ")))")
            }
        }

        let afterFetch: AliasConfig.AfterFetch
        let afterText = try reader.string("after_fetch")
        if isIMAP {
            switch afterText {
            case nil, "seen": afterFetch = .seen
            case "delete": afterFetch = .delete
            case "keep": afterFetch = .keep
            case let text? where text.hasPrefix("move:") && text.count > 5: afterFetch = .move(String(text.dropFirst(5)))
            case let text?: throw reader.error("after_fetch", "\"\(text)\" is not one of seen, delete, move:FOLDER, keep")
            }
        } else {
            switch afterText {
            case nil, "delete": afterFetch = .delete
            case "keep": afterFetch = .keep
            case let text?: throw reader.error("after_fetch", "\"\(text)\" is not one of delete, keep (POP3)")
            }
        }

        let start: AliasConfig.Start
        switch try reader.string("start") {
        case nil: start = isIMAP ? .unseen : .all
        case let text?:
            guard let value = AliasConfig.Start(rawValue: text), isIMAP || value != .unseen else {
                throw reader.error("start", "\"\(text)\" is not one of \(isIMAP ? "unseen, new, all" : "all, new (POP3)")")
            }
            start = value
        }

        alias.mailbox = AliasConfig.Mailbox(
            scheme: url.scheme, host: url.host, port: url.port, folder: url.folder, user: user, secret: secret,
            auth: auth, tls: tls, caFile: caFile,
            tlsVerify: tlsVerify, proxy: proxy, afterFetch: afterFetch, start: start)
        return alias
    }

    /// `auth` of a password alias: auto, plain, login or xoauth2 (a token from password_command).
    private func passwordAuth(_ reader: Reader) throws(ConfigError) -> AliasConfig.Auth {
        let allowed: [AliasConfig.Auth] = [.auto, .plain, .login, .xoauth2]
        guard let text = try reader.string("auth") else { return .auto }
        guard let auth = AliasConfig.Auth(rawValue: text), allowed.contains(auth) else {
            throw reader.error("auth", "\"\(text)\" is not one of \(allowed.map(\.rawValue).joined(separator: ", "))"
                               + (text == "oauthbearer" ? " (OAUTHBEARER needs oauth = \"NAME\")" : ""))
        }
        return auth
    }

    /// Exactly one of the password keys; env and file are checked now, the command runs at connect.
    private func secret(_ reader: Reader) throws(ConfigError) -> SecretSource {
        guard let source = try secretSource(reader, keys: Self.secretKeys, prefix: "password") else {
            throw reader.error("password", "is missing: give one of password, password_env, password_file, password_command")
        }
        return source
    }

    /// An absolute path: `path` as is, else relative to the config file's directory.
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(expanded).standardizedFileURL.path
    }

    static func reason(_ error: Error, path: String) -> String {
        let code: Int32
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            code = Int32(posix.code)
        } else if access(path, F_OK) != 0 {
            code = ENOENT
        } else if access(path, R_OK) != 0 {
            code = EACCES
        } else {
            return error.localizedDescription
        }
        return String(cString: strerror(code))
    }

    /// The alias names in the order their tables first appear in the text; any not found
    /// (unusual spellings) follow in name order.
    static func aliasOrder(names: [String], text: String) -> [String] {
        var order: [String] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("["), !line.hasPrefix("[["), let close = line.lastIndex(of: "]") else { continue }
            let header = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
            guard header.hasPrefix("alias") else { continue }
            var rest = header.dropFirst(5).drop { $0 == " " || $0 == "\t" }
            guard rest.hasPrefix(".") else { continue }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            var name: String
            if let quote = rest.first, quote == "\"" || quote == "'" {
                guard let end = rest.dropFirst().firstIndex(of: quote) else { continue }
                name = String(rest[rest.index(after: rest.startIndex)..<end])
            } else {
                name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            }
            if names.contains(name), !order.contains(name) { order.append(name) }
        }
        return order + names.filter { !order.contains($0) }.sorted()
    }
}

/// Typed access to one TOML table, with errors that name file, section/alias and key.
struct Reader {
    let table: TOMLTable
    let loader: ConfigLoader
    let section: String?
    let alias: String?

    init(_ table: TOMLTable, loader: ConfigLoader, section: String? = nil, alias: String? = nil,
         known: [String]) throws(ConfigError) {
        self.table = table
        self.loader = loader
        self.section = section
        self.alias = alias
        for key in table.keys.sorted() where !known.contains(key) {
            let hint = ConfigValues.suggestion(for: key, among: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            let place = alias.map { "[alias.\($0)]" } ?? section.map { "[\($0)]" } ?? "the top level"
            throw error(key, "unknown key in \(place)\(hint); known keys: \(known.joined(separator: ", "))")
        }
    }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: loader.file, section: section, alias: alias, key: key, message: message)
    }

    private func typeName(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a decimal number"
        case .bool: return "true or false"
        case .table: return "a table"
        case .array: return "an array"
        case .date, .time, .dateTime: return "a date or time"
        }
    }

    func string(_ key: String, nonEmpty: Bool = false) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw error(key, "must be a string, not \(typeName(value))") }
        if nonEmpty, string.trimmingCharacters(in: .whitespaces).isEmpty { throw error(key, "must not be empty") }
        return string
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else { throw error(key, "must be true or false, not \(typeName(value))") }
        return bool
    }

    func positiveInt(_ key: String) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int, int > 0 else { throw error(key, "must be a whole number above 0, not \(value)") }
        return int
    }

    func table(_ key: String) throws(ConfigError) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let table = value.table else { throw error(key, "must be a table, not \(typeName(value))") }
        return table
    }

    func path(_ key: String) throws(ConfigError) -> String? {
        try string(key, nonEmpty: true).map(loader.resolve)
    }

    func duration(_ key: String, positive: Bool = false) throws(ConfigError) -> TimeInterval? {
        guard let value = table[key] else { return nil }
        let seconds: TimeInterval?
        if value.type == .int, let int = value.int {
            seconds = int >= 0 ? TimeInterval(int) : nil
        } else if let text = value.string {
            seconds = ConfigValues.duration(text)
        } else {
            throw error(key, "must be a duration like \"5m\" or a number of seconds, not \(typeName(value))")
        }
        guard let seconds else {
            throw error(key, "\(value.string.map { "\"\($0)\"" } ?? "\(value.int ?? 0)") is not a duration "
                        + "(a number of seconds, or with s, m, h, d: \"90s\", \"5m\", \"1h30m\", \"90d\")")
        }
        if positive, seconds <= 0 { throw error(key, "must be at least 1s") }
        return seconds
    }

    func size(_ key: String) throws(ConfigError) -> Int64? {
        guard let value = table[key] else { return nil }
        let bytes: Int64?
        if value.type == .int, let int = value.int {
            bytes = Int64(int)
        } else if let text = value.string {
            bytes = ConfigValues.size(text)
        } else {
            throw error(key, "must be a size like \"25MB\" or a number of bytes, not \(typeName(value))")
        }
        guard let bytes, bytes > 0 else {
            throw error(key, "\(value.string.map { "\"\($0)\"" } ?? "\(value.int ?? 0)") is not a size "
                        + "(bytes, or with KB, MB, GB = 10^3, 10^6, 10^9 or KiB, MiB, GiB = 2^10, 2^20, 2^30)")
        }
        return bytes
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(ConfigError) -> T?
    where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw error(key, "\"\(text)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func address(_ key: String) throws(ConfigError) -> String? {
        guard let text = try string(key, nonEmpty: true) else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !text.contains(where: { $0.isWhitespace }) else {
            throw error(key, "\"\(text)\" is not an email address like sales@example.com")
        }
        return text
    }

    func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of strings, not \(typeName(value))") }
        var result: [String] = []
        for element in array {
            guard let string = element.string else {
                throw error(key, "must be an array of strings, but holds \(typeName(element))")
            }
            result.append(string)
        }
        return result
    }

    /// A table of scalars, each rendered as text (`true`, `42`, `"x"` → `x`).
    func stringTable(_ key: String) throws(ConfigError) -> [String: String]? {
        guard let table = try table(key) else { return nil }
        var result: [String: String] = [:]
        for name in table.keys {
            let value = table[name]!
            switch value.type {
            case .string: result[name] = value.string!
            case .int: result[name] = String(value.int!)
            case .double: result[name] = String(value.double!)
            case .bool: result[name] = String(value.bool!)
            default: result[name] = value.tomlValue.debugDescription
            }
        }
        return result
    }
}
