import Foundation
import GRDB

/// Where an outbox row stands: `queued` → `in_flight` (one process is pushing it) →
/// `delivered` (Odoo answered an id), `not_filed` (Odoo answered false/null: duplicate,
/// bounce, catchall, refused, loop), or `parked` (kept with Odoo's text; `replay
/// --quarantined` queues it again). A transient failure puts it back to `queued` with a
/// later `next_attempt_at`.
public enum OutboxState: String, Sendable, CaseIterable, Codable, DatabaseValueConvertible {
    case queued
    case inFlight = "in_flight"
    case delivered
    case notFiled = "not_filed"
    case parked
}

/// A message to queue for an Odoo server.
public struct NewOutboxRow: Sendable, Equatable {
    public var server: String
    public var alias: String?
    public var messageID: String
    public var parentMessageID: String?
    public var rawSHA256: String

    public init(server: String, alias: String?, messageID: String, parentMessageID: String?, rawSHA256: String) {
        self.server = server
        self.alias = alias
        self.messageID = messageID
        self.parentMessageID = parentMessageID
        self.rawSHA256 = rawSHA256
    }
}

/// One outbox row.
public struct OutboxRow: Sendable, Equatable, FetchableRecord, Decodable {
    public var id: Int64
    public var server: String
    public var alias: String?
    public var messageID: String
    public var parentMessageID: String?
    public var rawSHA256: String
    public var state: OutboxState
    public var attempts: Int
    public var sameAnswers: Int
    public var lastAnswer: String?
    public var maybeFiled: Bool
    public var noRoute: Bool
    public var odooRecordID: Int64?
    public var nextAttemptAt: Date?
    public var queuedAt: Date
    public var firstAttemptAt: Date?
    public var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, server, alias, state, attempts
        case messageID = "message_id", parentMessageID = "parent_message_id", rawSHA256 = "raw_sha256"
        case sameAnswers = "same_answers", lastAnswer = "last_answer", maybeFiled = "maybe_filed"
        case noRoute = "no_route", odooRecordID = "odoo_record_id", nextAttemptAt = "next_attempt_at"
        case queuedAt = "queued_at", firstAttemptAt = "first_attempt_at", finishedAt = "finished_at"
    }
}

/// How a push ended, as the outbox records it.
public enum OutboxResult: Sendable, Equatable {
    case delivered(recordID: Int64?)
    case notFiled(String)
    case parked(String, noRoute: Bool)
    /// Queue again after `delay` seconds unless `retryFor` has passed since the first attempt
    /// or `answer` (nil: no answer at all) came three times in a row: then park.
    case retry(String, answer: String?, maybeFiled: Bool, delay: TimeInterval, retryFor: TimeInterval)
    /// Not this message's fault (the server is paused, the run is stopping): queue again as it
    /// was, the attempt not counted.
    case release
}

/// A server's delivery state (`status`).
public struct OdooServerState: Sendable, Equatable {
    public var name: String
    public var protocolName: String?
    /// ok | paused | unreachable
    public var state: String
    public var lastFault: String?
    public var updatedAt: Date?

    public init(name: String, protocolName: String?, state: String, lastFault: String?, updatedAt: Date? = nil) {
        self.name = name
        self.protocolName = protocolName
        self.state = state
        self.lastFault = lastFault
        self.updatedAt = updatedAt
    }
}

/// Counts of one server's outbox.
public struct OutboxCounts: Sendable, Equatable {
    public var queued = 0
    public var inFlight = 0
    public var delivered = 0
    public var notFiled = 0
    public var parked = 0
    /// Seconds the oldest queued row has waited; nil when none is queued.
    public var oldestQueuedSeconds: Double?

    public init() {}
}
