/// `mailbox.login`: Odoo's "TEST & CONFIRM" for every alias with a `url`, as `mailgate check`
/// does it (connect, TLS, log in with its password or OAuth2 token, open the folder read-only).
extension Doctor {
    func mailboxChecks() -> [DoctorCheck] {
        let aliases = config.aliases.filter { $0.mailbox != nil }
        guard !aliases.isEmpty else {
            return [.skip("mailbox.login", "-", "no alias has a url: nothing to log in to")]
        }
        let poller: Poller
        do {
            poller = try Poller(config: config)
        } catch {
            return aliases.map {
                .fail("mailbox.login", $0.name, "cannot open the store \(config.storePath): \(error)",
                      fix: "make the store writable by this user, or run doctor as the service's user")
            }
        }
        return concurrently(aliases) { alias in
            let report = poller.check(alias)
            guard let error = report.error else {
                var found = "logged in to \(report.mailbox)"
                if let messages = report.messages { found += ", \(messages) message(s) in the folder" }
                return .ok("mailbox.login", alias.name, found)
            }
            if report.exitCode == 78, let mailbox = alias.mailbox, error.contains("key \"\(mailbox.secret.key)\"") {
                // The secret could not be read (doctor loads the config without reading secrets, so
                // this is a finding like any other rather than a broken config).
                return .fail("mailbox.login", alias.name, "\(report.mailbox): \(error)", fix: Self.secretFix(mailbox.secret, alias: alias.name))
            }
            return .fail("mailbox.login", alias.name, "\(report.mailbox): \(error)", fix: Self.loginFix(exitCode: report.exitCode, alias: alias))
        }
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
