import OdooRPC

/// What `mailgate doctor` read from one Odoo database, for the `odoo.*` checks to judge.
/// Each read keeps its own failure (an `AccessError` on `fetchmail.server` spoils only
/// `odoo.fetchmail`); a refused login or an unreachable server ends the reading.
struct OdooFindings: Sendable {
    var version: OdooVersion
    var protocolInUse: OdooProtocol
    /// Odoo 17+: the `mail.alias.domain` records; 14–16: the one domain of the
    /// `mail.catchall.domain` / `mail.catchall.alias` / `mail.bounce.alias` system parameters
    /// (none when `mail.catchall.domain` is unset).
    var aliasDomains: Result<[MailAliasDomain], OdooCallError>
    /// Confirmed (`state = 'done'`) IMAP and POP servers.
    var fetchmailServers: Result<[FetchmailServer], OdooCallError>
    /// The `mail.alias` records whose `alias_name` is one of the aliases' local parts.
    var aliases: Result<[MailAlias], OdooCallError>
    /// `ir.model` records of the aliases' models and of the models Odoo's aliases create.
    var models: Result<[IrModel], OdooCallError>
    /// The alias models that exist but the API user may not read, with Odoo's refusal.
    var unreadable: [String: OdooCallError]

    /// The domain `search_read` uses for the confirmed fetchmail servers that poll a mailbox.
    static let confirmedFetchmail: OdooValue = .array([
        .array([.string("state"), .string("="), .string("done")]),
        .array([.string("server_type"), .string("in"), .array([.string("imap"), .string("pop")])]),
    ])

    /// Reads everything the checks need for `aliases` (the aliases pushing to this server).
    /// Throws the first `loginRefused` or `unreachable`: nothing else can be read then.
    static func read(_ client: OdooClient, aliases: [AliasConfig]) throws(OdooCallError) -> OdooFindings {
        // The protocol first: with `auto` its `/web/version` also gives the version of 18 and 19.
        let protocolInUse: OdooProtocol
        do { protocolInUse = try client.detectProtocol() } catch {
            throw OdooCallError.unreachable((error as? OdooRPCError)?.description ?? "\(error)")
        }
        let version = try client.version()
        let aliasDomains = try capture { () throws(OdooCallError) in try readAliasDomains(client, version: version) }
        let fetchmail = try capture { () throws(OdooCallError) in
            try client.searchRead(model: FetchmailServer.model, domain: confirmedFetchmail, fields: FetchmailServer.fields)
                .compactMap(FetchmailServer.init)
        }
        let localParts = aliases.filter { !$0.isCatchallOrBounce }.compactMap { $0.emailAddress?.localPart.lowercased() }
        let odooAliases = try capture { () throws(OdooCallError) in
            localParts.isEmpty ? [] : try client.searchRead(
                model: MailAlias.model, domain: .array([.array([.string("alias_name"), .string("in"), .array(localParts.map { .string($0) })])]),
                fields: MailAlias.fields(for: version)).compactMap(MailAlias.init)
        }
        let wanted = Array(Set(aliases.compactMap(\.routing.model))).sorted()
        let aliasModelIDs = ((try? odooAliases.get()) ?? []).compactMap(\.modelID)
        let models = try capture { () throws(OdooCallError) in
            wanted.isEmpty && aliasModelIDs.isEmpty ? [] : try client.searchRead(
                model: IrModel.model,
                domain: .array([.string("|"), .array([.string("model"), .string("in"), .array(wanted.map { .string($0) })]),
                                .array([.string("id"), .string("in"), .array(aliasModelIDs.map { .int($0) })])]),
                fields: ["model"]).compactMap(IrModel.init)
        }
        var unreadable: [String: OdooCallError] = [:]
        let existing = Set(((try? models.get()) ?? []).map(\.model))
        for model in wanted where existing.contains(model) {
            // An impossible id: no row is counted, but Odoo's model access check still runs.
            let result = try capture { () throws(OdooCallError) in
                try client.searchCount(model: model, domain: .array([.array([.string("id"), .string("="), .int(0)])]))
            }
            if case .failure(let error) = result { unreadable[model] = error }
        }
        return OdooFindings(version: version, protocolInUse: protocolInUse, aliasDomains: aliasDomains,
                            fetchmailServers: fetchmail, aliases: odooAliases, models: models, unreadable: unreadable)
    }

    /// Odoo 17+: `mail.alias.domain`; 14–16: the three system parameters as one domain.
    private static func readAliasDomains(_ client: OdooClient, version: OdooVersion) throws(OdooCallError) -> [MailAliasDomain] {
        if version.hasAliasDomainModel {
            return try client.searchRead(model: MailAliasDomain.model, domain: .array([]), fields: MailAliasDomain.fields)
                .compactMap(MailAliasDomain.init)
        }
        let records = try client.searchRead(
            model: AliasParameter.model,
            domain: .array([.array([.string("key"), .string("in"), .array(AliasParameter.keys.map { .string($0) })])]),
            fields: ["key", "value"])
        var values: [String: String] = [:]
        for record in records {
            if let key = record["key"]?.stringValue, let value = record["value"]?.stringValue { values[key] = value }
        }
        guard let domain = values[AliasParameter.domain], !domain.isEmpty else { return [] }
        return [MailAliasDomain(id: 0, name: domain, catchallAlias: values[AliasParameter.catchall],
                                bounceAlias: values[AliasParameter.bounce])]
    }

    /// The result of `body`, its failure kept unless it ends the reading.
    private static func capture<T>(_ body: () throws(OdooCallError) -> T) throws(OdooCallError) -> Result<T, OdooCallError> {
        do {
            return .success(try body())
        } catch {
            switch error {
            case .loginRefused, .unreachable: throw error
            case .accessError, .missingModel, .other: return .failure(error)
            }
        }
    }
}
