import Foundation
import MIME
import MailStore
import Routing

/// What every poll shares: the store, the spool, the router and the batch limits.
struct BatchPipeline {
    let store: Store
    let spool: Spool
    let router: MessageRouter
    /// A batch is made durable (one fsync + one transaction) every this many messages or bytes.
    var batchMessages = 500
    var batchBytes = 32_000_000
    /// Messages larger than this are streamed to the spool instead of held in memory.
    var streamThreshold = 4_000_000
    /// Told after every committed batch: (alias, fetched so far, to fetch in this poll).
    var progress: (@Sendable (String, Int, Int) -> Void)?
    /// Asked before each batch: true (the service is stopping) ends the poll after the batch in hand.
    var shouldStop: () -> Bool = { false }
    /// How failed messages are retried (the polled alias's `max_attempts`, `retry_backoff`, `backoff_max`).
    var retry = RetryPolicy()

    func recorder(mailboxID: Int64, arrivedVia: String) -> BatchRecorder {
        BatchRecorder(pipeline: self, mailboxID: mailboxID, arrivedVia: arrivedVia)
    }

    /// Splits work into batches of at most `batchMessages` messages and about `batchBytes`.
    func batches<T>(_ items: [T], size: (T) -> Int) -> [ArraySlice<T>] {
        var result: [ArraySlice<T>] = []
        var start = 0
        while start < items.count {
            var end = start, bytes = 0
            while end < items.count && end - start < batchMessages && (bytes == 0 || bytes + size(items[end]) <= batchBytes) {
                bytes += size(items[end])
                end += 1
            }
            result.append(items[start..<end])
            start = end
        }
        return result
    }

    func tooLarge(_ alias: AliasConfig) -> String {
        "larger than max_message_size (\(alias.maxMessageSize) bytes): not downloaded"
    }

    /// Routes stored messages that were never routed (a crash or a store error between
    /// recording and routing, or a routing failure whose next attempt is due), so nothing
    /// waits forever in the spool.
    func routePending(mailboxID: Int64, arrivedVia: String, into report: inout PollReport) throws {
        let pending = try store.unroutedSeenRows(mailbox: mailboxID)
        guard !pending.isEmpty else { return }
        let failed = try route(pending.compactMap { row in row.sha256.map { (row.id, $0) } }, arrivedVia: arrivedVia,
                               into: &report)
        try store.markRerouted(ids: pending.filter { $0.state == .failed && !failed.contains($0.id) }.map(\.id))
    }

    /// Parses, routes and records messages already in the spool; returns the seen ids that failed.
    @discardableResult
    func route(_ messages: [(seenID: Int64, sha256: String)], arrivedVia: String,
               into report: inout PollReport) throws -> Set<Int64> {
        let parsed = try messages.map { ParsedMessage(seenID: $0.seenID, sha256: $0.sha256,
                                                      message: router.parser.parse(try spool.read(sha256: $0.sha256))) }
        return try route(parsed, arrivedVia: arrivedVia, into: &report)
    }

    /// Routes and records a batch in one records transaction; a seen-row routed before (a
    /// repeat after a crash) is not routed twice. When the batch fails for a reason one
    /// message can cause (not a busy or full database), each message is routed on its own:
    /// the one that fails is marked failed (retried with backoff, then quarantined) and
    /// the others go on.
    /// - Returns: the seen ids of the messages that failed.
    @discardableResult
    func route(_ messages: [ParsedMessage], arrivedVia: String, into report: inout PollReport) throws -> Set<Int64> {
        var failed: Set<Int64> = []
        do {
            try routeTogether(messages, arrivedVia: arrivedVia, into: &report)
        } catch let error as StoreError where error.kind == .internalError || error.kind == .invalidArgument {
            for message in messages {
                do {
                    try routeTogether([message], arrivedVia: arrivedVia, into: &report)
                } catch let failure as StoreError where failure.kind == .internalError || failure.kind == .invalidArgument {
                    let state = try store.markRouteFailed(id: message.seenID, error: "routing failed: \(failure.message)",
                                                          policy: retry)
                    failed.insert(message.seenID)
                    report.failed += 1
                    report.notices.append("message \(message.seenID) (\(message.message.messageID ?? "no Message-ID")) could not be routed"
                                          + " (\(state == .quarantined ? "quarantined" : "will be retried")): \(failure.message)")
                }
            }
        }
        return failed
    }

    private func routeTogether(_ messages: [ParsedMessage], arrivedVia: String, into report: inout PollReport) throws {
        // Not fsynced on its own: the batch's bytes and rows are durable already (guarantee 1
        // is about them), an unrouted row is routed by the next poll, and a push is claimed
        // in a FULL commit first. One fsync per batch instead of two.
        let kinds = try store.recordsTransaction("routing \(messages.count) message(s)", durable: false) { records in
            try messages.compactMap { m -> Route.Kind? in
                guard try !records.isRouted(seenID: m.seenID) else { return nil }
                return try router.routeAndRecord(m.message, rawSHA256: m.sha256, seenID: m.seenID,
                                                 arrivedVia: arrivedVia, in: records, input: m.input).route.kind
            }
        }
        for kind in kinds { report.routes[kind.rawValue, default: 0] += 1 }
    }
}

