import OdooRPC

// The Odoo records `mailgate doctor` reads, by Odoo's own model and field names
// (addons/mail/models/mail_alias_domain.py, mail_alias.py, fetchmail.py; base ir_model.py,
// ir_config_parameter.py). A many2one field reads as `[id, "display name"]`, an empty one
// as `false`.

/// `mail.alias.domain` (Odoo 17+): an alias domain with its catchall and bounce local parts.
struct MailAliasDomain: Equatable, Sendable {
    static let model = "mail.alias.domain"
    static let fields = ["name", "catchall_alias", "bounce_alias"]

    var id: Int
    var name: String
    var catchallAlias: String?
    var bounceAlias: String?

    init?(_ record: OdooValue) {
        guard let id = record["id"]?.intValue, let name = record["name"]?.stringValue else { return nil }
        self.id = id
        self.name = name
        catchallAlias = record["catchall_alias"]?.stringValue
        bounceAlias = record["bounce_alias"]?.stringValue
    }

    init(id: Int, name: String, catchallAlias: String?, bounceAlias: String?) {
        self.id = id
        self.name = name
        self.catchallAlias = catchallAlias
        self.bounceAlias = bounceAlias
    }
}

/// `ir.config_parameter` keys holding the alias domain on Odoo 14–16.
enum AliasParameter {
    static let model = "ir.config_parameter"
    static let domain = "mail.catchall.domain"
    static let catchall = "mail.catchall.alias"
    static let bounce = "mail.bounce.alias"
    static let keys = [domain, catchall, bounce]
}

/// `mail.alias`: an address Odoo routes to a model. `alias_full_name` and `alias_domain_id`
/// exist from Odoo 17 on; before, every alias is `alias_name@mail.catchall.domain`.
struct MailAlias: Equatable, Sendable {
    static let model = "mail.alias"
    static func fields(for version: OdooVersion) -> [String] {
        version.hasAliasDomainModel ? ["alias_name", "alias_model_id", "alias_domain_id", "alias_full_name"]
            : ["alias_name", "alias_model_id"]
    }

    var id: Int
    var aliasName: String
    /// The `ir.model` id of `alias_model_id`.
    var modelID: Int?
    /// Its display name (the model's description, e.g. "Lead/Opportunity").
    var modelLabel: String?
    /// `alias_full_name` (17+), e.g. `sales@acme.test`.
    var fullName: String?

    init?(_ record: OdooValue) {
        guard let id = record["id"]?.intValue, let name = record["alias_name"]?.stringValue else { return nil }
        self.id = id
        aliasName = name
        if case .array(let pair) = record["alias_model_id"], pair.count == 2 {
            modelID = pair[0].intValue
            modelLabel = pair[1].stringValue
        }
        fullName = record["alias_full_name"]?.stringValue
    }
}

/// `fetchmail.server`: one of Odoo's incoming mail servers. `state` 'done' is "Confirmed"
/// (polled by the cron), 'draft' "Not Confirmed"; `server_type` 'imap' | 'pop' | 'local'.
struct FetchmailServer: Equatable, Sendable {
    static let model = "fetchmail.server"
    static let fields = ["name", "server", "port", "user", "server_type", "state"]

    var id: Int
    var name: String
    var server: String
    var port: Int?
    var user: String
    var serverType: String

    init?(_ record: OdooValue) {
        guard let id = record["id"]?.intValue else { return nil }
        self.id = id
        name = record["name"]?.stringValue ?? "#\(id)"
        server = record["server"]?.stringValue ?? ""
        port = record["port"]?.intValue
        user = record["user"]?.stringValue ?? ""
        serverType = record["server_type"]?.stringValue ?? ""
    }
}

/// `ir.model`: one installed model, `model` its technical name.
struct IrModel: Equatable, Sendable {
    static let model = "ir.model"

    var id: Int
    var model: String

    init?(_ record: OdooValue) {
        guard let id = record["id"]?.intValue, let model = record["model"]?.stringValue else { return nil }
        self.id = id
        self.model = model
    }
}
