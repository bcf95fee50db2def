import OdooRPC

/// `odoo.*`: the Odoo database agrees with the configuration, for every server an alias with
/// `target = "odoo"` pushes to: `odoo.aliases` (alias domain, catchall, bounce),
/// `odoo.fetchmail` (no confirmed Odoo fetchmail server on Mailgate's mailboxes),
/// `odoo.models` (per alias: model installed and readable, its `mail.alias` in Odoo) and
/// `odoo.protocol`. Only read calls are made (`search_read`, `search_count`, `version`).
extension Doctor {
    func odooChecks() -> [DoctorCheck] {
        let pushing = config.aliases.filter { $0.odoo != nil }
        guard !pushing.isEmpty else {
            return OdooCheckID.all.map { .skip($0, "odoo", "no alias pushes to Odoo (target = \"odoo\")") }
        }
        let servers = config.odooServers.filter { server in pushing.contains { $0.odoo?.server == server.name } }
        let config = config
        return concurrently(servers) { server in
            Self.odooChecks(server: server, aliases: pushing.filter { $0.odoo?.server == server.name }, config: config)
        }.flatMap { $0 }
    }

    /// The four checks of one server (`odoo.models` once per alias).
    static func odooChecks(server: OdooServerConfig, aliases: [AliasConfig], config: Config) -> [DoctorCheck] {
        let subject = server.doctorSubject
        let key: String
        do { key = try server.resolveAPIKey() } catch {
            return OdooCheckID.all.map {
                .fail($0, subject, "cannot read the API key: \(error.message)",
                      fix: "make \(OdooServerConfig.key(of: server.apiKey)) in \(server.tableName) readable by this user")
            }
        }
        let findings: OdooFindings
        do {
            let client = try OdooClient(server: server.server(apiKey: key))
            findings = try OdooFindings.read(client, aliases: aliases)
        } catch {
            let (found, fix) = unreachable(error, server: server)
            return OdooCheckID.all.map { .fail($0, subject, found, fix: fix) }
        }
        return [OdooAliasesCheck.check(subject: subject, expected: OdooAliasesCheck.expected(config: config, aliases: aliases),
                                       findings: findings),
                OdooFetchmailCheck.check(subject: subject, mailboxes: config.aliases.filter { $0.mailbox != nil }, findings: findings)]
            + aliases.map { OdooModelsCheck.check(alias: $0, findings: findings) }
            + [OdooProtocolCheck.check(subject: subject, server: server, findings: findings)]
    }

    /// What was found and the fix when the server could not be read at all.
    static func unreachable(_ error: any Error, server: OdooServerConfig) -> (String, String) {
        let origin = HTTPURL.origin(server.url)
        switch error as? OdooCallError {
        case .loginRefused(let text)?:
            return ("\(origin) refused the login: \(text)",
                    "check database, user and the API key in \(server.tableName) (Odoo: Preferences → Account Security → "
                        + "New API Key; keys of Odoo 18+ expire)")
        case let other?:
            // An unreachable server's headline already says "cannot reach URL: why": keep the why.
            var why = other.headline
            if why.hasPrefix("cannot reach "), let colon = why.range(of: ": ") { why = String(why[colon.upperBound...]) }
            return ("cannot reach Odoo at \(origin): \(why)",
                    "check url in \(server.tableName) and that Odoo runs and is reachable from here (firewall, proxy, TLS)")
        case nil:
            return ("cannot reach Odoo at \(origin): \(error)", "check url, tls_ca_file and tls_verify in \(server.tableName)")
        }
    }
}
