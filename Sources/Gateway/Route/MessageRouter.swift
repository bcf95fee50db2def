import Foundation
import MIME
import MailStore
import Routing

/// Parses a stored raw message, routes it with Odoo's order and records the decision
/// (threads, message row, bounces, contacts) inside the caller's records transaction.
struct MessageRouter {
    let rules: RoutingRules
    let parser: MIMEParser

    init(config: Config) {
        rules = config.routingRules
        parser = MIMEParser(options: ParserOptions(fallbackCharset: config.defaults.fallbackCharset ?? "gb18030"))
    }

    struct Outcome {
        var route: Route
        var steps: [RoutingStep]
        var message: Message
        var messageRow: Int64?
    }

    /// Decides without recording anything (`mailgate route`).
    func decide(raw: [UInt8], arrivedVia: String?, in records: RecordsTransaction, excluding: Int64? = nil,
                now: Date = Date()) throws -> Outcome {
        let message = parser.parse(raw)
        let digest = SHA256.hex(raw)
        let input = RoutingInput(message, rawSHA256: digest, arrivedVia: arrivedVia)
        let (route, steps) = try Router(rules: rules, lookup: StoreLookup(records: records, excluding: excluding))
            .route(input, now: now)
        return Outcome(route: route, steps: steps, message: message)
    }

    /// Decides and records; `replacing` re-routes an existing message row (replay).
    func routeAndRecord(raw: [UInt8], seenID: Int64?, arrivedVia: String?, in records: RecordsTransaction,
                        replacing: Int64? = nil, now: Date = Date()) throws -> Outcome {
        var outcome = try decide(raw: raw, arrivedVia: arrivedVia, in: records, excluding: replacing, now: now)
        let digest = SHA256.hex(raw)
        let m = outcome.message
        let record = MessageRecord(
            seenID: seenID,
            messageID: m.messageID ?? "<\(digest)@mailgate.invalid>",
            author: m.from.first?.address?.lowercased(),
            authorName: m.from.first?.name,
            recipients: (m.to + m.cc).compactMap { $0.address?.lowercased() },
            date: m.date, subject: m.subject, text: m.text, html: m.html,
            attachmentsJSON: JSONValue.array(m.attachments.map(\.jsonValue)).serialized(),
            rawSHA256: digest, arrivedVia: arrivedVia)
        outcome.messageRow = try records.recordRouting(record, RouteRecord(outcome.route), replacing: replacing, now: now)
        return outcome
    }
}

extension RouteRecord {
    init(_ route: Route) {
        let bounces = route.bounce?.recipients.map {
            BounceRow(recipient: $0.address, status: $0.status, replyCode: $0.replyCode, diagnostic: $0.diagnostic,
                      reason: $0.reason, hard: $0.hard, originalMessageID: route.bounce?.originalMessageID)
        } ?? []
        let counts = !bounces.contains { $0.reason == "vacation" || $0.reason == "feedback" }
        self.init(kind: route.kind.rawValue, alias: route.alias, reason: route.reason, threadID: route.threadID,
                  newThreads: route.targets.map { NewThread(model: $0.model, alias: $0.alias, values: $0.values) },
                  bounces: bounces, countsAgainstContacts: counts)
    }
}