/// Collects fetched messages into one durable batch: one SQLite transaction for their raw
/// bytes and seen-rows (large messages were streamed into spool files synced before), then
/// one for their routes. Only after `commit` returns may the server hear that the messages
/// are done (DESIGN.md guarantee 1).
final class BatchRecorder {
    private let pipeline: BatchPipeline
    private let mailboxID: Int64
    private let arrivedVia: String
    private var pending: [NewSeenRow] = []
    private var raw: [String: [UInt8]] = [:]
    private var parsed: [Message] = []
    private var inputs: [RoutingInput?] = []

    init(pipeline: BatchPipeline, mailboxID: Int64, arrivedVia: String) {
        self.pipeline = pipeline
        self.mailboxID = mailboxID
        self.arrivedVia = arrivedVia
    }

    /// Queues one message: its bytes and seen-row are written together at `commit`.
    func add(_ raw: [UInt8], uidValidity: UInt32?, uid: UInt32?, uidl: String?) throws {
        try add(FetchedMessage(raw, pipeline: pipeline, arrivedVia: arrivedVia), uidValidity: uidValidity, uid: uid, uidl: uidl)
    }

    /// Queues a message hashed and parsed already (on the thread that read it).
    func add(_ fetched: FetchedMessage, uidValidity: UInt32?, uid: UInt32?, uidl: String?) throws {
        raw[fetched.sha256] = fetched.raw
        parsed.append(fetched.message)
        inputs.append(fetched.input)
        let messageID = fetched.message.messageID
        if let uid, let uidValidity {
            pending.append(NewSeenRow(mailbox: mailboxID, uidValidity: uidValidity, uid: uid,
                                      size: Int64(fetched.raw.count), sha256: fetched.sha256, messageID: messageID))
        } else if let uidl {
            pending.append(NewSeenRow(mailbox: mailboxID, uidl: uidl, size: Int64(fetched.raw.count), sha256: fetched.sha256,
                                      messageID: messageID))
        }
    }

    /// Queues a message already streamed into the spool (large messages); it is read back
    /// once to be parsed.
    func addSpooled(sha256: String, uidValidity: UInt32, uid: UInt32) throws {
        let raw = try pipeline.spool.read(sha256: sha256)
        let message = pipeline.router.parser.parse(raw)
        parsed.append(message)
        inputs.append(nil)
        pending.append(NewSeenRow(mailbox: mailboxID, uidValidity: uidValidity, uid: uid, size: Int64(raw.count),
                                  sha256: sha256, messageID: message.messageID))
    }

    /// Makes the batch durable (bytes and rows in one commit), then routes it.
    func commit(into report: inout PollReport) throws {
        try pipeline.route(try record(into: &report), arrivedVia: arrivedVia, into: &report)
    }

    /// Makes the batch durable (bytes and rows in one commit) and returns it, to be routed.
    /// From here the server may be told (guarantee 1): a message acknowledged but not routed
    /// yet (a crash between) is routed from its stored bytes by the next poll.
    func record(into report: inout PollReport) throws -> [ParsedMessage] {
        guard !pending.isEmpty else { return [] }
        CrashPoint.reach(.spooled)
        let ids = try pipeline.store.record(pending, raw: raw)
        raw.removeAll(keepingCapacity: true)
        CrashPoint.reach(.committed)
        report.fetched += pending.count
        let batch = zip(ids, zip(pending, zip(parsed, inputs))).map {
            ParsedMessage(seenID: $0, sha256: $1.0.sha256, message: $1.1.0, input: $1.1.1)
        }
        pending.removeAll(keepingCapacity: true)
        parsed.removeAll(keepingCapacity: true)
        inputs.removeAll(keepingCapacity: true)
        return batch
    }
}

/// A recorded message, parsed once for both its seen-row and its route.
struct ParsedMessage {
    var seenID: Int64
    var sha256: String
    var message: Message
    /// Its routing facts when worked out before the records transaction.
    var input: RoutingInput?
}

/// A fetched message with the work that needs no store done: hashed, parsed and its routing
/// facts worked out (the bounce classifier's verdict among them). Pure, so it runs on whichever
/// thread has the time: an IMAP poll does it on the reading thread while the recording thread
/// commits and routes the messages before (issue 13).
struct FetchedMessage {
    var raw: [UInt8]
    var sha256: String
    var message: Message
    var input: RoutingInput

    init(_ raw: [UInt8], pipeline: BatchPipeline, arrivedVia: String) {
        self.raw = raw
        sha256 = SHA256.hex(raw)
        message = pipeline.router.parser.parse(raw)
        input = pipeline.router.input(message, rawSHA256: sha256, arrivedVia: arrivedVia)
    }
}
