import Foundation

/// The recording half of an IMAP poll, on threads of its own (issue 13): while the poll's
/// thread reads and frames the next messages (it alone touches the session), a parsing
/// thread does their pure work (`FetchedMessage`: hash, parse, routing facts) and this one
/// commits and routes the ones before, parsing too whenever the message it needs next is
/// not parsed yet. A batch that arrives at once (a 20 ms link delivers 200 messages in one
/// burst) is parsed on both cores instead of one, and a long fetch keeps both busy.
///
/// Batches keep their meaning: the reader closes one with `endBatch()`, this thread makes it
/// durable (`BatchRecorder.record`: raw bytes and seen rows in one FULL commit), hands its UIDs
/// back (`takeCommitted`, `waitCommitted`, `finish`) and then routes it. Messages are recorded
/// in the order they were read, whoever parsed them. Only UIDs handed back may be flagged,
/// deleted or moved on the server (DESIGN.md guarantee 1), so the reader acknowledges a batch
/// one fetch later than it used to, never earlier than its commit; the last batch's flags go
/// out while it is being routed (`waitCommitted`), not after.
///
/// The queue between them is bounded by bytes: the reader waits while the recorder is behind,
/// so a fast server cannot fill the memory. After a failure the threads stop: the batches
/// committed before it are still handed back, `add` throws the failure (the reader stops
/// fetching), and `finish` returns it.
final class RecordingThread: @unchecked Sendable {
    /// One committed batch: its UIDs and what committing it counted (fetched).
    struct Committed {
        var uids: [UInt32]
        var report: PollReport
    }

    /// A message as read, parsed by whichever thread claims it first. `fetched` and `claimed`
    /// only under `condition`; `raw` never changes.
    private final class Pending {
        let uid: UInt32
        let raw: [UInt8]
        var claimed = false
        var fetched: FetchedMessage?

        init(uid: UInt32, raw: [UInt8]) {
            self.uid = uid
            self.raw = raw
        }
    }

    private enum Item {
        case fetched(Pending)
        /// A large message the reader streamed into the spool: read back here to be parsed.
        case spooled(uid: UInt32, sha256: String)
        case endBatch

        var bytes: Int {
            if case let .fetched(pending) = self { return pending.raw.count }
            return 0
        }
    }

    private let pipeline: BatchPipeline
    private let mailboxID: Int64
    private let arrivedVia: String
    private let uidValidity: UInt32
    private let mailbox: String
    /// Bytes queued at most before `add` waits (one message larger than this is let through alone).
    private let capacity: Int

    // All below only under `condition`.
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var head = 0
    /// Where to look for the next message nobody has claimed to parse (never before `head`'s
    /// unparsed ones: claims go in reading order).
    private var claimCursor = 0
    private var queuedBytes = 0
    private var committed: [Committed] = []
    /// Batches the reader ended, and those committed (or given up on after a failure).
    private var ended = 0
    private var settled = 0
    /// What routing counted (routes, failures), handed over by `finish`.
    private var routed: PollReport
    private var failure: Error?
    private var closed = false
    private var running = true
    private var parsing = true

    init(pipeline: BatchPipeline, mailboxID: Int64, arrivedVia: String, uidValidity: UInt32, mailbox: String,
         capacity: Int) {
        self.pipeline = pipeline
        self.mailboxID = mailboxID
        self.arrivedVia = arrivedVia
        self.uidValidity = uidValidity
        self.mailbox = mailbox
        self.capacity = max(capacity, 1)
        routed = PollReport(alias: arrivedVia, mailbox: mailbox)
        let thread = Thread { [self] in run() }
        thread.name = "mailgate-record"
        thread.start()
        let parser = Thread { [self] in parse() }
        parser.name = "mailgate-parse"
        parser.start()
    }

    /// Queues a message as read, to be hashed and parsed on another thread; waits while the
    /// queue is full. Throws the recorder's failure.
    func add(uid: UInt32, raw: [UInt8]) throws {
        try put(.fetched(Pending(uid: uid, raw: raw)))
    }

    /// Queues a message already durable in the spool (large ones stream there as they arrive).
    func addSpooled(uid: UInt32, sha256: String) throws {
        try put(.spooled(uid: uid, sha256: sha256))
    }

    /// The messages queued since the last batch form one: commit them.
    func endBatch() throws {
        try put(.endBatch)
    }

