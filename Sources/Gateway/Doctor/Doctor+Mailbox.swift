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
            return .fail("mailbox.login", alias.name, "\(report.mailbox): \(error)", fix: Self.loginFix(exitCode: report.exitCode, alias: alias.name))
        }
    }

    /// The fix for a failed login, by the sysexits code `check` gives it.
    static func loginFix(exitCode: Int32, alias: String) -> String {
        switch exitCode {
        case 77: "check the user and secret (password, password_file, password_env, password_command or `mailgate oauth login`); run `mailgate check --alias \(alias)` to see the server's words"
        case 78: "fix the alias's url (host, port, folder) or its TLS settings; run `mailgate check --alias \(alias)`"
        default: "the server could not be reached or refused for now: check the host, port and firewall, then `mailgate check --alias \(alias)`"
        }
    }
}
