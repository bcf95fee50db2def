import Foundation
import GRDB
@testable import MailStore
import XCTest

final class StoreTests: TemporaryDirectoryTestCase {
    var path: String { directory + "/mailgate.sqlite" }

    func testCreatesFileWithMode0600EvenUnderPermissiveUmask() throws {
        let old = umask(0)
        defer { umask(old) }
        let store = try Store(path: path)
        _ = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        XCTAssertEqual(mode(path), 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            XCTAssertEqual(mode(path + suffix), 0o600, suffix)
        }
    }

    func testAMissingDirectoryIsCreatedPrivate() throws {
        // A first run with `[store] path` in a directory nobody made yet.
        let nested = directory + "/var/lib/mailgate/mailgate.sqlite"
        _ = try Store(path: nested)
        XCTAssertEqual(mode(nested), 0o600)
        XCTAssertEqual(mode(directory + "/var/lib/mailgate"), 0o700)
        XCTAssertEqual(mode(directory + "/var"), 0o700)
    }

    func testWALAndSynchronousFullAndForeignKeys() throws {
        let store = try Store(path: path)
        XCTAssertEqual(try store.pragma("journal_mode"), "wal")
        XCTAssertEqual(try store.pragma("synchronous"), "2")  // FULL
        XCTAssertEqual(try store.pragma("foreign_keys"), "1")
        XCTAssertEqual(try store.pragma("busy_timeout"), "5000")
    }

    func testMigrationsAreNamedAndIdempotent() throws {
        let store = try Store(path: path)
        XCTAssertEqual(try store.appliedMigrations(), ["v1-seen-state", "v2-records", "v3-service", "v4-oauth-tokens", "v5-odoo-outbox", "v6-raw-messages", "v7-author-route-index"])
        try store.migrate()
        let again = try Store(path: path)
        XCTAssertEqual(try again.appliedMigrations(), ["v1-seen-state", "v2-records", "v3-service", "v4-oauth-tokens", "v5-odoo-outbox", "v6-raw-messages", "v7-author-route-index"])
    }

