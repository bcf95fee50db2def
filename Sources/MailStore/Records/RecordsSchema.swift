import GRDB

extension Schema {
    /// What routing produced: threads (Odoo records), every processed message with its route
    /// and reason, bounces, contacts with their bounce counters, and thread followers.
    @Sendable static func v2Records(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE threads (
                id            INTEGER PRIMARY KEY,
                model         TEXT NOT NULL,
                alias         TEXT,
                subject       TEXT,
                contact_email TEXT,
                "values"      TEXT NOT NULL DEFAULT '{}',   -- the alias defaults, JSON
                created_at    DATETIME NOT NULL
            );
            CREATE INDEX threads_alias ON threads(alias, id);

            -- One row per processed raw message, whatever its route: every decision and its
            -- reason stays queryable, and replay re-routes rows in place.
            CREATE TABLE messages (
                id            INTEGER PRIMARY KEY,
                seen_id       INTEGER REFERENCES seen(id) ON DELETE SET NULL,
                thread_id     INTEGER REFERENCES threads(id) ON DELETE SET NULL,
                message_id    TEXT NOT NULL,
                parent_id     INTEGER REFERENCES messages(id) ON DELETE SET NULL,
                author        TEXT,
                author_name   TEXT,
                recipients    TEXT NOT NULL DEFAULT '[]',   -- JSON list of addresses
                date          DATETIME,
                subject       TEXT,
                text          TEXT,
                html          TEXT,
                attachments   TEXT NOT NULL DEFAULT '[]',   -- JSON metadata, bytes stay in the raw file
                raw_sha256    TEXT NOT NULL,
                arrived_via   TEXT,                         -- the alias it was fetched or delivered for
                route         TEXT NOT NULL CHECK (route IN
                              ('new', 'reply', 'bounce', 'duplicate', 'loop', 'refused', 'catchall', 'unrouted')),
                route_alias   TEXT,
                route_reason  TEXT NOT NULL,
                routed_at     DATETIME NOT NULL
            );
            CREATE INDEX messages_message_id ON messages(message_id);
            CREATE INDEX messages_thread ON messages(thread_id, id);
            CREATE INDEX messages_route ON messages(route);
            CREATE INDEX messages_author ON messages(author, routed_at);
            CREATE INDEX messages_seen ON messages(seen_id);

            -- A `new` route into several aliases creates several threads for one message.
            CREATE TABLE message_threads (
                message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                thread_id  INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
                PRIMARY KEY (message_id, thread_id)
            );

            CREATE TABLE bounces (
                id                  INTEGER PRIMARY KEY,
                message_row         INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                recipient           TEXT NOT NULL,
                status              TEXT,
                reply_code          TEXT,
                diagnostic          TEXT,
                reason              TEXT,
                hard                BOOLEAN,
                original_message_id TEXT,
                thread_id           INTEGER REFERENCES threads(id) ON DELETE SET NULL,
                created_at          DATETIME NOT NULL
            );
            CREATE INDEX bounces_recipient ON bounces(recipient);

            CREATE TABLE contacts (
                email          TEXT PRIMARY KEY,
                name           TEXT,
                bounce_count   INTEGER NOT NULL DEFAULT 0,
                last_bounce_at DATETIME,
                created_at     DATETIME NOT NULL
            );

            CREATE TABLE followers (
                thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
                email     TEXT NOT NULL,
                PRIMARY KEY (thread_id, email)
            );
            CREATE INDEX followers_email ON followers(email);
            """)
    }

    /// The loop guard counts a sender's recent `new` and `reply` messages (`messagesFrom`): with
    /// `route` in the author index it counts from the index alone. Without it, every recent
    /// message of the sender was read from the table for its route, so a sender with many
    /// messages (a mailer daemon writing to bounce@) made each of them cost more than the last.
    /// The new index is created first: a process that finds it already there ("already exists")
    /// knows another applied this migration meanwhile (`Store.migrate`).
    @Sendable static func v7AuthorRouteIndex(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX messages_author_route ON messages(author, routed_at, route);
            DROP INDEX messages_author;
            """)
    }
}
