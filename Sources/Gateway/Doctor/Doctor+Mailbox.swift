import Foundation
import MailSource
import MailStore

/// `mailbox.login`: Odoo's "TEST & CONFIRM" for every alias with a `url`: connect, TLS, log in
/// with its password or OAuth2 token, open the folder read-only, log out.
extension Doctor {
    func mailboxChecks() -> [DoctorCheck] {
        let aliases = config.aliases.filter { $0.mailbox != nil }
        guard !aliases.isEmpty else {
            return [.skip("mailbox.login", "-", "no alias has a url: nothing to log in to")]
        }
        // The store is opened only for OAuth2 tokens, and only when it exists: doctor run before
        // the service's first start (or as another user, e.g. root) must not create it.
        let usesTokens = aliases.contains { Self.usesOAuth($0) }
        var store: Store?
        var storeError: String?
        if usesTokens {
            if FileManager.default.fileExists(atPath: config.storePath) {
                do {
                    store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
                } catch {
                    storeError = "cannot open the store \(config.storePath), which holds its OAuth2 token: \(error)"
                }
            } else {
                storeError = "not signed in: there is no store at \(config.storePath) holding its OAuth2 token yet"
            }
        }
        let login = MailboxLogin(config: config, store: store)
        let noTokens = storeError
        return concurrently(aliases) { alias in
            let mailbox = alias.mailbox!
            if Self.usesOAuth(alias), let noTokens {
                return .fail("mailbox.login", alias.name, "\(alias.mailboxDescription): \(noTokens)",
                             fix: "sign in with `mailgate oauth login --alias \(alias.name)` as the user the service runs as")
            }
            do {
                let messages = try login.withSecret(for: alias) { try Self.openFolder(mailbox, secret: $0) }
                return .ok("mailbox.login", alias.name, "logged in to \(alias.mailboxDescription), \(messages) message(s) in the folder")
            } catch {
                let found = "\(alias.mailboxDescription): \(error)"
                let exitCode = Poller.exitCode(of: error)
                if exitCode == 78, "\(error)".contains("key \"\(mailbox.secret.key)\"") {
                    // The secret could not be read (doctor loads the config without reading secrets, so
                    // this is a finding like any other rather than a broken config).
                    return .fail("mailbox.login", alias.name, found, fix: Self.secretFix(mailbox.secret, alias: alias.name))
                }
                return .fail("mailbox.login", alias.name, found, fix: Self.loginFix(exitCode: exitCode, alias: alias))
            }
        }
    }

    static func usesOAuth(_ alias: AliasConfig) -> Bool {
        if case .oauth = alias.mailbox?.secret { true } else { false }
    }

    /// Connects, logs in and opens the folder read-only (IMAP `EXAMINE`; POP3 `LIST`), then
    /// logs out: Odoo's "TEST & CONFIRM". Returns the number of messages in the folder.
    /// - Throws: `MailSourceError` (77 login refused, 78 folder or TLS, 75 unreachable).
    static func openFolder(_ mailbox: AliasConfig.Mailbox, secret: String) throws -> Int {
        if mailbox.isIMAP {
            let session = try IMAPSession(endpoint: mailbox.endpoint, secret: secret)
            defer { session.logout() }
            return Int(try session.select(mailbox.folder, readOnly: true).exists)
        }
        let session = try POP3Session(endpoint: mailbox.endpoint, secret: secret)
        let count = try session.listing().count
        try? session.quit()
        return count
    }

    /// The fix when the alias's secret could not be read at all.
    static func secretFix(_ secret: SecretSource, alias: String) -> String {
        switch secret {
        case .environment(let name):
            "set the environment variable \(name) for mailgate (for the service: Environment= or EnvironmentFile= in its unit), or use password_file in [alias.\(alias)]"
        case .file(let path):
            "create \(path) with the password, readable by the user mailgate runs as (mode 0600)"
        case .command:
            "make the password_command of [alias.\(alias)] print the password: run it by hand as the user mailgate runs as"
        case .oauth:
            "sign in with `mailgate oauth login --alias \(alias)`"
        case .literal:
            "set the password in [alias.\(alias)]"
        }
    }

    /// The fix for a failed login, by the sysexits code `check` gives it.
    /// For a refused login it names what the alias logs in with (user, and where the secret
    /// comes from, never the secret), so the admin knows which file or variable to correct.
    static func loginFix(exitCode: Int32, alias: AliasConfig) -> String {
        let name = alias.name
        switch exitCode {
        case 77:
            guard let mailbox = alias.mailbox else { return "check the user and secret; run `mailgate check --alias \(name)` to see the server's words" }
            let secret: String = if case .oauth = mailbox.secret {
                "\(mailbox.secret): sign in again with `mailgate oauth login --alias \(name)`"
            } else {
                "\(mailbox.secret)"
            }
            return "check the user and secret of [alias.\(name)] (user \(mailbox.user), \(secret)); run `mailgate check --alias \(name)` to see the server's words"
        case 78: return "fix the alias's url (host, port, folder) or its TLS settings; run `mailgate check --alias \(name)`"
        default: return "the server could not be reached or refused for now: check the host, port and firewall, then `mailgate check --alias \(name)`"
        }
    }
}
