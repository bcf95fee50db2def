import Foundation
import GRDB

// Poll history per alias, for `status`.
extension Store {
    /// Records one finished poll of an alias (its result, counts, error and next poll).
    public func recordPoll(_ poll: PollRecord) throws(StoreError) {
        try writeBookkeeping("recording a poll of alias \(poll.alias)") { db in
            try db.execute(sql: """
                INSERT INTO polls (alias, mailbox_id, started_at, finished_at, fetched, skipped, failed, error, exit_code, next_poll)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [poll.alias, poll.mailbox, poll.started.storeValue, poll.finished.storeValue, poll.fetched,
                                 poll.skipped, poll.failed, poll.error, poll.exitCode, poll.nextPoll?.storeValue])
        }
    }

    /// `recordPoll` with the fields spelled out.
    public func recordPoll(alias: String, mailbox: Int64?, started: Date, finished: Date, fetched: Int, skipped: Int,
                           failed: Int, error: String?, exitCode: Int32, nextPoll: Date?) throws(StoreError) {
        try recordPoll(PollRecord(alias: alias, mailbox: mailbox, started: started, finished: finished, fetched: fetched,
                                  skipped: skipped, failed: failed, error: error, exitCode: exitCode, nextPoll: nextPoll))
    }

    /// Forgets poll history older than `date` (the latest poll of each alias is kept).
    public func prunePolls(olderThan date: Date) throws(StoreError) {
        try writeBookkeeping("pruning the poll history") { db in
            try db.execute(sql: """
                DELETE FROM polls WHERE finished_at < ? AND id NOT IN (SELECT MAX(id) FROM polls GROUP BY alias)
                """, arguments: [date.storeValue])
        }
    }

    /// For each alias that was ever polled, by name: its latest poll and the counts of seen
    /// rows of its mailbox by state.
    public func aliasStatus() throws(StoreError) -> [AliasStatus] {
        try read("reading the alias status") { db in
            let latest = try Row.fetchAll(db, sql: """
                SELECT p.*, m.host, m.port, m.user, m.folder FROM polls p
                LEFT JOIN mailboxes m ON m.id = p.mailbox_id
                WHERE p.id IN (SELECT MAX(id) FROM polls GROUP BY alias)
                ORDER BY p.alias
                """)
            var countsByMailbox: [Int64: [SeenState: Int]] = [:]
            // Baseline rows (present before the first poll, never fetched) have no content
            // and count nowhere; "recorded" counts every stored message, done or not; failed
            // and quarantined count whether their bytes arrived or not.
            var storedByMailbox: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT mailbox_id, state, COUNT(*) AS n, SUM(sha256 IS NOT NULL) AS stored FROM seen
                WHERE sha256 IS NOT NULL OR state IN ('skipped', 'failed', 'quarantined') GROUP BY mailbox_id, state
                """) {
                countsByMailbox[row["mailbox_id"], default: [:]][row["state"]] = row["n"]
                storedByMailbox[row["mailbox_id"], default: 0] += row["stored"] as Int
            }
            return latest.map { row in
                let mailboxID: Int64? = row["mailbox_id"]
                let counts = mailboxID.flatMap { countsByMailbox[$0] } ?? [:]
                let label: String? = mailboxID == nil ? nil
                    : "\(row["user"] as String)@\(row["host"] as String):\(row["port"] as Int)/\(row["folder"] as String)"
                let error: String? = row["error"]
                return AliasStatus(
                    alias: row["alias"], mailboxID: mailboxID, mailbox: label,
                    recorded: mailboxID.flatMap { storedByMailbox[$0] } ?? 0, done: counts[.done] ?? 0, skipped: counts[.skipped] ?? 0,
                    failed: counts[.failed] ?? 0, quarantined: counts[.quarantined] ?? 0,
                    lastPoll: row["finished_at"], lastResult: error == nil ? "ok" : "error", lastError: error,
                    lastExitCode: row["exit_code"], lastFetched: row["fetched"], nextPoll: row["next_poll"])
            }
        }
    }
}
