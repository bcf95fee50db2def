import Foundation
import GRDB

/// Where a seen message stands.
///
/// `recorded` (raw bytes in the spool, row committed: the server may be told "done") →
/// `done` (handed to its target). A message that fails to parse, route or deliver goes to
/// `failed` (retried with backoff) and after its last attempt to `quarantined` (kept, visible
/// in `status`, replayable). `skipped` is an oversized message that was never fetched.
public enum SeenState: String, Sendable, CaseIterable, Codable, DatabaseValueConvertible {
    case recorded
    case done
    case skipped
    case failed
    case quarantined
}

/// A message about to be recorded after its raw bytes were written to the spool.
/// IMAP rows carry `uidValidity` and `uid`; POP3 rows carry `uidl`.
public struct NewSeenRow: Sendable, Equatable {
    public var mailbox: Int64
    public var uidValidity: UInt32?
    public var uid: UInt32?
    public var uidl: String?
    public var size: Int64
    public var sha256: String
    public var messageID: String?

    /// An IMAP message.
    public init(mailbox: Int64, uidValidity: UInt32, uid: UInt32, size: Int64, sha256: String, messageID: String?) {
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.uid = uid
        self.uidl = nil
        self.size = size
        self.sha256 = sha256
        self.messageID = messageID
    }

    /// A POP3 message.
    public init(mailbox: Int64, uidl: String, size: Int64, sha256: String, messageID: String?) {
        self.mailbox = mailbox
        self.uidValidity = nil
        self.uid = nil
        self.uidl = uidl
        self.size = size
        self.sha256 = sha256
        self.messageID = messageID
    }
}

/// One row of the `seen` table.
public struct SeenRow: Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var mailbox: Int64
    public var uidValidity: UInt32?
    public var uid: UInt32?
    public var uidl: String?
    /// Nil for baseline rows (marked done without fetching).
    public var size: Int64?
    /// Nil for skipped and baseline rows.
    public var sha256: String?
    public var messageID: String?
    public var state: SeenState
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var recordedAt: Date
    public var doneAt: Date?
    /// The raw file was removed from the spool by cleanup (`keep_raw`).
    public var rawRemoved: Bool

    public init(row: Row) throws {
        id = row["id"]
        mailbox = row["mailbox_id"]
        uidValidity = (row["uidvalidity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        uid = (row["uid"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        uidl = row["uidl"]
        size = row["size"]
        sha256 = row["sha256"]
        messageID = row["message_id"]
        state = row["state"]
        attempts = row["attempts"]
        lastError = row["last_error"]
        nextAttemptAt = row["next_attempt_at"]
        recordedAt = row["recorded_at"]
        doneAt = row["done_at"]
        rawRemoved = row["raw_removed"]
    }
}

/// Message-ID plus size: how a message is recognised again after a UIDVALIDITY change.
public struct MessageIdentity: Hashable, Sendable {
    public var messageID: String
    public var size: Int64

    public init(messageID: String, size: Int64) {
        self.messageID = messageID
        self.size = size
    }
}

/// A mailbox: (host, port, user, folder) and its IMAP state.
public struct MailboxInfo: Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var host: String
    public var port: Int
    public var user: String
    public var folder: String
    public var uidValidity: UInt32?
    public var uidNext: UInt32?

    /// `user@host:port/folder`, for `status`.
    public var label: String { "\(user)@\(host):\(port)/\(folder)" }

    public init(row: Row) throws {
        id = row["id"]
        host = row["host"]
        port = row["port"]
        user = row["user"]
        folder = row["folder"]
        uidValidity = (row["uidvalidity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        uidNext = (row["uidnext"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
    }
}

/// One finished poll of one alias, for `recordPoll`.
public struct PollRecord: Sendable, Equatable {
    public var alias: String
    public var mailbox: Int64?
    public var started: Date
    public var finished: Date
    public var fetched: Int
    public var skipped: Int
    public var failed: Int
    /// Nil when the poll succeeded.
    public var error: String?
    public var exitCode: Int32
    public var nextPoll: Date?

    public init(alias: String, mailbox: Int64?, started: Date, finished: Date, fetched: Int, skipped: Int,
                failed: Int, error: String?, exitCode: Int32, nextPoll: Date?) {
        self.alias = alias
        self.mailbox = mailbox
        self.started = started
        self.finished = finished
        self.fetched = fetched
        self.skipped = skipped
        self.failed = failed
        self.error = error
        self.exitCode = exitCode
        self.nextPoll = nextPoll
    }
}

/// What `mailgate status` shows for one alias.
public struct AliasStatus: Sendable, Equatable {
    public var alias: String
    public var mailboxID: Int64?
    /// `user@host:port/folder`, nil for a routing-only alias.
    public var mailbox: String?
    /// Messages stored (any state but skipped); baseline rows are not messages we have.
    public var recorded: Int
    public var done: Int
    public var skipped: Int
    public var failed: Int
    public var quarantined: Int
    public var lastPoll: Date?
    /// "ok" or "error"; nil before the first poll.
    public var lastResult: String?
    public var lastError: String?
    public var lastExitCode: Int32?
    public var lastFetched: Int?
    public var nextPoll: Date?
}