    /// Waits until every batch ended so far is committed (or the thread failed), not for their
    /// routing, and returns the batches not taken yet: the reader acknowledges them while the
    /// last one is routed.
    func waitCommitted() -> [Committed] {
        condition.lock()
        defer { condition.unlock() }
        while settled < ended && failure == nil && running { condition.wait() }
        let done = committed
        committed = []
        return done
    }

    /// Batches committed since the last call, oldest first; does not wait.
    func takeCommitted() -> [Committed] {
        condition.lock()
        defer { condition.unlock() }
        let done = committed
        committed = []
        return done
    }

    /// Lets the thread commit and route every batch ended so far (messages after the last
    /// `endBatch` are not committed: their fetch did not end) and waits for it to stop. Returns
    /// the batches not taken yet, what routing counted, and the failure that stopped it, if any.
    func finish() -> (committed: [Committed], routed: PollReport, failure: Error?) {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while running || parsing { condition.wait() }
        let done = committed
        committed = []
        return (done, routed, failure)
    }

    private func put(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && queuedBytes > 0 && queuedBytes + item.bytes > capacity { condition.wait() }
        if let failure { throw failure }
        queue.append(item)
        queuedBytes += item.bytes
        if case .endBatch = item { ended += 1 }
        condition.broadcast()
    }

    /// The next item, parsed, or nil when the reader finished and the queue is empty. While the
    /// next message is not parsed yet, this thread parses one that nobody has claimed.
    private func next() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if head < queue.count {
                let item = queue[head]
                if case let .fetched(pending) = item, pending.fetched == nil {
                    if let mine = claim() {
                        parse(mine)
                    } else {
                        condition.wait()  // the parsing thread has it in hand
                    }
                    continue
                }
                queue[head] = .endBatch  // drop the bytes now, not when the queue is compacted
                head += 1
                if head == queue.count || head >= 1024 {
                    queue.removeFirst(head)
                    claimCursor = max(claimCursor - head, 0)
                    head = 0
                }
                queuedBytes -= item.bytes
                condition.broadcast()
                return item
            }
            if closed { return nil }
            condition.wait()
        }
    }

    /// The first queued message nobody is parsing, now claimed (under `condition`).
    private func claim() -> Pending? {
        while claimCursor < queue.count {
            defer { claimCursor += 1 }
            if case let .fetched(pending) = queue[claimCursor], !pending.claimed {
                pending.claimed = true
                return pending
            }
        }
        return nil
    }

    /// Parses a message this thread claimed: called and returns under `condition`, released
    /// while parsing so the other threads go on.
    private func parse(_ mine: Pending) {
        condition.unlock()
        let fetched = FetchedMessage(mine.raw, pipeline: pipeline, arrivedVia: arrivedVia)
        condition.lock()
        mine.fetched = fetched
        condition.broadcast()
    }

    /// The parsing thread: parses messages in reading order, ahead of the recorder, until the
    /// reader has finished and nothing is left to claim, or the recorder failed.
    private func parse() {
        condition.lock()
        while failure == nil {
            if let mine = claim() {
                parse(mine)
            } else if closed || !running {
                break
            } else {
                condition.wait()
            }
        }
        parsing = false
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        var recorder = pipeline.recorder(mailboxID: mailboxID, arrivedVia: arrivedVia)
        var uids: [UInt32] = []
        do {
            while let item = next() {
                switch item {
                case let .fetched(pending):
                    guard let fetched = pending.fetched else { preconditionFailure("next() hands out parsed messages only") }
                    try recorder.add(fetched, uidValidity: uidValidity, uid: pending.uid, uidl: nil)
                    uids.append(pending.uid)
                case let .spooled(uid, sha256):
                    try recorder.addSpooled(sha256: sha256, uidValidity: uidValidity, uid: uid)
                    uids.append(uid)
                case .endBatch:
                    var report = PollReport(alias: arrivedVia, mailbox: mailbox)
                    let batch = try recorder.record(into: &report)
                    condition.lock()
                    committed.append(Committed(uids: uids, report: report))
                    settled += 1
                    condition.broadcast()
                    condition.unlock()
                    recorder = pipeline.recorder(mailboxID: mailboxID, arrivedVia: arrivedVia)
                    uids = []
                    var routing = PollReport(alias: arrivedVia, mailbox: mailbox)
                    try pipeline.route(batch, arrivedVia: arrivedVia, into: &routing)
                    condition.lock()
                    routed.add(routing)
                    condition.unlock()
                }
            }
        } catch {
            condition.lock()
            failure = error
            queue = []
            head = 0
            claimCursor = 0
            queuedBytes = 0
            condition.unlock()
        }
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
