import Foundation
import GRDB

// Seen-state: what was fetched from each mailbox and where it stands.
extension Store {
    // MARK: Mailboxes

    /// The id of the mailbox (host, port, user, folder), created on first use.
    /// POP3 mailboxes use the folder "INBOX".
    public func mailboxID(host: String, port: Int, user: String, folder: String) throws(StoreError) -> Int64 {
        try writeBookkeeping("registering mailbox \(user)@\(host):\(port)/\(folder)") { db in
            try db.execute(sql: """
                INSERT INTO mailboxes (host, port, user, folder) VALUES (?, ?, ?, ?)
                ON CONFLICT (host, port, user, folder) DO NOTHING
                """, arguments: [host, port, user, folder])
            return try Int64.fetchOne(db, sql: """
                SELECT id FROM mailboxes WHERE host = ? AND port = ? AND user = ? AND folder = ?
                """, arguments: [host, port, user, folder])!
        }
    }

    /// The mailbox row, or nil for an unknown id.
    public func mailbox(_ id: Int64) throws(StoreError) -> MailboxInfo? {
        try read("reading mailbox \(id)") { db in
            try MailboxInfo.fetchOne(db, sql: "SELECT * FROM mailboxes WHERE id = ?", arguments: [id])
        }
    }

    /// The UIDVALIDITY the mailbox had at the last poll (nil before the first IMAP poll).
    public func uidValidity(mailbox: Int64) throws(StoreError) -> UInt32? {
        try self.mailbox(mailbox)?.uidValidity
    }

    /// Remembers the mailbox's current UIDVALIDITY (and UIDNEXT when known).
    /// Rows of older UIDVALIDITY values stay (Message-ID matching uses them).
    public func setUIDValidity(mailbox: Int64, value: UInt32, uidNext: UInt32? = nil) throws(StoreError) {
        try writeBookkeeping("saving UIDVALIDITY of mailbox \(mailbox)") { db in
            try db.execute(sql: "UPDATE mailboxes SET uidvalidity = ?, uidnext = COALESCE(?, uidnext) WHERE id = ?",
                           arguments: [Int64(value), uidNext.map { Int64($0) }, mailbox])
        }
    }

    // MARK: Lookups

