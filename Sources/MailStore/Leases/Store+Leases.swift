import Foundation
import GRDB

/// Who holds a mailbox's lease, when another process does.
public struct LeaseHolder: Sendable, Equatable {
    public var owner: String
    public var acquired: Date
    public var expires: Date
}

/// One alias as the running service sees it (the `service_state` row), for `status`.
public struct ServiceAliasState: Sendable, Equatable {
    public var alias: String
    public var owner: String
    /// `idle`, `polling`, `backing-off` or `failing`.
    public var state: String
    /// An IMAP IDLE session is up for the alias.
    public var idle: Bool
    public var nextPoll: Date?
    public var lastError: String?
    public var updated: Date

    public init(alias: String, owner: String, state: String, idle: Bool, nextPoll: Date?, lastError: String?,
                updated: Date = Date()) {
        self.alias = alias
        self.owner = owner
        self.state = state
        self.idle = idle
        self.nextPoll = nextPoll
        self.lastError = lastError
        self.updated = updated
    }
}

// One poll of a mailbox at a time across every process sharing the store: a lease row per
// mailbox (owner, expiry), taken before a poll, renewed while fetching, released after it.
// A lease whose owner died expires and is taken over.
extension Store {
    /// A name for this process as a lease owner: `host:pid:random`.
    public static func makeLeaseOwner() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(cString: name) : "localhost"
        return "\(host):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// True when `owner` names a process on this host that no longer exists (it was killed
    /// mid-poll): its lease need not be waited out. A recycled pid only means waiting for expiry.
    public static func leaseOwnerIsGone(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count >= 3, let pid = pid_t(parts[parts.count - 2]) else { return false }
        let host = parts[..<(parts.count - 2)].joined(separator: ":")
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0, String(cString: name) == host else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Takes the mailbox's lease for `ttl` seconds when it is free, expired, already ours, or
    /// held by a process `ownerIsGone` says has died.
    /// - Returns: nil when the lease is now ours, else who holds it.
    public func acquireLease(mailbox: Int64, owner: String, ttl: TimeInterval, now: Date = Date(),
                             ownerIsGone: (String) -> Bool = { _ in false })
        throws(StoreError) -> LeaseHolder? {
        try writeBookkeeping("taking the lease on mailbox \(mailbox)") { db -> LeaseHolder? in
            let t = now.timeIntervalSince1970
            if let row = try Row.fetchOne(db, sql: "SELECT owner, acquired_at, expires_at FROM leases WHERE mailbox_id = ?",
                                          arguments: [mailbox]) {
                let holder: String = row["owner"]
                let expires: Double = row["expires_at"]
                if holder != owner && expires > t && !ownerIsGone(holder) {
                    return LeaseHolder(owner: holder, acquired: Date(timeIntervalSince1970: row["acquired_at"]),
                                       expires: Date(timeIntervalSince1970: expires))
                }
            }
            try db.execute(sql: """
                INSERT INTO leases (mailbox_id, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (mailbox_id) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at,
                    expires_at = excluded.expires_at
                """, arguments: [mailbox, owner, t, t + ttl])
            return nil
        }
    }

    /// Extends our lease; false when it is no longer ours (it expired and was taken over).
    @discardableResult
    public func renewLease(mailbox: Int64, owner: String, ttl: TimeInterval, now: Date = Date()) throws(StoreError) -> Bool {
        try writeBookkeeping("renewing the lease on mailbox \(mailbox)") { db in
            try db.execute(sql: "UPDATE leases SET expires_at = ? WHERE mailbox_id = ? AND owner = ?",
                           arguments: [now.timeIntervalSince1970 + ttl, mailbox, owner])
            return db.changesCount > 0
        }
    }

    /// Gives the lease back (only when it is ours).
    public func releaseLease(mailbox: Int64, owner: String) throws(StoreError) {
        try writeBookkeeping("releasing the lease on mailbox \(mailbox)") { db in
            try db.execute(sql: "DELETE FROM leases WHERE mailbox_id = ? AND owner = ?", arguments: [mailbox, owner])
        }
    }

    /// The current holder of a mailbox's lease, expired or not (nil: none).
    public func leaseHolder(mailbox: Int64) throws(StoreError) -> LeaseHolder? {
        try read("reading the lease on mailbox \(mailbox)") { db in
            try Row.fetchOne(db, sql: "SELECT owner, acquired_at, expires_at FROM leases WHERE mailbox_id = ?",
                             arguments: [mailbox]).map { row in
                LeaseHolder(owner: row["owner"], acquired: Date(timeIntervalSince1970: row["acquired_at"]),
                            expires: Date(timeIntervalSince1970: row["expires_at"]))
            }
        }
    }

    // MARK: - Service state

    /// Writes the service's view of one alias (replacing any earlier row for it).
    public func setServiceState(_ state: ServiceAliasState) throws(StoreError) {
        try writeBookkeeping("recording the service state of alias \(state.alias)") { db in
            try db.execute(sql: """
                INSERT INTO service_state (alias, owner, state, idle, next_poll, last_error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (alias) DO UPDATE SET owner = excluded.owner, state = excluded.state, idle = excluded.idle,
                    next_poll = excluded.next_poll, last_error = excluded.last_error, updated_at = excluded.updated_at
                """, arguments: [state.alias, state.owner, state.state, state.idle,
                                 state.nextPoll?.timeIntervalSince1970, state.lastError,
                                 state.updated.timeIntervalSince1970])
        }
    }

    /// Every alias a service has reported on, by name.
    public func serviceStates() throws(StoreError) -> [ServiceAliasState] {
        try read("reading the service state") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM service_state ORDER BY alias").map { row in
                let next: Double? = row["next_poll"]
                return ServiceAliasState(alias: row["alias"], owner: row["owner"], state: row["state"], idle: row["idle"],
                                         nextPoll: next.map(Date.init(timeIntervalSince1970:)), lastError: row["last_error"],
                                         updated: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }

    /// Forgets the rows a service wrote (at its clean exit), or every alias's row not in
    /// `keeping` (after a reload dropped aliases).
    public func clearServiceState(owner: String, keeping aliases: [String]? = nil) throws(StoreError) {
        try write("clearing the service state") { db in
            if let aliases {
                let placeholders = aliases.isEmpty ? "NULL" : aliases.map { _ in "?" }.joined(separator: ", ")
                try db.execute(sql: "DELETE FROM service_state WHERE owner = ? AND alias NOT IN (\(placeholders))",
                               arguments: StatementArguments([owner] + aliases))
            } else {
                try db.execute(sql: "DELETE FROM service_state WHERE owner = ?", arguments: [owner])
            }
        }
    }
}
