import Foundation
import GRDB

/// The SQLite database of Mailgate: mailboxes, seen-state, poll history (and, as later
/// migrations add them, threads, records, bounces, contacts, outbox, leases).
///
/// Opening creates the file with mode 0600, sets `journal_mode=WAL`, `synchronous=FULL`
/// (bookkeeping transactions lower it to NORMAL for themselves: `writeBookkeeping`),
/// a busy timeout and foreign keys, and runs the migrations. Every method is synchronous
/// (call it off the cooperative pool) and throws `StoreError`. Each method is one
/// transaction.
///
/// One poll, in order (DESIGN.md guarantee 1):
/// 1. `mailboxID(host:port:user:folder:)`; IMAP: compare `uidValidity(mailbox:)` with the
///    server's, on a change match by `messageIDs(mailbox:)` + `carryOver`, then
///    `setUIDValidity`; first poll with `start = unseen|new`: `recordBaseline`.
/// 2. Decide what to fetch with the saved UIDNEXT and `recordedUIDs` (IMAP) or `recordedUIDLs` (POP3);
///    oversized: `recordSkipped` (report when it returns true).
/// 3. `record(batch, raw:)`: small messages' bytes and their seen rows in one FULL commit;
///    a large message is streamed to the spool first (`Spool.beginWrite`, synced by `finish`).
/// 4. Only now flag/delete/move on the server (also re-flag rows recorded earlier).
/// 5. Hand each `notDone(mailbox:dueBy:)` row to its target: `markDone` or `markFailed`.
/// 6. `recordPoll(...)`; now and then `removeRaw(doneBefore:from:)` and `prunePolls`.
public final class Store: Sendable {
    /// The database file.
    public let path: String
    let db: DatabaseQueue

    /// Opens (creating if needed) the database at `path`.
    /// - Parameter busyTimeout: how long to wait for another process's write lock.
    public init(path: String, busyTimeout: TimeInterval = 5) throws(StoreError) {
        self.path = path
        let created = try FileModes.createPrivateFile(path, action: "creating the database")
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "mailgate"
        config.prepareDatabase { db in
            // Not `config.journalMode = .wal`: GRDB would then lower synchronous to NORMAL.
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(resultCode: .SQLITE_IOERR,
                                    message: "could not switch the journal to WAL (got \(mode ?? "nothing"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            db = try Self.open(path, config, busyTimeout: busyTimeout)
        } catch {
            throw StoreError.wrap(error, path: path, action: created ? "creating the database" : "opening the database")
        }
        FileModes.restrictSidecars(of: path)
    }

    /// Opens the connection and brings the schema up to date. A new file opened by several
    /// processes at once meets SQLITE_BUSY where SQLite does not wait (switching to WAL, a read
    /// transaction of the migrator that must become a write): that is tried again, with a
    /// growing pause, for up to `busyTimeout` — as a busy write would wait.
    static func open(_ path: String, _ config: Configuration, busyTimeout: TimeInterval) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var pause: useconds_t = 1_000
        while true {
            do {
                let db = try DatabaseQueue(path: path, configuration: config)
                try migrate(db)
                return db
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(pause)
                pause = min(pause * 2, 100_000)
            }
        }
    }

    /// Applies the missing migrations. Two processes opening a new file together (`mailgate
    /// run` and `status`) each list the missing migrations before applying them one
    /// transaction at a time, so the slower one can collide with a migration the other has
    /// just applied ("table … already exists"). Each collision means one more migration is
    /// applied, so looking again (at most once per migration) always ends: done, or a real error.
    ///
    /// The migrations commit with `synchronous = NORMAL`: each stays atomic (WAL), a power
    /// loss can only undo the latest ones (the migrator applies them again: their record is
    /// in the same transaction), and the first FULL commit after them syncs them too. A new
    /// store then costs one fsync instead of one per migration (about a dozen).
    static func migrate(_ db: DatabaseQueue) throws {
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }
        var failure: Error?
        var collisions = 0
        while true {
            do {
                try Schema.migrator.migrate(db)
                break
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                // "table … already exists": another process applied it meanwhile.
                collisions += 1
                if collisions > Schema.migrator.migrations.count { failure = error; break }
            } catch {
                failure = error
                break
            }
        }
        // Back to FULL before anything else commits on this connection (guarantee 1).
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        if let failure { throw failure }
    }

    /// Closes the database (also done when the store is released).
    public func close() throws(StoreError) {
        do { try db.close() } catch { throw StoreError.wrap(error, path: path, action: "closing the database") }
    }

    /// The names of the migrations applied, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read("reading the schema version") { db in try Schema.migrator.appliedMigrations(db) }
    }

    /// Runs the migrations again (a no-op when the schema is current).
    public func migrate() throws(StoreError) {
        do { try Schema.migrator.migrate(db) } catch {
            throw StoreError.wrap(error, path: path, action: "migrating the database")
        }
    }

    /// The value of a `PRAGMA` (for `check` and tests), e.g. `pragma("journal_mode")`.
    public func pragma(_ name: String) throws(StoreError) -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else {
            throw StoreError(kind: .invalidArgument, path: path, action: "reading a pragma", message: "bad pragma name \(name)")
        }
        return try read("reading PRAGMA \(name)") { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: - Transactions

    /// One write transaction; errors become `StoreError`.
    func write<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try db.write(body) } catch { throw StoreError.wrap(error, path: path, action: action()) }
    }

    /// One write transaction of bookkeeping whose loss would only repeat work: leases, poll
    /// history, the saved UIDVALIDITY/UIDNEXT, `done` marks (a message recorded but not
    /// marked done is acknowledged again; a UIDNEXT not saved lists again, and recorded UIDs
    /// are filtered out). It commits with `synchronous = NORMAL`: no fsync of its own. A
    /// process crash cannot lose it (the WAL is written before the commit returns); a power
    /// loss can undo it only if no FULL commit came after it, since the WAL is synced in
    /// order. Raw bytes, seen rows, records and the outbox stay on `write` (FULL): they are
    /// what the server and Odoo are told about. With eight polls sharing the store, one fsync
    /// for each of these (about 4 ms here) was most of a small poll's time.
    func writeBookkeeping<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try db.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                let result: Result<T, Error>
                do {
                    var value: T?
                    try db.inTransaction(.immediate) {
                        value = try body(db)
                        return .commit
                    }
                    result = .success(value!)
                }
                catch { result = .failure(error) }
                // Back to FULL before anything else runs on this connection; if that fails the
                // connection must not be used as if it were FULL.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try result.get()
            }
        } catch {
            throw StoreError.wrap(error, path: path, action: action())
        }
    }

    /// One read transaction; errors become `StoreError`.
    func read<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try db.read(body) } catch { throw StoreError.wrap(error, path: path, action: action()) }
    }
}

extension Database {
    /// Runs `sql` through the connection's statement cache. The statements of a poll's batch
    /// run once or more per message: compiling each every time (SQLite's parser and GRDB's
    /// authorizer) was a fifth of a fetch's time.
    func executeCached(_ sql: String, _ arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
