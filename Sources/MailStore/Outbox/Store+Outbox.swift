import Foundation
import GRDB

// The Odoo outbox (DESIGN.md guarantee 7): queued in the transaction that records the
// message, claimed one row at a time in a write transaction so that every process sharing
// the store respects `maxInFlight` per server, one push per Message-Id, and thread order.

extension RecordsTransaction {
    /// Queues a recorded message for an Odoo server, in the caller's records transaction.
    /// Returns false when these exact bytes are already in this server's outbox (an exact
    /// duplicate is never sent twice).
    @discardableResult
    public func queueForOdoo(_ row: NewOutboxRow, now: Date = Date()) throws -> Bool {
        try db.execute(sql: """
            INSERT OR IGNORE INTO outbox (server, alias, message_id, parent_message_id, raw_sha256, queued_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [row.server, row.alias, row.messageID, row.parentMessageID, row.rawSHA256, now.storeValue])
        return db.changesCount > 0
    }
}

extension Store {
    /// Takes the next row of `server` to push, or nil when none may go now: `maxInFlight`
    /// rows of this server are in flight (across processes), or every queued row waits for
    /// its backoff (unless `ignoringBackoff`), for its parent (queued or in flight earlier in
    /// the same server's outbox), or for another push of its Message-Id to finish.
    ///
    /// Rows claimed by a process that is gone, or longer ago than `staleAfter`, are queued
    /// again first, flagged `maybe_filed` (their answer was lost). A row already tried since
    /// `drainStart` is not taken again (one drain tries each row once).
    public func claimOutbox(server: String, owner: String, maxInFlight: Int, staleAfter: TimeInterval,
                            ignoringBackoff: Bool = false, drainStart: Date = .distantFuture,
                            now: Date = Date()) throws(StoreError) -> OutboxRow? {
        try write("claiming an outbox row of \(server)") { db in
            try Self.claim(db, server: server, owner: owner, maxInFlight: maxInFlight, staleAfter: staleAfter,
                           ignoringBackoff: ignoringBackoff, drainStart: drainStart, now: now)
        }
    }

    /// Records how the push of row `id` ended, then claims the next row as `claimOutbox` does
    /// (`maxInFlight` 0: claims none), in one transaction (one sync to disk per push). The
    /// finished state is nil when `owner` no longer held the row (it was reclaimed as stale).
    public func finishAndClaimOutbox(finishing id: Int64, _ result: OutboxResult, server: String, owner: String,
                                     maxInFlight: Int, staleAfter: TimeInterval, ignoringBackoff: Bool = false,
                                     drainStart: Date = .distantFuture, now: Date = Date()) throws(StoreError)
        -> (finished: OutboxState?, next: OutboxRow?) {
        try write("recording a push and claiming the next") { db in
            let finished = try Self.finish(db, id: id, owner: owner, result, now: now)
            let next = try Self.claim(db, server: server, owner: owner, maxInFlight: maxInFlight, staleAfter: staleAfter,
                                      ignoringBackoff: ignoringBackoff, drainStart: drainStart, now: now)
            return (finished, next)
        }
    }

    private static func claim(_ db: Database, server: String, owner: String, maxInFlight: Int, staleAfter: TimeInterval,
                              ignoringBackoff: Bool, drainStart: Date, now: Date) throws -> OutboxRow? {
        let claimed = try Row.fetchAll(db, sql: """
            SELECT id, claimed_by, claimed_at FROM outbox WHERE state = 'in_flight' AND server = ?
            """, arguments: [server])
        for row in claimed {
            let by: String = row["claimed_by"] ?? ""
            let at: Date? = row["claimed_at"]
            if by != owner && (Store.leaseOwnerIsGone(by) || (at.map { now.timeIntervalSince($0) > staleAfter } ?? true)) {
                try db.execute(sql: """
                    UPDATE outbox SET state = 'queued', maybe_filed = 1, claimed_by = NULL, claimed_at = NULL
                    WHERE id = ? AND state = 'in_flight'
                    """, arguments: [row["id"] as Int64])
            }
        }
        let inFlight = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE server = ? AND state = 'in_flight'",
                                        arguments: [server]) ?? 0
        guard inFlight < maxInFlight else { return nil }
        guard let row = try OutboxRow.fetchOne(db, sql: """
            SELECT * FROM outbox o
            WHERE o.server = ? AND o.state = 'queued'
              AND (? OR o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
              AND (o.last_attempt_at IS NULL OR o.last_attempt_at < ?)
              AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.message_id = o.message_id AND x.state = 'in_flight')
              AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.server = o.server AND p.id < o.id
                                AND p.message_id = o.parent_message_id AND p.state IN ('queued', 'in_flight'))
            ORDER BY o.id LIMIT 1
            """, arguments: [server, ignoringBackoff, now.storeValue, drainStart.storeValue]) else { return nil }
        try db.execute(sql: """
            UPDATE outbox SET state = 'in_flight', claimed_by = ?, claimed_at = ?, last_attempt_at = ?,
                attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?)
            WHERE id = ?
            """, arguments: [owner, now.storeValue, now.storeValue, now.storeValue, row.id])
        var taken = row
        taken.state = .inFlight
        taken.attempts += 1
        taken.firstAttemptAt = taken.firstAttemptAt ?? now
        return taken
    }

    /// How the push of a claimed row ended (see `finishAndClaimOutbox`). Does nothing when
    /// `owner` no longer holds the row (it was reclaimed as stale). Returns the row's new state.
    private static func finish(_ db: Database, id: Int64, owner: String, _ result: OutboxResult, now: Date) throws -> OutboxState? {
        guard let row = try OutboxRow.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ? AND state = 'in_flight' AND claimed_by = ?",
                                               arguments: [id, owner]) else { return nil }
        let done = "claimed_by = NULL, claimed_at = NULL"
        switch result {
        case .delivered(let recordID):
            try db.execute(sql: """
                UPDATE outbox SET state = 'delivered', odoo_record_id = ?, maybe_filed = 0, finished_at = ?, \(done)
                WHERE id = ?
                """, arguments: [recordID, now.storeValue, id])
            return .delivered
        case .notFiled(let text):
            try db.execute(sql: """
                UPDATE outbox SET state = 'not_filed', last_answer = ?, maybe_filed = 0, finished_at = ?, \(done)
                WHERE id = ?
                """, arguments: [text, now.storeValue, id])
            return .notFiled
        case .parked(let text, let noRoute):
            try db.execute(sql: """
                UPDATE outbox SET state = 'parked', last_answer = ?, no_route = ?, finished_at = ?, \(done) WHERE id = ?
                """, arguments: [text, noRoute, now.storeValue, id])
            return .parked
        case .release:
            try db.execute(sql: "UPDATE outbox SET state = 'queued', attempts = attempts - 1, last_attempt_at = NULL, \(done) WHERE id = ?",
                           arguments: [id])
            return .queued
        case let .retry(text, answer, maybeFiled, delay, retryFor):
            let same = answer != nil && answer == row.lastAnswer ? row.sameAnswers + 1 : (answer == nil ? 0 : 1)
            let first = row.firstAttemptAt ?? now
            let expired = now.timeIntervalSince(first) >= retryFor
            let shown = answer ?? text
            if same >= 3 || expired {
                let why = same >= 3 ? "the same answer three times: \(shown)" : "still failing after \(Int(retryFor))s: \(text)"
                try db.execute(sql: """
                    UPDATE outbox SET state = 'parked', last_answer = ?, same_answers = ?, maybe_filed = ?,
                        finished_at = ?, \(done) WHERE id = ?
                    """, arguments: [why, same, maybeFiled || row.maybeFiled, now.storeValue, id])
                return .parked
            }
            try db.execute(sql: """
                UPDATE outbox SET state = 'queued', last_answer = ?, same_answers = ?, maybe_filed = ?,
                    next_attempt_at = ?, \(done) WHERE id = ?
                """, arguments: [answer ?? text, same, maybeFiled || row.maybeFiled, now.addingTimeInterval(delay).storeValue, id])
            return .queued
        }
    }

    /// Counts per server (every server with a row or a state).
    public func outboxCounts(now: Date = Date()) throws(StoreError) -> [String: OutboxCounts] {
        try read("counting the outbox") { db in
            var result: [String: OutboxCounts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT server, state, COUNT(*) AS n, MIN(queued_at) AS oldest FROM outbox GROUP BY server, state") {
                let server: String = row["server"]
                let n: Int = row["n"]
                var counts = result[server] ?? OutboxCounts()
                switch OutboxState(rawValue: row["state"]) {
                case .queued?:
                    counts.queued = n
                    if let oldest: Date = row["oldest"] { counts.oldestQueuedSeconds = max(0, now.timeIntervalSince(oldest)) }
                case .inFlight?: counts.inFlight = n
                case .delivered?: counts.delivered = n
                case .notFiled?: counts.notFiled = n
                case .parked?: counts.parked = n
                case nil: break
                }
                result[server] = counts
            }
            return result
        }
    }

    /// Queues parked rows again (`replay --quarantined`), as new: attempts and answers reset.
    /// `aliases` nil: every parked row. Returns how many.
    @discardableResult
    public func requeueParked(aliases: [String]? = nil, now: Date = Date()) throws(StoreError) -> Int {
        try write("queueing parked messages again") { db in
            let filter = aliases.map { list in
                "AND alias IN (\(list.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")))"
            } ?? ""
            try db.execute(sql: """
                UPDATE outbox SET state = 'queued', attempts = 0, same_answers = 0, last_answer = NULL, no_route = 0,
                    next_attempt_at = NULL, first_attempt_at = NULL, finished_at = NULL, queued_at = ?
                WHERE state = 'parked' \(filter)
                """, arguments: [now.storeValue])
            return db.changesCount
        }
    }

    /// Records a server's delivery state (`ok`, `paused`, `unreachable`), protocol and last fault.
    public func setOdooServerState(_ state: OdooServerState, now: Date = Date()) throws(StoreError) {
        try write("recording the state of Odoo server \(state.name)") { db in
            try db.execute(sql: """
                INSERT INTO odoo_servers (name, protocol, state, last_fault, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET protocol = COALESCE(excluded.protocol, protocol), state = excluded.state,
                    last_fault = excluded.last_fault, updated_at = excluded.updated_at
                """, arguments: [state.name, state.protocolName, state.state, state.lastFault, now.storeValue])
        }
    }

    /// Every server's recorded delivery state.
    public func odooServerStates() throws(StoreError) -> [String: OdooServerState] {
        try read("reading the Odoo server states") { db in
            var result: [String: OdooServerState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM odoo_servers") {
                let name: String = row["name"]
                result[name] = OdooServerState(name: name, protocolName: row["protocol"], state: row["state"],
                                               lastFault: row["last_fault"], updatedAt: row["updated_at"])
            }
            return result
        }
    }

    /// The raw SHA-256 digests the outbox still needs (queued, in flight or parked): the spool
    /// must keep them.
    public func outboxPendingDigests() throws(StoreError) -> Set<String> {
        try read("reading the outbox") { db in
            Set(try String.fetchAll(db, sql: "SELECT raw_sha256 FROM outbox WHERE state IN ('queued', 'in_flight', 'parked')"))
        }
    }
}

extension Store {
    /// The outbox row of these bytes for `server`, if queued.
    public func outboxRow(server: String, rawSHA256: String) throws(StoreError) -> OutboxRow? {
        try read("reading the outbox") { db in
            try OutboxRow.fetchOne(db, sql: "SELECT * FROM outbox WHERE server = ? AND raw_sha256 = ?",
                                   arguments: [server, rawSHA256])
        }
    }
}

extension Store {
    /// Parked outbox rows per alias (they join the alias's quarantine in `status`).
    public func outboxParkedByAlias() throws(StoreError) -> [String: Int] {
        try read("counting parked Odoo messages") { db in
            var result: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT alias, COUNT(*) AS n FROM outbox WHERE state = 'parked' AND alias IS NOT NULL GROUP BY alias") {
                result[row["alias"]] = row["n"]
            }
            return result
        }
    }
}
