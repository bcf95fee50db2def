import Foundation
import GRDB

/// One write transaction over the records: routing a batch reads what earlier messages of
/// the same batch recorded (a lead and its reply fetched together) and commits once.
public struct RecordsTransaction {
    let db: Database

    /// Routes that put a message into the records: a later copy of it is a duplicate.
    static let routedKinds = "('new', 'reply', 'bounce')"

    /// Records a message and its route; `replacing` re-routes an existing
    /// row (replay), removing what its previous decision created. Returns the message row id.
    @discardableResult
    public func recordRouting(_ message: MessageRecord, _ route: RouteRecord, replacing: Int64? = nil,
                              now: Date = Date()) throws -> Int64 {
        if let old = replacing { try Self.forget(messageRow: old, db) }
        let now = now.storeValue  // formatted once, bound up to four times
        var threadIDs: [Int64] = []
        for thread in route.newThreads {
            try db.executeCached("""
                INSERT INTO threads (model, alias, subject, contact_email, "values", created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [thread.model, thread.alias, message.subject, message.author,
                                 RecordsJSON.text(thread.values), now])
            threadIDs.append(db.lastInsertedRowID)
        }
        let thread = threadIDs.first ?? route.threadID
        let parent: Int64? = route.kind == "reply"
            ? try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(id) FROM messages WHERE thread_id = ?"), arguments: [thread])
            : nil
        try db.executeCached("""
            INSERT INTO messages (seen_id, thread_id, message_id, parent_id, author, author_name, recipients,
                date, subject, text, html, attachments, raw_sha256, arrived_via, route, route_alias,
                route_reason, routed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [message.seenID, route.kind == "new" || route.kind == "reply" ? thread : nil,
                             message.messageID, parent, message.author, message.authorName,
                             RecordsJSON.text(message.recipients), message.date?.storeValue, message.subject,
                             message.text, message.html, message.attachmentsJSON, message.rawSHA256, message.arrivedVia,
                             route.kind, route.alias, route.reason, now])
        let row = db.lastInsertedRowID
        for t in threadIDs {
            try db.executeCached("INSERT INTO message_threads (message_id, thread_id) VALUES (?, ?)", [row, t])
        }
        if route.kind == "new" || route.kind == "reply", let author = message.author {
            // A message from an address is proof it works again: Odoo resets the counter.
            try db.executeCached("""
                INSERT INTO contacts (email, name, created_at) VALUES (?, ?, ?)
                ON CONFLICT (email) DO UPDATE SET bounce_count = 0, name = COALESCE(excluded.name, name)
                """, [author, message.authorName, now])
            for t in threadIDs + (route.kind == "reply" ? [thread].compactMap { $0 } : []) {
                try db.executeCached("INSERT OR IGNORE INTO followers (thread_id, email) VALUES (?, ?)", [t, author])
            }
        }
        for bounce in route.bounces {
            try db.executeCached("""
                INSERT INTO bounces (message_row, recipient, status, reply_code, diagnostic, reason, hard,
                    original_message_id, thread_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [row, bounce.recipient.lowercased(), bounce.status, bounce.replyCode,
                                 bounce.diagnostic, bounce.reason, bounce.hard, bounce.originalMessageID,
                                 route.threadID, now])
            // A hard bounce counts at once; a soft one only when the address soft-bounced before
            // (a full mailbox once is no reason to stop writing to it).
            if route.countsAgainstContacts, try bounce.hard == true || Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM bounces WHERE recipient = ? AND id <> ? AND NOT COALESCE(hard, 0)
                                 AND COALESCE(reason, '') NOT IN ('vacation', 'feedback', 'delivered'))
                """), arguments: [bounce.recipient.lowercased(), db.lastInsertedRowID]) == true {
                try db.executeCached("""
                    UPDATE contacts SET bounce_count = bounce_count + 1, last_bounce_at = ? WHERE email = ?
                    """, [now, bounce.recipient.lowercased()])
            }
        }
        return row
    }

    /// Undoes a message row's previous decision: its bounces, and threads only it created.
    private static func forget(messageRow: Int64, _ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM threads WHERE id IN (SELECT thread_id FROM message_threads WHERE message_id = ?)
              AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = threads.id AND m.id <> ?)
            """, arguments: [messageRow, messageRow])
        try db.execute(sql: "DELETE FROM messages WHERE id = ?", arguments: [messageRow])
    }

    // MARK: Routing lookups

    /// The thread (and its model) of a message already routed with this Message-ID; the row
    /// `excluding` (the message's own, on replay) does not count.
    public func routedMessage(messageID: String, excluding: Int64? = nil) throws -> (threadID: Int64?, model: String?)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT m.thread_id, t.model FROM messages m LEFT JOIN threads t ON t.id = m.thread_id
            WHERE m.message_id = ? AND m.route IN \(Self.routedKinds) AND m.id IS NOT ?
            ORDER BY m.id LIMIT 1
            """), arguments: [messageID, excluding]) else { return nil }
        return (row["thread_id"], row["model"])
    }

    /// Of the messages routed into a thread with one of these Message-IDs, the one recorded
    /// last (highest row id), as Odoo's reply lookup orders `mail.message` by id, newest first.
    public func newestRoutedMessage(messageIDs: [String], excluding: Int64? = nil)
        throws -> (messageID: String, threadID: Int64?, model: String?)? {
        guard !messageIDs.isEmpty else { return nil }
        let marks = messageIDs.map { _ in "?" }.joined(separator: ",")
        var arguments = StatementArguments(messageIDs)
        arguments += [excluding]
        guard let row = try Row.fetchOne(db, sql: """
            SELECT m.message_id, m.thread_id, t.model FROM messages m LEFT JOIN threads t ON t.id = m.thread_id
            WHERE m.message_id IN (\(marks)) AND m.route IN \(Self.routedKinds) AND m.thread_id IS NOT NULL
              AND m.id IS NOT ?
            ORDER BY m.id DESC LIMIT 1
            """, arguments: arguments) else { return nil }
        return (row["message_id"], row["thread_id"], row["model"])
    }

    /// True when the address follows this thread.
    public func isFollower(_ email: String, thread: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM followers WHERE thread_id = ? AND email = ?)"),
                          arguments: [thread, email.lowercased()]) ?? false
    }

    public func isKnownContact(_ email: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM contacts WHERE email = ?)"),
                          arguments: [email.lowercased()]) ?? false
    }

    public func isFollower(_ email: String, alias: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM followers f JOIN threads t ON t.id = f.thread_id
                           WHERE f.email = ? AND t.alias = ?)
            """), arguments: [email.lowercased(), alias]) ?? false
    }

    /// Records and messages this sender created since the date (the loop guard).
    public func messagesFrom(_ email: String, since: Date) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM messages WHERE author = ? AND routed_at >= ? AND route IN ('new', 'reply')
            """), arguments: [email.lowercased(), since.storeValue]) ?? 0
    }
}

