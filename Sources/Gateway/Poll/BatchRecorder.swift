import Foundation
import MIME
import MailStore

/// Collects fetched messages into one durable batch: raw bytes into the spool (one fsync for
/// the batch), then one SQLite transaction for their seen-rows. Only after `commit()` returns
/// may the server hear that the messages are done (DESIGN.md guarantee 1).
final class BatchRecorder {
    private let store: Store
    private let spool: Spool
    private var pending: [NewSeenRow] = []
    private(set) var pendingBytes = 0

    init(store: Store, spool: Spool) {
        self.store = store
        self.spool = spool
    }

    var isEmpty: Bool { pending.isEmpty }
    var count: Int { pending.count }

    /// Spools one message (not yet durable) and queues its seen-row.
    func add(_ raw: [UInt8], mailbox: Int64, uidValidity: UInt32?, uid: UInt32?, uidl: String?) throws {
        let digest = SHA256.hex(raw)
        try spool.write(raw, sha256: digest)
        pending.append(NewSeenRow(
            mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: uidl,
            size: raw.count, sha256: digest, messageID: MessageIDScanner.messageID(in: raw)))
        pendingBytes += raw.count
    }

    /// Makes the batch durable: fsync the spool, then commit the rows in one transaction.
    @discardableResult
    func commit() throws -> Int {
        guard !pending.isEmpty else { return 0 }
        try spool.sync()
        CrashPoint.reach(.spooled)
        try store.record(pending)
        CrashPoint.reach(.committed)
        let n = pending.count
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
        return n
    }
}
