import Foundation
import GRDB

/// A processed message as the records keep it (the raw bytes stay in the spool).
public struct MessageRecord: Sendable, Equatable {
    public var seenID: Int64?
    /// With angle brackets; synthetic `<sha256@mailgate.invalid>` when the mail had none.
    public var messageID: String
    public var author: String?
    public var authorName: String?
    public var recipients: [String]
    public var date: Date?
    public var subject: String?
    public var text: String?
    public var html: String?
    /// JSON list of attachment metadata, as `parse --json` prints it.
    public var attachmentsJSON: String
    public var rawSHA256: String
    public var arrivedVia: String?

    public init(seenID: Int64?, messageID: String, author: String?, authorName: String?, recipients: [String],
                date: Date?, subject: String?, text: String?, html: String?, attachmentsJSON: String = "[]",
                rawSHA256: String, arrivedVia: String?) {
        self.seenID = seenID
        self.messageID = messageID
        self.author = author
        self.authorName = authorName
        self.recipients = recipients
        self.date = date
        self.subject = subject
        self.text = text
        self.html = html
        self.attachmentsJSON = attachmentsJSON
        self.rawSHA256 = rawSHA256
        self.arrivedVia = arrivedVia
    }
}

/// The routing decision to record with a message.
public struct RouteRecord: Sendable, Equatable {
    public struct NewThread: Sendable, Equatable {
        public var model: String
        public var alias: String
        public var values: [String: String]
        public init(model: String, alias: String, values: [String: String]) {
            self.model = model
            self.alias = alias
            self.values = values
        }
    }

    public var kind: String
    public var alias: String?
    public var reason: String
    /// reply: the thread the message joins; bounce: the bounced message's thread.
    public var threadID: Int64?
    /// new: one thread per target.
    public var newThreads: [NewThread]
    public var bounces: [BounceRow]
    /// Vacation and feedback reports record the bounce rows but move no counter.
    public var countsAgainstContacts: Bool

    public init(kind: String, alias: String?, reason: String, threadID: Int64? = nil, newThreads: [NewThread] = [],
                bounces: [BounceRow] = [], countsAgainstContacts: Bool = true) {
        self.kind = kind
        self.alias = alias
        self.reason = reason
        self.threadID = threadID
        self.newThreads = newThreads
        self.bounces = bounces
        self.countsAgainstContacts = countsAgainstContacts
    }
}

public struct BounceRow: Sendable, Equatable {
    public var recipient: String
    public var status: String?
    public var replyCode: String?
    public var diagnostic: String?
    public var reason: String?
    public var hard: Bool?
    public var originalMessageID: String?

    public init(recipient: String, status: String?, replyCode: String?, diagnostic: String?, reason: String?,
                hard: Bool?, originalMessageID: String?) {
        self.recipient = recipient
        self.status = status
        self.replyCode = replyCode
        self.diagnostic = diagnostic
        self.reason = reason
        self.hard = hard
        self.originalMessageID = originalMessageID
    }
}

/// One thread (an Odoo record) with its message count, for `mailgate threads`.
public struct ThreadSummary: Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var model: String
    public var alias: String?
    public var subject: String?
    public var contactEmail: String?
    public var valuesJSON: String
    public var created: Date
    public var messageCount: Int

    public init(row: Row) throws {
        id = row["id"]
        model = row["model"]
        alias = row["alias"]
        subject = row["subject"]
        contactEmail = row["contact_email"]
        valuesJSON = row["values"]
        created = row["created_at"]
        messageCount = row["message_count"]
    }
}

/// One recorded message, for `mailgate show` and `replay`.
public struct MessageSummary: Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var seenID: Int64?
    public var threadID: Int64?
    public var messageID: String
    public var author: String?
    public var authorName: String?
    public var date: Date?
    public var subject: String?
    public var text: String?
    public var attachmentsJSON: String
    public var rawSHA256: String
    public var arrivedVia: String?
    public var route: String
    public var routeAlias: String?
    public var routeReason: String
    public var routedAt: Date

    public init(row: Row) throws {
        id = row["id"]
        seenID = row["seen_id"]
        threadID = row["thread_id"]
        messageID = row["message_id"]
        author = row["author"]
        authorName = row["author_name"]
        date = row["date"]
        subject = row["subject"]
        text = row["text"]
        attachmentsJSON = row["attachments"]
        rawSHA256 = row["raw_sha256"]
        arrivedVia = row["arrived_via"]
        route = row["route"]
        routeAlias = row["route_alias"]
        routeReason = row["route_reason"]
        routedAt = row["routed_at"]
    }
}

public struct ContactInfo: Sendable, Equatable {
    public var email: String
    public var bounceCount: Int
    public var lastBounce: Date?
}