// Records: what routing decided for each message, and the threads it created or joined.
extension Store {
    /// Runs `body` in one write transaction over the records (one commit for a batch).
    /// `durable: false` commits it as bookkeeping (`writeBookkeeping`, no fsync of its own):
    /// for routing whose loss only repeats work, because the message's bytes and seen row are
    /// already durable and a poll routes unrouted rows again; an outbox row it queues is
    /// pushed only after a FULL commit (the claim) has synced the WAL up to it.
    public func recordsTransaction<T>(_ action: @autoclosure () -> String, durable: Bool = true,
                                      _ body: (RecordsTransaction) throws -> T) throws(StoreError) -> T {
        if durable { return try write(action()) { db in try body(RecordsTransaction(db: db)) } }
        return try writeBookkeeping(action()) { db in try body(RecordsTransaction(db: db)) }
    }

    /// The records as they are now, read in one read transaction.
    public func readRecords<T>(_ body: (RecordsTransaction) throws -> T) throws(StoreError) -> T {
        try read("reading the records") { db in try body(RecordsTransaction(db: db)) }
    }

    // MARK: Queries

    public func threads(alias: String? = nil) throws(StoreError) -> [ThreadSummary] {
        try read("listing threads") { db in
            try ThreadSummary.fetchAll(db, sql: """
                SELECT t.*, (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id) AS message_count
                FROM threads t WHERE ? IS NULL OR t.alias = ? ORDER BY t.id
                """, arguments: [alias, alias])
        }
    }

