import GRDB

extension Schema {
    /// The Odoo outbox (one row per message and Odoo server, queued in the transaction that
    /// records the message) and the delivery state of each Odoo server.
    @Sendable static func v4OdooOutbox(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE outbox (
                id                INTEGER PRIMARY KEY,
                server            TEXT NOT NULL,              -- [odoo.NAME]
                alias             TEXT,                       -- the alias whose model/values are sent
                message_id        TEXT NOT NULL,              -- as pushed (synthetic when the mail had none)
                parent_message_id TEXT,                       -- In-Reply-To, else the last References: sent first
                raw_sha256        TEXT NOT NULL,              -- the spooled original
                state             TEXT NOT NULL DEFAULT 'queued'
                                  CHECK (state IN ('queued', 'in_flight', 'delivered', 'not_filed', 'parked')),
                attempts          INTEGER NOT NULL DEFAULT 0,
                same_answers      INTEGER NOT NULL DEFAULT 0, -- how often last_answer came in a row
                last_answer       TEXT,
                maybe_filed       BOOLEAN NOT NULL DEFAULT 0, -- a lost answer: search_count before resending
                no_route          BOOLEAN NOT NULL DEFAULT 0,
                odoo_record_id    INTEGER,                    -- for display only, never sent back
                next_attempt_at   DATETIME,
                queued_at         DATETIME NOT NULL,
                first_attempt_at  DATETIME,
                claimed_by        TEXT,                       -- host:pid:random of the pushing process
                claimed_at        DATETIME,
                last_attempt_at   DATETIME,                   -- a drain tries each row at most once
                finished_at       DATETIME,
                UNIQUE (server, raw_sha256)
            );
            CREATE INDEX outbox_queue ON outbox(server, state, id);
            CREATE INDEX outbox_message_id ON outbox(message_id, state);

            CREATE TABLE odoo_servers (
                name       TEXT PRIMARY KEY,
                protocol   TEXT,                              -- json2 | xmlrpc, once known
                state      TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'paused', 'unreachable')),
                last_fault TEXT,
                updated_at DATETIME NOT NULL
            );
            """)
    }
}
