import GRDB

extension Schema {
    /// Leases (one poll of a mailbox at a time across every process sharing the store) and
    /// the running service's view of each alias, which `status` reads.
    ///
    /// Times are Unix seconds (REAL) so that expiry compares numerically in SQL.
    @Sendable static func v3Service(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE leases (
                mailbox_id  INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
                owner       TEXT NOT NULL,      -- host:pid:random of the process polling
                acquired_at REAL NOT NULL,
                expires_at  REAL NOT NULL       -- renewed while fetching; expired = taken over
            );

            CREATE TABLE service_state (
                alias       TEXT PRIMARY KEY,
                owner       TEXT NOT NULL,      -- the service process that wrote the row
                state       TEXT NOT NULL CHECK (state IN ('idle', 'polling', 'backing-off', 'failing')),
                idle        BOOLEAN NOT NULL DEFAULT 0,   -- an IMAP IDLE session is up
                next_poll   REAL,
                last_error  TEXT,
                updated_at  REAL NOT NULL
            );
            """)
    }
}
