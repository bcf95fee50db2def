import Foundation
import MIME
import MailStore
import Routing

/// Routes a parsed message with Odoo's order and records the decision (threads, message
/// row, bounces, contacts) inside the caller's records transaction.
struct MessageRouter {
    let rules: RoutingRules
    let parser: MIMEParser
    /// The aliases' addresses: a text bounce never names them as failed recipients.
    let ownAddresses: Set<String>
    /// Aliases with `target = "odoo"`: their messages are also queued in the outbox.
    let odooAliases: [String: AliasOdoo]

    init(config: Config) {
        rules = config.routingRules
        ownAddresses = Set(rules.aliases.map(\.address).filter { $0.contains("@") })
        parser = MIMEParser(options: ParserOptions(fallbackCharset: config.defaults.fallbackCharset ?? "gb18030"))
        odooAliases = Dictionary(config.aliases.compactMap { a in a.odoo.map { (a.name, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    struct Outcome {
        var route: Route
        var steps: [RoutingStep]
        /// The Message-ID routing used (synthetic when the mail had none).
        var messageID: String
        var messageRow: Int64?
    }

    /// The routing facts of a message (the bounce classifier's verdict among them): pure, so a
    /// poll works them out on whichever thread has the time, before the records transaction.
    func input(_ message: Message, rawSHA256: String, arrivedVia: String?) -> RoutingInput {
        RoutingInput(message, rawSHA256: rawSHA256, arrivedVia: arrivedVia, ownAddresses: ownAddresses)
    }

    /// Decides without recording anything (`mailgate route`). `input`: the message's facts when
    /// already worked out (`input(_:rawSHA256:arrivedVia:)`).
    func decide(_ message: Message, rawSHA256: String, arrivedVia: String?, in records: RecordsTransaction,
                excluding: Int64? = nil, input known: RoutingInput? = nil, now: Date = Date()) throws -> Outcome {
        let input = known ?? self.input(message, rawSHA256: rawSHA256, arrivedVia: arrivedVia)
        let (route, steps) = try Router(rules: rules, lookup: StoreLookup(records: records, excluding: excluding))
            .route(input, now: now)
        return Outcome(route: route, steps: steps, messageID: input.messageID)
    }

    /// Decides and records; `replacing` re-routes an existing message row (replay).
    func routeAndRecord(_ message: Message, rawSHA256: String, seenID: Int64?, arrivedVia: String?,
                        in records: RecordsTransaction, replacing: Int64? = nil, input: RoutingInput? = nil,
                        now: Date = Date()) throws -> Outcome {
        var outcome = try decide(message, rawSHA256: rawSHA256, arrivedVia: arrivedVia, in: records,
                                 excluding: replacing, input: input, now: now)
        let record = MessageRecord(
            seenID: seenID,
            messageID: outcome.messageID,
            author: message.from.first?.address?.lowercased(),
            authorName: message.from.first?.name,
            recipients: (message.to + message.cc).compactMap { $0.address?.lowercased() },
            date: message.date, subject: message.subject, text: message.text, html: message.html,
            attachmentsJSON: JSONValue.array(message.attachments.map(\.jsonValue)).serialized(),
            rawSHA256: rawSHA256, arrivedVia: arrivedVia)
        outcome.messageRow = try records.recordRouting(record, RouteRecord(outcome.route), replacing: replacing, now: now)
        if let alias = arrivedVia, let odoo = odooAliases[alias] {
            // Same transaction as the record: nothing recorded without being queued.
            try OdooQueue.queue(message, messageID: outcome.messageID, rawSHA256: rawSHA256, alias: alias, odoo: odoo,
                                in: records, now: now)
        }
        return outcome
    }
}

extension RouteRecord {
    init(_ route: Route) {
        let bounces = route.bounce?.recipients.map {
            BounceRow(recipient: $0.address, status: $0.status, replyCode: $0.replyCode, diagnostic: $0.diagnostic,
                      reason: $0.reason, hard: $0.hard, originalMessageID: route.bounce?.originalMessageID)
        } ?? []
        // Vacation auto-replies, feedback reports and delivery notices are not failed deliveries.
        let counts = !bounces.contains { ["vacation", "feedback", "delivered"].contains($0.reason) }
        self.init(kind: route.kind.rawValue, alias: route.alias, reason: route.reason, threadID: route.threadID,
                  newThreads: route.targets.map { NewThread(model: $0.model, alias: $0.alias, values: $0.values) },
                  bounces: bounces, countsAgainstContacts: counts)
    }
}
