import OdooRPC

/// `odoo.models`, one per alias pushing to Odoo: its `model` is installed (`ir.model`), the
/// API user may read it (a `search_count`, which runs Odoo's model access check; Odoo's
/// duplicate check runs as this user, odoo-push.md §4), and Odoo has a `mail.alias` for the
/// alias's address creating that model (`alias_full_name` on 17+, `alias_name` on the one
/// alias domain before). Catchall and bounce aliases belong to the alias domain
/// (`odoo.aliases`), not to `mail.alias`.
enum OdooModelsCheck {
    static func check(alias: AliasConfig, findings: OdooFindings) -> DoctorCheck {
        let id = OdooCheckID.models
        let subject = alias.name
        var good: [String] = []
        var found: IrModel?
        if let model = alias.routing.model {
            let models: [IrModel]
            switch findings.models {
            case .success(let list): models = list
            case .failure(let error): return unchecked(error, "ir.model", subject)
            }
            guard let record = models.first(where: { $0.model == model }) else {
                return .fail(id, subject, "Odoo has no model \(model) (its app is not installed)",
                             fix: "install the Odoo app that provides \(model), or correct model in [alias.\(alias.name)]")
            }
            found = record
            if let error = findings.unreadable[model] {
                if case .accessError = error {
                    return .warn(id, subject, "the API user may not read \(model) (Odoo: \(error.headline))",
                                 fix: "give Mailgate's Odoo user read access to all \(model) records: Odoo's duplicate check "
                                     + "and reply threading run as this user and miss what it cannot read")
                }
                return unchecked(error, model, subject)
            }
            good.append("\(model) is installed and readable by the API user")
        }
        if alias.isCatchallOrBounce {
            guard !good.isEmpty else {
                return .skip(id, subject, "role = \"\(alias.routing.role ?? "")\" and no model: its address is the alias domain's (odoo.aliases)")
            }
            return .ok(id, subject, good.joined() + "; the \(alias.routing.role ?? "") address is the alias domain's (odoo.aliases)")
        }
        guard let address = alias.emailAddress?.lowercased() else {
            return .fail(id, subject, "the alias has no address to look up in Odoo",
                         fix: "set address in [alias.\(alias.name)] or domain in [defaults]")
        }
        let odooAliases: [MailAlias]
        switch findings.aliases {
        case .success(let list): odooAliases = list
        case .failure(let error): return unchecked(error, "mail.alias", subject)
        }
        let sameName = odooAliases.filter { $0.aliasName.lowercased() == address.localPart }
        let match = sameName.first { $0.fullName.map { $0.lowercased() == address } ?? true }
        guard let match else {
            let elsewhere = sameName.compactMap(\.fullName)
            return .fail(id, subject, "Odoo has no mail.alias for \(address)"
                         + (elsewhere.isEmpty ? "" : " (it has \(elsewhere.joined(separator: ", ")))")
                         + (alias.routing.model.map { ": Odoo routes its new mail only by the fallback model \($0)" }
                             ?? ": Odoo finds no route for its new mail (\"No possible route\")"),
                         fix: "create the alias \(address)" + (alias.routing.model.map { " creating \($0)" } ?? "")
                             + " in Odoo (the Email Alias of the team or project it serves, or Settings → Technical → Email → Aliases), "
                             + "or correct address in [alias.\(alias.name)]")
        }
        let odooModel = ((try? findings.models.get()) ?? []).first { $0.id == match.modelID }?.model
        if let found, match.modelID != found.id {
            let theirs = odooModel ?? match.modelLabel ?? "nothing"
            return .fail(id, subject, "Odoo's alias \(address) creates \(theirs), the config says \(found.model)",
                         fix: "point the alias at \(found.model) in Odoo, or set model = \"\(theirs)\" in [alias.\(alias.name)]")
        }
        good.append("Odoo's alias \(address) creates \(odooModel ?? match.modelLabel ?? "?")")
        return .ok(id, subject, good.joined(separator: "; "))
    }

    private static func unchecked(_ error: OdooCallError, _ what: String, _ subject: String) -> DoctorCheck {
        if case .accessError = error {
            return .warn(OdooCheckID.models, subject, error.cannotCheck(what),
                         fix: "give Mailgate's Odoo user read access to \(what), or run doctor once as an administrator (a copy of the config with that login and API key in the [odoo] table)")
        }
        return .fail(OdooCheckID.models, subject, error.cannotCheck(what), fix: "see Odoo's log for this error")
    }
}
