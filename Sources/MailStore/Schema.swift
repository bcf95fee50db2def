import GRDB

/// The named migrations. Never edit a shipped migration: add a new one
/// ("v2-threads", "v3-outbox", …) at the end of `migrator`.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-seen-state", migrate: v1SeenState)
        migrator.registerMigration("v2-records", migrate: v2Records)
        migrator.registerMigration("v3-service", migrate: v3Service)
        migrator.registerMigration("v4-oauth-tokens", migrate: v4OAuthTokens)
        migrator.registerMigration("v5-odoo-outbox", migrate: v4OdooOutbox)
        migrator.registerMigration("v6-raw-messages", migrate: v6RawMessages)
        migrator.registerMigration("v7-author-route-index", migrate: v7AuthorRouteIndex)
        return migrator
    }()

    /// Mailboxes, what was seen in them, and the poll history of each alias.
    @Sendable static func v1SeenState(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE mailboxes (
                id          INTEGER PRIMARY KEY,
                host        TEXT NOT NULL,
                port        INTEGER NOT NULL,
                user        TEXT NOT NULL,
                folder      TEXT NOT NULL,
                uidvalidity INTEGER,          -- IMAP: the current UIDVALIDITY
                uidnext     INTEGER,          -- IMAP: UIDNEXT last seen
                created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                UNIQUE (host, port, user, folder)
            );

            CREATE TABLE seen (
                id              INTEGER PRIMARY KEY,
                mailbox_id      INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
                uidvalidity     INTEGER,      -- IMAP; NULL for POP3
                uid             INTEGER,      -- IMAP; NULL for POP3
                uidl            TEXT,         -- POP3; NULL for IMAP
                size            INTEGER,      -- NULL for baseline rows
                sha256          TEXT,         -- spool key; NULL when skipped or baseline
                message_id      TEXT,
                state           TEXT NOT NULL DEFAULT 'recorded'
                                CHECK (state IN ('recorded', 'done', 'skipped', 'failed', 'quarantined')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                last_error      TEXT,
                next_attempt_at DATETIME,
                recorded_at     DATETIME NOT NULL,
                done_at         DATETIME,
                raw_removed     BOOLEAN NOT NULL DEFAULT 0,
                CHECK ((uid IS NOT NULL AND uidvalidity IS NOT NULL AND uidl IS NULL)
                    OR (uid IS NULL AND uidvalidity IS NULL AND uidl IS NOT NULL)),
                UNIQUE (mailbox_id, uidvalidity, uid),
                UNIQUE (mailbox_id, uidl)
            );
            CREATE INDEX seen_message_id ON seen(message_id);
            CREATE INDEX seen_sha256 ON seen(sha256);
            CREATE INDEX seen_state ON seen(mailbox_id, state);

            CREATE TABLE polls (
                id          INTEGER PRIMARY KEY,
                alias       TEXT NOT NULL,
                mailbox_id  INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,
                started_at  DATETIME NOT NULL,
                finished_at DATETIME NOT NULL,
                fetched     INTEGER NOT NULL DEFAULT 0,
                skipped     INTEGER NOT NULL DEFAULT 0,
                failed      INTEGER NOT NULL DEFAULT 0,
                error       TEXT,
                exit_code   INTEGER NOT NULL DEFAULT 0,
                next_poll   DATETIME
            );
            CREATE INDEX polls_alias ON polls(alias, id);
            """)
    }
}
