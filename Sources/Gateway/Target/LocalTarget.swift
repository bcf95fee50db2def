import Foundation
import MIME
import MailStore
import Routing

/// The embedded target: messages routed with all of Odoo's rules into the SQLite records.
/// Serves `route` (dry run), `deliver` (the MTA pipe), `threads`, `show` and `replay`.
public final class LocalTarget {
    public let config: Config
    let store: Store
    let spool: Spool
    let router: MessageRouter

    public init(config: Config) throws {
        self.config = config
        store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        spool = try Spool(directory: config.spoolPath, store: store)
        router = MessageRouter(config: config)
    }

    /// `route`'s dry run, leaving nothing behind: against the store's records when it exists,
    /// else against an empty history in a scratch store that is removed afterwards (a first
    /// `route` creates no database at `[store] path`).
    public static func dryRun(config: Config, raw: [UInt8], arrivedVia: String?) throws -> RoutingResult {
        if FileManager.default.fileExists(atPath: config.storePath) {
            return try LocalTarget(config: config).dryRun(raw: raw, arrivedVia: arrivedVia)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-route-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var empty = config
        empty.storePath = scratch + "/mailgate.sqlite"
        empty.spoolPath = scratch + "/spool"
        return try LocalTarget(config: empty).dryRun(raw: raw, arrivedVia: arrivedVia)
    }

    /// Decides where a message would go against the current records; records nothing.
    public func dryRun(raw: [UInt8], arrivedVia: String?) throws -> RoutingResult {
        let message = router.parser.parse(raw)
        let outcome = try store.readRecords { records in
            try router.decide(message, rawSHA256: SHA256.hex(raw), arrivedVia: arrivedVia, in: records)
        }
        return RoutingResult(outcome)
    }

    /// The MTA pipe: the raw bytes, the route and the records are written in one transaction.
    /// A failure before the commit leaves nothing recorded (the MTA keeps the message and
    /// retries); after it, the message is safe.
    public func deliver(raw: [UInt8], arrivedVia: String?) throws -> RoutingResult {
        let digest = SHA256.hex(raw)
        let message = router.parser.parse(raw)
        let outcome = try store.recordsTransaction("delivering \(message.messageID ?? digest)") { records in
            try records.keepRaw(raw, sha256: digest, in: store)
            return try router.routeAndRecord(message, rawSHA256: digest, seenID: nil, arrivedVia: arrivedVia, in: records)
        }
        return RoutingResult(outcome)
    }

    public func threads(alias: String?) throws -> [ThreadSummary] { try store.threads(alias: alias) }

    public func thread(_ id: Int64) throws -> (thread: ThreadSummary, messages: [MessageSummary])? {
        guard let thread = try store.thread(id) else { return nil }
        return (thread, try store.messages(inThread: id))
    }

    /// Routes stored messages again (after a config change): the given message rows, every
    /// unrouted one, and/or every quarantined seen-row. Each keeps its row; what its previous
    /// decision created is replaced. A quarantined message whose body never arrived is made
    /// due for fetching (`Poller.pollFetchRetries` fetches it over a session).
    public func replay(ids: [Int64], unrouted: Bool, quarantined: Bool) throws -> [ReplayResult] {
        var results: [ReplayResult] = []
        /// Routes one stored message again and records the outcome (or its error).
        func reroute(id: Int64, before: String?, sha256: String, seenID: Int64?, arrivedVia: String?, replacing: Int64?) {
            do {
                let message = router.parser.parse(try spool.read(sha256: sha256))
                let outcome = try store.recordsTransaction("replaying message \(id)") { records in
                    try router.routeAndRecord(message, rawSHA256: sha256, seenID: seenID, arrivedVia: arrivedVia,
                                              in: records, replacing: replacing)
                }
                results.append(ReplayResult(id: outcome.messageRow ?? id, before: before, result: RoutingResult(outcome), error: nil))
            } catch {
                results.append(ReplayResult(id: id, before: before, result: nil, error: String(describing: error)))
            }
        }
        let rows = try store.messages(ids: ids, routes: unrouted ? ["unrouted"] : [])
        let missing = Set(ids).subtracting(rows.map(\.id))
        for id in missing.sorted() { results.append(ReplayResult(id: id, before: nil, result: nil, error: "no message with id \(id)")) }
        for row in rows {
            reroute(id: row.id, before: row.route, sha256: row.rawSHA256, seenID: row.seenID, arrivedVia: row.arrivedVia,
                    replacing: row.id)
        }
        if quarantined {
            let parked = try store.rows(states: [.quarantined])
            try store.requeue(ids: parked.map(\.id))
            for row in parked {
                guard let digest = row.sha256 else {
                    results.append(ReplayResult(id: row.id, before: "quarantined", result: nil, error: nil,
                                                note: "its body never arrived: fetched again from the server"))
                    continue
                }
                reroute(id: row.id, before: "quarantined", sha256: digest, seenID: row.id, arrivedVia: nil, replacing: nil)
            }
        }
        return results
    }
}

/// One replayed message: its route before and after.
public struct ReplayResult {
    public var id: Int64
    public var before: String?
    public var result: RoutingResult?
    public var error: String?
    /// What happened instead of routing (a message to be fetched again).
    public var note: String? = nil
}