    func testNotADatabaseIsExit78() throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 4096))
        XCTAssertThrowsError(try Store(path: path)) { error in
            let error = error as! StoreError
            XCTAssertEqual(error.kind, .notADatabase)
            XCTAssertEqual(error.exitCode, 78)
            XCTAssertTrue(error.description.contains(path), error.description)
        }
    }

    func testCannotOpenIsExit78() throws {
        // A directory on the way that is a file (a missing one is created).
        FileManager.default.createFile(atPath: directory + "/file", contents: Data())
        XCTAssertThrowsError(try Store(path: directory + "/file/dir/x.sqlite")) { error in
            XCTAssertEqual((error as! StoreError).exitCode, 78)
            XCTAssertTrue("\(error)".lowercased().contains("not a directory"), "\(error)")
        }
    }

    func testBusyIsExit75() throws {
        let store = try Store(path: path, busyTimeout: 0)
        var config = Configuration()
        config.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: config)
        try other.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        defer { try? other.inDatabase { db in try db.execute(sql: "ROLLBACK") } }
        XCTAssertThrowsError(try store.mailboxID(host: "h", port: 1, user: "u", folder: "f")) { error in
            let error = error as! StoreError
            XCTAssertEqual(error.kind, .busy)
            XCTAssertEqual(error.exitCode, 75)
        }
    }

    func testMailboxIDIsGetOrCreate() throws {
        let store = try Store(path: path)
        let a = try store.mailboxID(host: "imap.acme.test", port: 993, user: "sales", folder: "INBOX")
        let b = try store.mailboxID(host: "imap.acme.test", port: 993, user: "sales", folder: "INBOX")
        let c = try store.mailboxID(host: "imap.acme.test", port: 993, user: "sales", folder: "已处理")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(try store.mailbox(c)?.folder, "已处理")
        XCTAssertEqual(try store.mailbox(a)?.label, "sales@imap.acme.test:993/INBOX")
    }

    func testRecordTwiceIsOneRow() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let row = NewSeenRow(mailbox: mb, uidValidity: 7, uid: 42, size: 100, sha256: key(1), messageID: "<a@x>")
        let first = try store.record([row])
        let second = try store.record([row])
        XCTAssertEqual(first, second)
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 7), [42: .recorded])
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 7).keys.max(), 42)
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 8), [:])

        let pop = try store.mailboxID(host: "h", port: 995, user: "u", folder: "INBOX")
        let p = NewSeenRow(mailbox: pop, uidl: "abc", size: 5, sha256: key(2), messageID: nil)
        try store.record([p, p])
        XCTAssertEqual(try store.recordedUIDLs(mailbox: pop), ["abc": .recorded])
    }

    func testRecordRejectsRowWithoutKey() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        var row = NewSeenRow(mailbox: mb, uidl: "x", size: 1, sha256: key(1), messageID: nil)
        row.uidl = nil
        XCTAssertThrowsError(try store.record([row]))
    }

    func testBatchOfThousandInOneTransaction() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        var commits = 0
        store.db.inDatabase { db in db.add(transactionObserver: CommitCounter { commits += 1 }, extent: .databaseLifetime) }
        let batch = (1...1000).map {
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: UInt32($0), size: Int64($0), sha256: key($0), messageID: "<\($0)@x>")
        }
        let ids = try store.record(batch)
        XCTAssertEqual(ids.count, 1000)
        XCTAssertEqual(Set(ids).count, 1000)
        XCTAssertEqual(commits, 1)
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 1).count, 1000)
        XCTAssertEqual(try store.notDone(mailbox: mb, uidValidity: 1).count, 1000)

        // A failing entry rolls back the whole batch.
        var bad = batch.map { NewSeenRow(mailbox: $0.mailbox, uidValidity: 2, uid: $0.uid!, size: 1, sha256: key(1), messageID: nil) }
        bad[500].uidl = "both keys"
        XCTAssertThrowsError(try store.record(bad))
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 2).count, 0)
    }

    func testMarkDoneVariants() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let ids = try store.record((1...4).map {
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: UInt32($0), size: 1, sha256: key($0), messageID: nil)
        })
        try store.markDone(ids: [ids[0]])
        try store.markDone(mailbox: mb, uidValidity: 1, uids: [2, 3])
        XCTAssertEqual(try store.notDone(mailbox: mb).map(\.uid), [4])
        XCTAssertNotNil(try store.row(id: ids[0])?.doneAt)

        let pop = try store.mailboxID(host: "h", port: 110, user: "u", folder: "INBOX")
        try store.record([NewSeenRow(mailbox: pop, uidl: "a", size: 1, sha256: key(9), messageID: nil)])
        try store.markDone(mailbox: pop, uidls: ["a"])
        XCTAssertEqual(try store.recordedUIDLs(mailbox: pop), ["a": .done])
        // Bookkeeping commits lower synchronous for themselves only: the connection is FULL
        // again for the next record.
        XCTAssertEqual(try store.pragma("synchronous"), "2")
    }

    func testAFailedBookkeepingTransactionRollsBackAndLeavesTheConnectionFull() throws {
        let store = try Store(path: path)
        let now = Date()
        // A poll of a mailbox that does not exist breaks the foreign key: nothing is kept.
        XCTAssertThrowsError(try store.recordPoll(alias: "sales", mailbox: 999, started: now, finished: now, fetched: 0,
                                                  skipped: 0, failed: 0, error: nil, exitCode: 0, nextPoll: nil))
        XCTAssertEqual(try store.pragma("synchronous"), "2")
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        try store.recordPoll(alias: "sales", mailbox: mb, started: now, finished: now, fetched: 1, skipped: 0, failed: 0,
                             error: nil, exitCode: 0, nextPoll: nil)
        XCTAssertEqual(try store.pragma("synchronous"), "2")
    }

    func testRouteFailureBacksOffThenQuarantines() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let id = try store.record([NewSeenRow(mailbox: mb, uidValidity: 1, uid: 1, size: 1, sha256: key(1), messageID: nil)])[0]
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)

        XCTAssertEqual(try store.markRouteFailed(id: id, error: "parse error", policy: RetryPolicy(maxAttempts: 3, backoff: 60, maxBackoff: 86_400), now: t0), .failed)
        var row = try XCTUnwrap(store.row(id: id))
        XCTAssertEqual(row.attempts, 1)
        XCTAssertEqual(row.lastError, "parse error")
        XCTAssertEqual(row.nextAttemptAt!.timeIntervalSince(t0), 60, accuracy: 0.01)
        XCTAssertEqual(try store.notDone(mailbox: mb, dueBy: t0).count, 0, "not due before its backoff")
        XCTAssertEqual(try store.notDone(mailbox: mb, dueBy: t0 + 60).count, 1)

        XCTAssertEqual(try store.markRouteFailed(id: id, error: "again", policy: RetryPolicy(maxAttempts: 3, backoff: 60, maxBackoff: 86_400), now: t0), .failed)
        row = try XCTUnwrap(store.row(id: id))
        XCTAssertEqual(row.nextAttemptAt!.timeIntervalSince(t0), 120, accuracy: 0.01)

        XCTAssertEqual(try store.markRouteFailed(id: id, error: "last", policy: RetryPolicy(maxAttempts: 3, backoff: 60, maxBackoff: 86_400), now: t0), .quarantined)
        row = try XCTUnwrap(store.row(id: id))
        XCTAssertEqual(row.state, .quarantined)
        XCTAssertEqual(row.attempts, 3)
        XCTAssertNil(row.nextAttemptAt)
        XCTAssertEqual(try store.notDone(mailbox: mb).count, 0)
        XCTAssertEqual(try store.rows(states: [.quarantined]).map(\.id), [id])

        try store.requeue(ids: [id])
        XCTAssertEqual(try store.row(id: id)?.state, .recorded)
        XCTAssertEqual(try store.row(id: id)?.attempts, 0)

        XCTAssertEqual(Store.backoffDelay(attempt: 40, base: 60, max: 3600), 3600)
    }

    func testSkippedIsReportedOnce() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        XCTAssertTrue(try store.recordSkipped(mailbox: mb, uidValidity: 1, uid: 9, size: 99_000_000, reason: "too large"))
        XCTAssertFalse(try store.recordSkipped(mailbox: mb, uidValidity: 1, uid: 9, size: 99_000_000, reason: "too large"))
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 1), [9: .skipped])
        try store.markDone(mailbox: mb, uidValidity: 1, uids: [9])
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 1), [9: .skipped], "skipped stays skipped")
        XCTAssertEqual(try store.notDone(mailbox: mb).count, 0)
    }

    func testBaselineAndUIDValidityChange() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        XCTAssertNil(try store.uidValidity(mailbox: mb))
        try store.setUIDValidity(mailbox: mb, value: 100, uidNext: 6)
        try store.recordBaseline(mailbox: mb, uidValidity: 100, uids: [1, 2, 3])
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 100).keys.max(), 3)
        XCTAssertEqual(try store.notDone(mailbox: mb).count, 0)
        let ids = try store.record([
            NewSeenRow(mailbox: mb, uidValidity: 100, uid: 4, size: 10, sha256: key(4), messageID: "<four@x>"),
            NewSeenRow(mailbox: mb, uidValidity: 100, uid: 5, size: 20, sha256: key(5), messageID: "<five@x>"),
        ])
        try store.markDone(ids: [ids[0]])

        // The server renumbers: UIDVALIDITY 200, message four is now UID 1, five is UID 2.
        try store.setUIDValidity(mailbox: mb, value: 200)
        XCTAssertEqual(try store.mailbox(mb)?.uidValidity, 200)
        XCTAssertEqual(try store.mailbox(mb)?.uidNext, 6)
        let known = try store.messageIDs(mailbox: mb)
        XCTAssertEqual(known.count, 2)
        let four = try XCTUnwrap(known[MessageIdentity(messageID: "<four@x>", size: 10)])
        let five = try XCTUnwrap(known[MessageIdentity(messageID: "<five@x>", size: 20)])
        XCTAssertNil(known[MessageIdentity(messageID: "<four@x>", size: 11)])
        try store.carryOver(mailbox: mb, uidValidity: 200, [(uid: 1, from: four.id), (uid: 2, from: five.id)])
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 200), [1: .done, 2: .recorded])
        XCTAssertEqual(try store.notDone(mailbox: mb, uidValidity: 200).first?.sha256, key(5))

        let pop = try store.mailboxID(host: "h", port: 110, user: "u", folder: "INBOX")
        try store.recordBaseline(mailbox: pop, uidls: ["x", "y"])
        XCTAssertEqual(try store.recordedUIDLs(mailbox: pop), ["x": .done, "y": .done])
    }

    func testAliasStatusCounts() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "imap.acme.test", port: 993, user: "sales", folder: "INBOX")
        let ids = try store.record((1...5).map {
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: UInt32($0), size: 1, sha256: key($0), messageID: nil)
        })
        try store.markDone(ids: [ids[0], ids[1]])
        try store.markRouteFailed(id: ids[2], error: "x", policy: RetryPolicy(maxAttempts: 5, backoff: 60, maxBackoff: 86_400))
        try store.markRouteFailed(id: ids[3], error: "x", policy: RetryPolicy(maxAttempts: 1, backoff: 60, maxBackoff: 86_400))
        try store.recordSkipped(mailbox: mb, uidValidity: 1, uid: 6, size: 1, reason: "big")
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        try store.recordPoll(alias: "sales", mailbox: mb, started: t, finished: t + 1, fetched: 5, skipped: 1, failed: 0,
                             error: "first", exitCode: 75, nextPoll: t + 60)
        try store.recordPoll(alias: "sales", mailbox: mb, started: t + 60, finished: t + 61, fetched: 0, skipped: 0,
                             failed: 0, error: nil, exitCode: 0, nextPoll: t + 360)
        try store.recordPoll(alias: "catchall", mailbox: nil, started: t, finished: t + 2, fetched: 0, skipped: 0,
                             failed: 0, error: "connection refused", exitCode: 75, nextPoll: nil)

        let status = try store.aliasStatus()
        XCTAssertEqual(status.map(\.alias), ["catchall", "sales"])
        let sales = status[1]
        XCTAssertEqual(sales.mailbox, "sales@imap.acme.test:993/INBOX")
        // recorded counts every stored message (done, pending, failed, quarantined), not the skipped one.
        XCTAssertEqual([sales.recorded, sales.done, sales.skipped, sales.failed, sales.quarantined], [5, 2, 1, 1, 1])
        XCTAssertEqual(sales.lastResult, "ok")
        XCTAssertNil(sales.lastError)
        XCTAssertEqual(sales.lastPoll, t + 61)
        XCTAssertEqual(sales.nextPoll, t + 360)
        let catchall = status[0]
        XCTAssertNil(catchall.mailbox)
        XCTAssertEqual(catchall.lastResult, "error")
        XCTAssertEqual(catchall.lastError, "connection refused")
        XCTAssertEqual(catchall.lastExitCode, 75)

        try store.prunePolls(olderThan: t + 1000)
        XCTAssertEqual(try store.aliasStatus().count, 2, "the latest poll of each alias stays")
    }

    func testDoneRawOlderThanKeepsSharedContent() throws {
        let store = try Store(path: path)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = try store.record([
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 1, size: 1, sha256: key(1), messageID: nil),
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 2, size: 1, sha256: key(2), messageID: nil),
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 3, size: 1, sha256: key(2), messageID: nil),  // same content
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 4, size: 1, sha256: key(4), messageID: nil),
        ], now: t0)
        try store.markDone(ids: [ids[0], ids[1]], now: t0)
        try store.markDone(ids: [ids[3]], now: t0 + 100 * 86_400)
        XCTAssertEqual(try store.doneRawOlderThan(t0 + 90 * 86_400), [key(1)])
        try store.markRawRemoved(sha256s: [key(1)])
        XCTAssertEqual(try store.doneRawOlderThan(t0 + 90 * 86_400), [])
        XCTAssertTrue(try store.row(id: ids[0])!.rawRemoved)
        XCTAssertEqual(try store.row(id: ids[0])!.sha256, key(1))
        XCTAssertEqual(try store.rows(sha256: key(2)).count, 2)
    }

    func testRemoveRawDeletesOnlyOldDoneContent() throws {
        let store = try Store(path: path)
        let spool = try Spool(directory: directory + "/spool", store: store)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        // One message streamed into a file, one kept in the database: cleanup removes either.
        let writer = try spool.beginWrite()
        try writer.append([1])
        try writer.finish(sha256: key(1))
        let ids = try store.record([
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 1, size: 1, sha256: key(1), messageID: nil),
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 2, size: 1, sha256: key(2), messageID: nil),
            NewSeenRow(mailbox: mb, uidValidity: 1, uid: 3, size: 1, sha256: key(3), messageID: nil),
        ], raw: [key(2): [2], key(3): [3]], now: t0)
        try store.markDone(ids: [ids[0], ids[1]], now: t0)
        XCTAssertEqual(try store.removeRaw(doneBefore: t0 + 1, from: spool), 2)
        XCTAssertFalse(try spool.contains(sha256: key(1)))
        XCTAssertFalse(try spool.contains(sha256: key(2)))
        XCTAssertTrue(try spool.contains(sha256: key(3)), "not done yet: kept")
        XCTAssertEqual(try store.removeRaw(doneBefore: t0 + 1, from: spool), 0)
        try store.close()
    }

    func testReopenKeepsData() throws {
        var mb: Int64 = 0
        do {
            let store = try Store(path: path)
            mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
            try store.record([NewSeenRow(mailbox: mb, uidValidity: 1, uid: 1, size: 1, sha256: key(1), messageID: nil)])
        }
        let store = try Store(path: path)
        XCTAssertEqual(try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX"), mb)
        XCTAssertEqual(try store.recordedUIDs(mailbox: mb, uidValidity: 1), [1: .recorded])
    }
}

/// Counts commits.
private final class CommitCounter: TransactionObserver {
    let onCommit: () -> Void
    init(_ onCommit: @escaping () -> Void) { self.onCommit = onCommit }
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { onCommit() }
    func databaseDidRollback(_ db: Database) {}
}
