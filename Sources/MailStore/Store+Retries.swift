import Foundation
import GRDB

/// How often and how long a failed message is tried again before it is quarantined.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all (the first included); the last failure quarantines. At least 1.
    public var maxAttempts: Int
    /// Seconds before the first retry; doubled after each failure …
    public var backoff: TimeInterval
    /// … up to this many seconds.
    public var maxBackoff: TimeInterval

    public init(maxAttempts: Int = 5, backoff: TimeInterval = 60, maxBackoff: TimeInterval = 3600) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }
}

// Failed messages: the ones whose body never arrived (no raw bytes: fetched again) and the
// ones stored but not routed (routed again from their bytes). Both back off and end quarantined.
extension Store {
    /// A message the server listed but whose body did not arrive (NIL body, no answer,
    /// unreadable response, refused RETR, connection lost inside it): its row is created or
    /// updated in state `failed` with no raw bytes, `attempts` + 1 and the next attempt time;
    /// at the policy's last attempt it is `quarantined`. A row that already has its bytes is
    /// left alone. Give `uidValidity`+`uid` (IMAP) or `uidl` (POP3).
    /// - Returns: the row's state afterwards.
    @discardableResult
    public func markFetchFailed(mailbox: Int64, uidValidity: UInt32? = nil, uid: UInt32? = nil, uidl: String? = nil,
                                size: Int64? = nil, error: String, policy: RetryPolicy,
                                now: Date = Date()) throws(StoreError) -> SeenState {
        try write("recording a message that could not be fetched") { db in
            let (id, inserted) = try insert(db, mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: uidl, size: size,
                                            sha256: nil, messageID: nil, state: .failed, error: error, now: now)
            guard let row = try SeenRow.fetchOne(db, sql: "SELECT * FROM seen WHERE id = ?", arguments: [id]) else {
                throw StoreError(kind: .internalError, path: path, action: "recording a fetch failure", message: "row \(id) vanished")
            }
            if !inserted && (row.sha256 != nil || row.state == .done || row.state == .skipped) { return row.state }
            return try failAttempt(db, id: id, attempts: inserted ? 0 : row.attempts, error: error, policy: policy, now: now)
        }
    }

    /// A stored message whose parsing or routing failed: `attempts` + 1, `failed` with the
    /// next attempt time, or `quarantined` at the last attempt. Its bytes stay.
    @discardableResult
    public func markRouteFailed(id: Int64, error: String, policy: RetryPolicy, now: Date = Date()) throws(StoreError) -> SeenState {
        try write("recording a failure of message \(id)") { db in
            guard let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM seen WHERE id = ?", arguments: [id]) else {
                throw StoreError(kind: .invalidArgument, path: path, action: "recording a failure",
                                 message: "no seen message with id \(id)")
            }
            return try failAttempt(db, id: id, attempts: attempts, error: error, policy: policy, now: now)
        }
    }

    private func failAttempt(_ db: Database, id: Int64, attempts: Int, error: String, policy: RetryPolicy,
                             now: Date) throws -> SeenState {
        let done = attempts + 1
        let state: SeenState = done >= policy.maxAttempts ? .quarantined : .failed
        let next: Date? = state == .failed
            ? now.addingTimeInterval(Self.backoffDelay(attempt: done, base: policy.backoff, max: policy.maxBackoff)) : nil
        try db.execute(sql: "UPDATE seen SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                       arguments: [state, done, error, next?.storeValue, id])
        return state
    }

    /// Failed rows without raw bytes whose next attempt is due by `dueBy`: to fetch again.
    /// `uidValidity` nil: POP3 rows (and IMAP rows of every UIDVALIDITY).
    public func fetchRetries(mailbox: Int64, uidValidity: UInt32? = nil, dueBy: Date) throws(StoreError) -> [SeenRow] {
        try read("reading the messages to fetch again from mailbox \(mailbox)") { db in
            var sql = """
                SELECT * FROM seen WHERE mailbox_id = ? AND state = 'failed' AND sha256 IS NULL
                  AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                """
            var arguments: StatementArguments = [mailbox, dueBy.storeValue]
            if let uidValidity {
                sql += " AND uidvalidity = ?"
                arguments += [Int64(uidValidity)]
            }
            return try SeenRow.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments)
        }
    }

    /// Rows whose message the server verifiably no longer has (a fresh search or listing
    /// without it) before its bytes could be fetched: `skipped`, with the reason. Rows that
    /// have their bytes are never touched.
    public func markGone(ids: [Int64], reason: String) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write("noting \(ids.count) message(s) gone from the server") { db in
            for id in ids {
                try db.execute(sql: """
                    UPDATE seen SET state = 'skipped', last_error = ?, next_attempt_at = NULL
                    WHERE id = ? AND sha256 IS NULL AND state IN ('failed', 'quarantined')
                    """, arguments: [reason, id])
            }
        }
    }

    /// Failed rows routed successfully at a later attempt: back to `recorded`, so the next
    /// acknowledgement to the server (idempotent) makes them `done`.
    public func markRerouted(ids: [Int64]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write("noting \(ids.count) message(s) routed at a later attempt") { db in
            for id in ids {
                try db.execute(sql: """
                    UPDATE seen SET state = 'recorded', last_error = NULL, next_attempt_at = NULL
                    WHERE id = ? AND state IN ('failed', 'quarantined') AND sha256 IS NOT NULL
                    """, arguments: [id])
            }
        }
    }
}
