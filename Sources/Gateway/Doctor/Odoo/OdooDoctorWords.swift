import OdooRPC

// Small shared words of the `odoo.*` checks: subjects, addresses, Odoo's text shortened.

extension OdooServerConfig {
    /// The subject of a server's checks: `odoo` for the single `[odoo]` table (the server
    /// "main"), else `odoo.NAME`.
    var doctorSubject: String { name == "main" ? "odoo" : "odoo.\(name)" }
    /// `[odoo]` or `[odoo.NAME]`, as a fix names the table.
    var tableName: String { name == "main" ? "[odoo]" : "[odoo.\(name)]" }
}

extension AliasConfig {
    /// `role = "catchall"` or `"bounce"`: the alias domain's own addresses, not `mail.alias` records.
    var isCatchallOrBounce: Bool { routing.role == "catchall" || routing.role == "bounce" }
}

extension String {
    /// `sales` of `sales@acme.test`.
    var localPart: String { split(separator: "@", omittingEmptySubsequences: false).dropLast().joined(separator: "@") }
    /// `acme.test` of `sales@acme.test`, lower-cased.
    var domainPart: String { split(separator: "@").last.map { String($0).lowercased() } ?? "" }
}

extension OdooCallError {
    /// Odoo's first line (an AccessError's sentence naming the model), at most 300 characters.
    var headline: String {
        String((description.split(whereSeparator: \.isNewline).first.map(String.init) ?? description).prefix(300))
    }

    /// The "cannot check" finding for an error that is not the check's answer.
    func cannotCheck(_ what: String) -> String {
        switch self {
        case .accessError: "cannot check \(what): needs Settings rights (Odoo: \(headline))"
        case .missingModel, .other, .loginRefused, .unreachable: "cannot check \(what): \(headline)"
        }
    }
}

/// The `odoo.*` ids, in the order they are reported.
enum OdooCheckID {
    static let aliases = "odoo.aliases"
    static let fetchmail = "odoo.fetchmail"
    static let models = "odoo.models"
    static let `protocol` = "odoo.protocol"
    static let all = [aliases, fetchmail, models, `protocol`]
}
