import GRDB

extension Schema {
    /// OAuth2 tokens, one row per (`[oauth.NAME]`, mailbox user): aliases sharing both share
    /// the token. The row is also the refresh lease: the process refreshing writes its name and
    /// a deadline, so another process waits for its result instead of refreshing on top of it
    /// (a rotated refresh token would otherwise be spent twice).
    ///
    /// Times are Unix seconds (REAL). The database file is 0600; tokens never leave it except
    /// to the token endpoint and the mail server.
    @Sendable static func v4OAuthTokens(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE oauth_tokens (
                name          TEXT NOT NULL,      -- [oauth.NAME]
                user          TEXT NOT NULL,      -- the mailbox user
                access_token  TEXT,               -- NULL: none yet, or forgotten (sign-in needed)
                refresh_token TEXT,
                expires_at    REAL,               -- of the access token
                obtained_at   REAL,
                refresh_owner TEXT,               -- host:pid:random of the process refreshing now
                refresh_until REAL,               -- its lease; expired = taken over
                updated_at    REAL NOT NULL,
                PRIMARY KEY (name, user)
            );
            """)
    }
}
