import Foundation
import GRDB

extension Schema {
    /// Raw messages up to the streaming threshold, kept in the database beside their rows:
    /// one WAL commit (synchronous=FULL) makes a batch's bytes and rows durable together,
    /// with no file per message (inode allocation) and no flush of other programs' writes
    /// (syncfs). Larger messages stay files in the spool; reading tries both.
    @Sendable static func v6RawMessages(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE raw_messages (
                id      INTEGER PRIMARY KEY,
                sha256  TEXT NOT NULL UNIQUE,   -- lowercase hex of the bytes' SHA-256
                bytes   BLOB NOT NULL
            );
            """)
    }
}

// Raw messages in the database. Readers go through `Spool.read`, which looks here first.
extension Store {
    /// Keeps `bytes` under their SHA-256 (content-addressed: a second copy is a no-op), in
    /// the caller's transaction.
    func insertRaw(_ db: Database, sha256: String, bytes: [UInt8]) throws {
        try Spool.validate(sha256, path: path)
        try db.executeCached("INSERT INTO raw_messages (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING",
                             [sha256, Data(bytes)])
    }

    /// The bytes kept under `sha256`, or nil when the message is not in the database
    /// (a large message in the spool, or one removed by `keep_raw`).
    public func rawMessage(sha256: String) throws(StoreError) -> [UInt8]? {
        try read("reading a raw message") { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM raw_messages WHERE sha256 = ?", arguments: [sha256]).map { [UInt8]($0) }
        }
    }

    /// Whether the database keeps the message.
    public func hasRawMessage(sha256: String) throws(StoreError) -> Bool {
        try read("looking up a raw message") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM raw_messages WHERE sha256 = ?)", arguments: [sha256]) ?? false
        }
    }

    /// Removes kept messages (cleanup after `keep_raw`); missing ones are not an error.
    public func deleteRawMessages(sha256s: [String]) throws(StoreError) {
        guard !sha256s.isEmpty else { return }
        try write("removing \(sha256s.count) raw message(s)") { db in
            for key in sha256s { try db.execute(sql: "DELETE FROM raw_messages WHERE sha256 = ?", arguments: [key]) }
        }
    }
}

extension RecordsTransaction {
    /// Keeps the raw bytes of a message recorded in this transaction (the MTA pipe).
    public func keepRaw(_ bytes: [UInt8], sha256: String, in store: Store) throws {
        try store.insertRaw(db, sha256: sha256, bytes: bytes)
    }
}