    public func thread(_ id: Int64) throws(StoreError) -> ThreadSummary? {
        try read("reading thread \(id)") { db in
            try ThreadSummary.fetchOne(db, sql: """
                SELECT t.*, (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id) AS message_count
                FROM threads t WHERE t.id = ?
                """, arguments: [id])
        }
    }

    public func messages(inThread id: Int64) throws(StoreError) -> [MessageSummary] {
        try read("reading the messages of thread \(id)") { db in
            try MessageSummary.fetchAll(db, sql: "SELECT * FROM messages WHERE thread_id = ? ORDER BY id", arguments: [id])
        }
    }

    /// Message rows by id, or every row with one of the routes.
    public func messages(ids: [Int64] = [], routes: [String] = []) throws(StoreError) -> [MessageSummary] {
        try read("reading messages") { db in
            var rows: [MessageSummary] = []
            if !ids.isEmpty {
                rows += try MessageSummary.fetchAll(db, sql: "SELECT * FROM messages WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                                                    arguments: StatementArguments(ids))
            }
            if !routes.isEmpty {
                rows += try MessageSummary.fetchAll(db, sql: "SELECT * FROM messages WHERE route IN (\(routes.map { _ in "?" }.joined(separator: ","))) ORDER BY id",
                                                    arguments: StatementArguments(routes))
            }
            return rows
        }
    }

    /// How many messages went each way, by the alias they arrived through (`status`).
    public func routeCounts() throws(StoreError) -> [String: [String: Int]] {
        try read("counting routes") { db in
            var counts: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT COALESCE(arrived_via, '') AS alias, route, COUNT(*) AS n FROM messages GROUP BY 1, 2
                """) {
                counts[row["alias"], default: [:]][row["route"]] = row["n"]
            }
            return counts
        }
    }

    public func contact(_ email: String) throws(StoreError) -> ContactInfo? {
        try read("reading contact \(email)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM contacts WHERE email = ?", arguments: [email.lowercased()]).map {
                ContactInfo(email: $0["email"], bounceCount: $0["bounce_count"], lastBounce: $0["last_bounce_at"])
            }
        }
    }

}

extension RecordsTransaction {
    /// True when the seen-row already has its routing recorded.
    public func isRouted(seenID: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE seen_id = ?)"), arguments: [seenID]) ?? false
    }
}

extension Store {
    /// Stored messages of a mailbox (raw bytes in the spool) that were never routed: recorded
    /// ones, and failed ones whose next attempt is due by `dueBy`.
    public func unroutedSeenRows(mailbox: Int64, dueBy: Date = Date()) throws(StoreError) -> [SeenRow] {
        try read("looking for unrouted messages of mailbox \(mailbox)") { db in
            try SeenRow.fetchAll(db, sql: """
                SELECT * FROM seen s WHERE s.mailbox_id = ? AND s.sha256 IS NOT NULL AND s.raw_removed = 0
                  AND (s.state IN ('recorded', 'done')
                       OR (s.state = 'failed' AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= ?)))
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.seen_id = s.id)
                  -- rows carried over a UIDVALIDITY change share the routed row's content
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.raw_sha256 = s.sha256)
                ORDER BY s.id
                """, arguments: [mailbox, dueBy.storeValue])
        }
    }
}