    /// POP3: every UIDL recorded for the mailbox, in any state.
    public func recordedUIDLs(mailbox: Int64) throws(StoreError) -> [String: SeenState] {
        try read("reading the seen UIDLs of mailbox \(mailbox)") { db in
            var result: [String: SeenState] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT uidl, state FROM seen WHERE mailbox_id = ? AND uidl IS NOT NULL",
                                           arguments: [mailbox])
            while let row = try rows.next() { result[row["uidl"]] = row["state"] }
            return result
        }
    }

    /// IMAP: every UID ≥ `from` recorded under this UIDVALIDITY, in any state.
    public func recordedUIDs(mailbox: Int64, uidValidity: UInt32, from: UInt32 = 0) throws(StoreError) -> [UInt32: SeenState] {
        try read("reading the seen UIDs of mailbox \(mailbox)") { db in
            var result: [UInt32: SeenState] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT uid, state FROM seen WHERE mailbox_id = ? AND uidvalidity = ? AND uid >= ?",
                                           arguments: [mailbox, Int64(uidValidity), Int64(from)])
            while let row = try rows.next() { result[UInt32(truncatingIfNeeded: row["uid"] as Int64)] = row["state"] }
            return result
        }
    }

    /// Rows still to be handed to their target: `recorded`, and `failed` ones (only those due
    /// by `dueBy` when given), oldest first. `uidValidity` nil: every row of the mailbox.
    public func notDone(mailbox: Int64, uidValidity: UInt32? = nil, dueBy: Date? = nil) throws(StoreError) -> [SeenRow] {
        try read("reading the pending messages of mailbox \(mailbox)") { db in
            var sql = "SELECT * FROM seen WHERE mailbox_id = ? AND (state = 'recorded' OR (state = 'failed'"
            var arguments: StatementArguments = [mailbox]
            if let dueBy {
                sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
                arguments += [dueBy.storeValue]
            }
            sql += "))"
            if let uidValidity {
                sql += " AND uidvalidity = ?"
                arguments += [Int64(uidValidity)]
            }
            sql += " ORDER BY id"
            return try SeenRow.fetchAll(db, sql: sql, arguments: arguments)
        }
    }

    /// Rows of a mailbox (every mailbox when nil) in the given states, oldest first:
    /// e.g. the quarantine for `status` and `replay`.
    public func rows(mailbox: Int64? = nil, states: Set<SeenState>) throws(StoreError) -> [SeenRow] {
        try read("reading seen messages") { db in
            let marks = Array(repeating: "?", count: states.count).joined(separator: ", ")
            var arguments = StatementArguments(states.map(\.rawValue))
            var sql = "SELECT * FROM seen WHERE state IN (\(marks.isEmpty ? "NULL" : marks))"
            if let mailbox {
                sql += " AND mailbox_id = ?"
                arguments += [mailbox]
            }
            return try SeenRow.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments)
        }
    }

    /// One seen row by id.
    public func row(id: Int64) throws(StoreError) -> SeenRow? {
        try read("reading seen message \(id)") { db in
            try SeenRow.fetchOne(db, sql: "SELECT * FROM seen WHERE id = ?", arguments: [id])
        }
    }

    /// For a UIDVALIDITY change: (Message-ID, size) → the newest row with that identity,
    /// across every UIDVALIDITY of the mailbox. Rows without a Message-ID or size are left out.
    public func messageIDs(mailbox: Int64) throws(StoreError) -> [MessageIdentity: SeenRow] {
        try read("reading the Message-IDs of mailbox \(mailbox)") { db in
            var result: [MessageIdentity: SeenRow] = [:]
            let rows = try SeenRow.fetchCursor(db, sql: """
                SELECT * FROM seen WHERE mailbox_id = ? AND message_id IS NOT NULL AND size IS NOT NULL ORDER BY id
                """, arguments: [mailbox])
            while let row = try rows.next() {
                result[MessageIdentity(messageID: row.messageID!, size: row.size!)] = row
            }
            return result
        }
    }

    /// Rows whose spool file may hold the given content (any mailbox): finds duplicates.
    public func rows(sha256: String) throws(StoreError) -> [SeenRow] {
        try read("looking up a message by content") { db in
            try SeenRow.fetchAll(db, sql: "SELECT * FROM seen WHERE sha256 = ? ORDER BY id", arguments: [sha256])
        }
    }

    // MARK: Recording

    /// Records a batch of fetched messages in ONE transaction, state `recorded`, with the raw
    /// bytes of those given in `raw` (SHA-256 → bytes; the others were streamed into the spool
    /// and synced before). Idempotent: a row that already exists
    /// (same mailbox and UIDVALIDITY+UID, or UIDL) is left as it is — except a row whose
    /// fetch failed (no raw bytes yet), which now has them and becomes `recorded`.
    /// - Returns: the row id of each batch entry, in order (the existing row's id for a repeat).
    @discardableResult
    public func record(_ batch: [NewSeenRow], raw: [String: [UInt8]] = [:], now: Date = Date()) throws(StoreError) -> [Int64] {
        if batch.isEmpty { return [] }
        return try write("recording \(batch.count) message(s)") { db in
            for (sha256, bytes) in raw { try insertRaw(db, sha256: sha256, bytes: bytes) }
            let stamp = now.storeValue  // formatted once per batch, not once per row
            return try batch.map { entry in
                try insert(db, mailbox: entry.mailbox, uidValidity: entry.uidValidity, uid: entry.uid, uidl: entry.uidl,
                           size: entry.size, sha256: entry.sha256, messageID: entry.messageID,
                           state: .recorded, error: nil, now: stamp).id
            }
        }
    }

    /// Records an oversized message that was not fetched (state `skipped`, the reason as its
    /// error). Give `uidValidity`+`uid` for IMAP or `uidl` for POP3.
    /// - Returns: true the first time (report it), false when it was already recorded.
    @discardableResult
    public func recordSkipped(mailbox: Int64, uidValidity: UInt32? = nil, uid: UInt32? = nil, uidl: String? = nil,
                              size: Int64, messageID: String? = nil, reason: String,
                              now: Date = Date()) throws(StoreError) -> Bool {
        try write("recording a skipped message") { db in
            let (id, inserted) = try insert(db, mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: uidl, size: size,
                                            sha256: nil, messageID: messageID, state: .skipped, error: reason, now: now.storeValue)
            if inserted { return true }
            // A message whose fetch failed before turns out too large: skipped now, reported once.
            try db.execute(sql: """
                UPDATE seen SET state = 'skipped', size = ?, last_error = ?, next_attempt_at = NULL
                WHERE id = ? AND sha256 IS NULL AND state IN ('failed', 'quarantined')
                """, arguments: [size, reason, id])
            return db.changesCount == 1
        }
    }

    /// IMAP `start = unseen|new`: marks the UIDs present at the first poll as `done` without
    /// fetching them (no size, no content). Existing rows are left alone.
    public func recordBaseline(mailbox: Int64, uidValidity: UInt32, uids: [UInt32], now: Date = Date()) throws(StoreError) {
        try write("recording the baseline of mailbox \(mailbox)") { db in
            for uid in uids {
                _ = try insert(db, mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: nil, size: nil, sha256: nil,
                               messageID: nil, state: .done, error: nil, now: now.storeValue)
            }
        }
    }

    /// POP3 `start = new`: marks the UIDLs present at the first poll as `done`.
    public func recordBaseline(mailbox: Int64, uidls: [String], now: Date = Date()) throws(StoreError) {
        try write("recording the baseline of mailbox \(mailbox)") { db in
            for uidl in uidls {
                _ = try insert(db, mailbox: mailbox, uidValidity: nil, uid: nil, uidl: uidl, size: nil, sha256: nil,
                               messageID: nil, state: .done, error: nil, now: now.storeValue)
            }
        }
    }

    /// After a UIDVALIDITY change: records each new UID as the message of an older row
    /// (found with `messageIDs(mailbox:)`), copying its size, content, Message-ID, state and
    /// attempts, so it is neither fetched nor routed again.
    public func carryOver(mailbox: Int64, uidValidity: UInt32, _ matches: [(uid: UInt32, from: Int64)],
                          now: Date = Date()) throws(StoreError) {
        try write("carrying seen-state over to UIDVALIDITY \(uidValidity)") { db in
            for match in matches {
                try db.execute(sql: """
                    INSERT INTO seen (mailbox_id, uidvalidity, uid, size, sha256, message_id, state, attempts,
                                      last_error, next_attempt_at, recorded_at, done_at, raw_removed)
                    SELECT mailbox_id, ?, ?, size, sha256, message_id, state, attempts,
                           last_error, next_attempt_at, ?, done_at, raw_removed
                    FROM seen WHERE id = ? AND mailbox_id = ?
                    ON CONFLICT DO NOTHING
                    """, arguments: [Int64(uidValidity), Int64(match.uid), now.storeValue, match.from, mailbox])
            }
        }
    }

    // MARK: State changes

    /// Marks rows `done` (delivered to their target), in one transaction.
    public func markDone(ids: [Int64], now: Date = Date()) throws(StoreError) {
        try writeBookkeeping("marking \(ids.count) message(s) done") { db in
            for id in ids {
                try db.execute(sql: "UPDATE seen SET \(Self.doneAssignments) WHERE id = ? AND \(Self.doneCondition)",
                               arguments: [now.storeValue, id])
            }
        }
    }

    /// IMAP: marks the UIDs of one UIDVALIDITY `done`, in one transaction.
    public func markDone(mailbox: Int64, uidValidity: UInt32, uids: [UInt32], now: Date = Date()) throws(StoreError) {
        try writeBookkeeping("marking \(uids.count) message(s) done") { db in
            let stamp = now.storeValue
            for uid in uids {
                try db.executeCached("""
                    UPDATE seen SET \(Self.doneAssignments)
                    WHERE mailbox_id = ? AND uidvalidity = ? AND uid = ? AND \(Self.doneCondition)
                    """, [stamp, mailbox, Int64(uidValidity), Int64(uid)])
            }
        }
    }

    /// POP3: marks UIDLs `done`, in one transaction.
    public func markDone(mailbox: Int64, uidls: [String], now: Date = Date()) throws(StoreError) {
        try writeBookkeeping("marking \(uidls.count) message(s) done") { db in
            for uidl in uidls {
                try db.execute(sql: """
                    UPDATE seen SET \(Self.doneAssignments) WHERE mailbox_id = ? AND uidl = ? AND \(Self.doneCondition)
                    """, arguments: [now.storeValue, mailbox, uidl])
            }
        }
    }

    /// The server was told: `recorded` rows become `done`. A row whose routing failed keeps
    /// its `failed` state (it is routed again from its stored bytes) and skipped rows stay.
    private static let doneAssignments = "state = 'done', done_at = ?, last_error = NULL, next_attempt_at = NULL"
    private static let doneCondition = "state IN ('recorded', 'done')"

    /// The wait after failed attempt number `attempt` (1-based): base·2^(attempt-1), capped.
    public static func backoffDelay(attempt: Int, base: TimeInterval, max: TimeInterval) -> TimeInterval {
        let exponent = Double(Swift.min(Swift.max(attempt - 1, 0), 62))
        return Swift.min(base * pow(2, exponent), max)
    }

    /// `replay`: gives quarantined or failed rows a fresh set of attempts. A row with its raw
    /// bytes goes back to `recorded` (routed again from them); one whose body never arrived
    /// becomes `failed` and due now, so the next poll fetches it (it must never be
    /// `recorded`: that would acknowledge on the server a message Mailgate does not have).
    public func requeue(ids: [Int64]) throws(StoreError) {
        try write("re-queueing \(ids.count) message(s)") { db in
            for id in ids {
                try db.execute(sql: """
                    UPDATE seen SET state = CASE WHEN sha256 IS NULL THEN 'failed' ELSE 'recorded' END,
                                    attempts = 0, last_error = NULL, next_attempt_at = NULL
                    WHERE id = ? AND state IN ('failed', 'quarantined')
                    """, arguments: [id])
            }
        }
    }

    // MARK: Spool cleanup

    /// Spool keys whose every row is `done` before `date` and whose raw file is still kept:
    /// the files `keep_raw` allows to remove. Content still referenced by a row that is not
    /// done (or done later) is not listed.
    public func doneRawOlderThan(_ date: Date) throws(StoreError) -> [String] {
        try read("listing old raw messages") { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT s.sha256 FROM seen s
                WHERE s.sha256 IS NOT NULL AND s.raw_removed = 0 AND s.state = 'done' AND s.done_at < ?
                  AND NOT EXISTS (SELECT 1 FROM seen t WHERE t.sha256 = s.sha256 AND t.raw_removed = 0
                                  AND (t.state <> 'done' OR t.done_at >= ?))
                ORDER BY s.sha256
                """, arguments: [date.storeValue, date.storeValue])
        }
    }

    /// Notes that the spool files of these keys were removed (rows keep their sha256).
    public func markRawRemoved(sha256s: [String]) throws(StoreError) {
        try write("noting \(sha256s.count) removed raw message(s)") { db in
            for key in sha256s {
                try db.execute(sql: "UPDATE seen SET raw_removed = 1 WHERE sha256 = ?", arguments: [key])
            }
        }
    }

    // MARK: Private

    /// INSERT … ON CONFLICT DO NOTHING; returns the row id and whether it was new.
    func insert(_ db: Database, mailbox: Int64, uidValidity: UInt32?, uid: UInt32?, uidl: String?,
                        size: Int64?, sha256: String?, messageID: String?, state: SeenState, error: String?,
                        now: any DatabaseValueConvertible) throws -> (id: Int64, inserted: Bool) {
        let isIMAP = uid != nil
        guard isIMAP ? (uidValidity != nil && uidl == nil) : (uidl != nil && uidValidity == nil) else {
            throw StoreError(kind: .invalidArgument, path: path, action: "recording a message",
                             message: "a seen row needs either UIDVALIDITY and UID (IMAP) or a UIDL (POP3)")
        }
        try db.executeCached("""
            INSERT INTO seen (mailbox_id, uidvalidity, uid, uidl, size, sha256, message_id, state, last_error, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, [mailbox, uidValidity.map { Int64($0) }, uid.map { Int64($0) }, uidl, size, sha256, messageID,
                             state, error, now])
        if db.changesCount == 1 { return (db.lastInsertedRowID, true) }
        let existing = try existingID(db, mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: uidl)
        if let sha256, state == .recorded {
            try db.execute(sql: """
                UPDATE seen SET state = 'recorded', size = ?, sha256 = ?, message_id = ?, last_error = NULL,
                                next_attempt_at = NULL
                WHERE id = ? AND sha256 IS NULL AND state IN ('failed', 'quarantined')
                """, arguments: [size, sha256, messageID, existing])
        }
        return (existing, false)
    }

    /// The id of the row (mailbox, UIDVALIDITY, UID) or (mailbox, UIDL).
    func existingID(_ db: Database, mailbox: Int64, uidValidity: UInt32?, uid: UInt32?, uidl: String?) throws -> Int64 {
        let existing: Int64?
        if let uid, let uidValidity {
            existing = try Int64.fetchOne(db, sql: "SELECT id FROM seen WHERE mailbox_id = ? AND uidvalidity = ? AND uid = ?",
                                          arguments: [mailbox, Int64(uidValidity), Int64(uid)])
        } else {
            existing = try Int64.fetchOne(db, sql: "SELECT id FROM seen WHERE mailbox_id = ? AND uidl = ?",
                                          arguments: [mailbox, uidl])
        }
        guard let existing else {
            throw StoreError(kind: .internalError, path: path, action: "recording a message",
                             message: "the row was neither inserted nor found")
        }
        return existing
    }
}

extension Store {
    /// `keep_raw` cleanup: removes the raw bytes (database or spool file) of messages done
    /// before `date` (content still needed by another row stays) and notes them removed.
    /// Crash-safe in any order: removing a missing one is not an error.
    /// - Returns: how many messages' bytes were removed.
    @discardableResult
    public func removeRaw(doneBefore date: Date, from spool: Spool) throws(StoreError) -> Int {
        // The Odoo outbox still needs what it has not delivered (issue 12).
        let needed = try outboxPendingDigests()
        let keys = try doneRawOlderThan(date).filter { !needed.contains($0) }
        for key in keys { try spool.remove(sha256: key) }
        try deleteRawMessages(sha256s: keys)
        try markRawRemoved(sha256s: keys)
        return keys.count
    }
}
