import OdooRPC

/// `odoo.aliases`: Odoo's alias domain(s) and their catchall and bounce local parts match the
/// configuration. Odoo 17+ keeps them as `mail.alias.domain` records (`name`,
/// `catchall_alias`, `bounce_alias`; addons/mail/models/mail_alias_domain.py); Odoo 14–16 as
/// the system parameters `mail.catchall.domain`, `mail.catchall.alias`, `mail.bounce.alias`.
/// The config side: the domains of the aliases pushing to the server, and the local parts of
/// the aliases with `role = "catchall"` / `"bounce"` on each domain.
enum OdooAliasesCheck {
    /// One alias domain as the configuration has it.
    struct Expected: Equatable {
        var domain: String
        /// The local part of the catchall / bounce alias on this domain; nil when no alias has the role.
        var catchall: String?
        var bounce: String?
    }

    /// The domains of `aliases` (their addresses, else `[defaults] domain`), each with the
    /// catchall and bounce local parts of any alias of `config` on it.
    static func expected(config: Config, aliases: [AliasConfig]) -> [Expected] {
        var domains = Array(Set(aliases.compactMap { $0.emailAddress?.domainPart }.filter { !$0.isEmpty }))
            .sorted()
        if domains.isEmpty, let domain = config.defaults.domain?.lowercased() { domains = [domain] }
        return domains.map { domain in
            func local(_ role: String) -> String? {
                config.aliases.first { $0.routing.role == role && $0.emailAddress?.domainPart == domain }?.emailAddress?.localPart
            }
            return Expected(domain: domain, catchall: local("catchall"), bounce: local("bounce"))
        }
    }

    static func check(subject: String, expected: [Expected], findings: OdooFindings) -> DoctorCheck {
        let id = OdooCheckID.aliases
        let modern = findings.version.hasAliasDomainModel
        let records: [MailAliasDomain]
        switch findings.aliasDomains {
        case .success(let found): records = found
        case .failure(let error):
            let what = modern ? "mail.alias.domain" : "the system parameters mail.catchall.domain, mail.catchall.alias, mail.bounce.alias"
            if case .accessError = error {
                return .warn(id, subject, error.cannotCheck(what),
                             fix: "compare by hand in Settings → Technical → " + (modern ? "Email → Alias Domains" : "Parameters → System Parameters")
                                 + ", or run doctor once as a user with Settings rights (a copy of the config with that user's login and API key in the [odoo] table)")
            }
            return .fail(id, subject, error.cannotCheck(what), fix: "see Odoo's log for this error; meanwhile compare by hand in Settings → Technical")
        }
        guard !expected.isEmpty else {
            return .warn(id, subject, "no alias pushing to Odoo has an address or a [defaults] domain to compare",
                         fix: "set [defaults] domain (or address in the aliases) to the mail domain")
        }
        var problems: [String] = [], fixes: [String] = [], good: [String] = []
        for want in expected {
            guard let record = records.first(where: { $0.name.lowercased() == want.domain }) else {
                if modern {
                    let have = records.map(\.name)
                    problems.append("Odoo has no alias domain \(want.domain) (mail.alias.domain: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
                    fixes.append("add \(want.domain) in Settings → Technical → Email → Alias Domains and choose it in Settings → General Settings → Alias Domain")
                } else {
                    problems.append("Odoo's mail.catchall.domain is \(records.first.map { "\"\($0.name)\"" } ?? "not set"), not \(want.domain)")
                    fixes.append("set the system parameter mail.catchall.domain to \(want.domain) (Settings → General Settings → Alias Domain)")
                }
                continue
            }
            var fine = true
            for (role, mine, theirs, field, parameter) in [
                ("catchall", want.catchall, record.catchallAlias, "Catchall Alias", AliasParameter.catchall),
                ("bounce", want.bounce, record.bounceAlias, "Bounce Alias", AliasParameter.bounce),
            ] {
                guard let mine, mine.lowercased() != theirs?.lowercased() else { continue }
                fine = false
                problems.append("Odoo's \(role) is \(theirs.map { "\($0)@\(want.domain)" } ?? "not set"), "
                                + "Mailgate's \(role) alias reads \(mine)@\(want.domain)")
                fixes.append(modern
                    ? "set \(field) of \(want.domain) to \"\(mine)\" in Settings → Technical → Email → Alias Domains"
                    : "set the system parameter \(parameter) to \"\(mine)\" (Settings → Technical → Parameters → System Parameters)")
            }
            if fine {
                var text = "\(want.domain):"
                text += " catchall " + (record.catchallAlias.map { "\($0)@\(want.domain)" } ?? "not set")
                text += want.catchall == nil ? " (no alias has role = \"catchall\")" : ""
                text += ", bounce " + (record.bounceAlias.map { "\($0)@\(want.domain)" } ?? "not set")
                text += want.bounce == nil ? " (no alias has role = \"bounce\")" : ""
                good.append(text)
            }
        }
        if !problems.isEmpty {
            return .fail(id, subject, problems.joined(separator: "; "), fix: fixes.joined(separator: "; "))
        }
        return .ok(id, subject, good.joined(separator: "; ") + " — as configured")
    }
}
