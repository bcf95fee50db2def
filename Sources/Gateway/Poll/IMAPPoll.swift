import Foundation
import MIME
import MailSource
import MailStore

/// One poll of an IMAP folder. Seen key: (mailbox, UIDVALIDITY, UID).
///
/// Candidates are the UIDs above the store's high-water mark for the folder's UIDVALIDITY,
/// never "what is unseen" (another client reading mail must not hide it from us), and an
/// idle poll is one SELECT because UIDNEXT has not moved. Messages are fetched in batches;
/// each batch is made durable, then flagged/moved/deleted on the server, then marked done.
struct IMAPPoll {
    let alias: AliasConfig
    let mailbox: AliasConfig.Mailbox
    let mailboxID: Int64
    let pipeline: BatchPipeline
    var store: Store { pipeline.store }

    /// Logs in with a session of its own and logs out at the end.
    func run(into report: inout PollReport, secret: String) throws {
        let session = try IMAPSession(endpoint: mailbox.endpoint, secret: secret)
        defer { try? session.logout() }
        try run(into: &report, session: session)
    }

    /// Polls through `session`, which is logged in and stays so (the IDLE watcher's): the
    /// folder is SELECTed again (EXAMINEd when `after_fetch = keep`) for fresh UIDNEXT and
    /// UIDVALIDITY, and it is left selected; the caller logs out.
    func run(into report: inout PollReport, session: IMAPSession) throws {
        let selected = try session.select(mailbox.folder, readOnly: mailbox.afterFetch == .keep)
        let uidValidity = selected.uidValidity
        report.uidValidity = uidValidity
        report.uidNext = selected.uidNext
        report.existsAtSelect = selected.exists
        let previous = try store.mailbox(mailboxID)

        var candidates: [UInt32]
        var unfinished = try store.notDone(mailbox: mailboxID, uidValidity: uidValidity)
            .filter { $0.state == .recorded }.compactMap(\.uid)
        if previous?.uidValidity == nil {
            candidates = try firstPollCandidates(session)
        } else if previous?.uidValidity != uidValidity {
            candidates = try candidatesAfterReset(session, uidValidity: uidValidity)
            unfinished = []
        } else if selected.uidNext != nil && previous?.uidNext == selected.uidNext && unfinished.isEmpty {
            return  // nothing arrived since the last poll: this poll cost one SELECT
        } else {
            let highWater = try store.highWaterMark(mailbox: mailboxID, uidValidity: uidValidity) ?? 0
            candidates = try session.searchUIDs(from: highWater + 1)
        }
        try store.setUIDValidity(mailbox: mailboxID, value: uidValidity)

        // Sizes first, so an oversized message is recorded as skipped without being downloaded.
        var wanted: [(uid: UInt32, size: Int)] = []
        for (uid, info) in try session.fetchSizes(candidates).sorted(by: { $0.key < $1.key }) {
            let size = Int(info.size)
            if Int64(size) > alias.maxMessageSize {
                if try store.recordSkipped(mailbox: mailboxID, uidValidity: uidValidity, uid: uid, size: Int64(size),
                                           reason: pipeline.tooLarge(alias)) {
                    report.skipped += 1
                }
            } else {
                wanted.append((uid, size))
            }
        }

        // Messages a crash left recorded but not acknowledged: tell the server now.
        try finish(unfinished, session, uidValidity: uidValidity)
        try pipeline.routePending(mailboxID: mailboxID, arrivedVia: alias.name, into: &report)

        // Large messages stream straight to the spool, one at a time, never held twice.
        let large = wanted.filter { $0.size > pipeline.streamThreshold }
        let small = wanted.filter { $0.size <= pipeline.streamThreshold }
        let limit = Int(clamping: alias.maxMessageSize)
        for batch in pipeline.batches(small, size: { $0.size }) + pipeline.batches(large, size: { $0.size }) {
            // Stopping: leave before the next batch and before UIDNEXT is saved, so the next poll goes on.
            if pipeline.shouldStop() { report.interrupted = true; return }
            let recorder = pipeline.recorder(mailboxID: mailboxID, arrivedVia: alias.name)
            var got: [UInt32] = []
            if batch.first.map({ $0.size > pipeline.streamThreshold }) == true {
                for item in batch {
                    let writer = try pipeline.spool.beginWrite()
                    var hasher = SHA256.Hasher256()
                    let size = try session.fetchBody(item.uid, maxSize: limit) { chunk in
                        hasher.update(chunk)
                        try writer.append(chunk)
                    }
                    guard size != nil else { writer.abort(); continue }  // expunged meanwhile
                    let digest = SHA256.hexString(hasher.finish())
                    try writer.finish(sha256: digest)
                    try recorder.addSpooled(sha256: digest, uidValidity: uidValidity, uid: item.uid)
                    got.append(item.uid)
                }
            } else {
                let sizes = Dictionary(uniqueKeysWithValues: batch.map { ($0.uid, UInt64($0.size)) })
                try session.fetchBodies(batch.map(\.uid), maxSize: limit, sizes: sizes) { uid, raw in
                    try recorder.add(raw, uidValidity: uidValidity, uid: uid, uidl: nil)
                    got.append(uid)
                }
            }
            try recorder.commit(into: &report)
            pipeline.progress?(alias.name, report.fetched, wanted.count)
            try finish(got, session, uidValidity: uidValidity)
        }
        // UIDNEXT is saved last: an interrupted poll is never mistaken for an idle one.
        try store.setUIDValidity(mailbox: mailboxID, value: uidValidity, uidNext: selected.uidNext)
    }

    /// The first poll of a folder: `start` decides what counts as already handled.
    private func firstPollCandidates(_ session: IMAPSession) throws -> [UInt32] {
        let uidValidity = session.selected!.uidValidity
        switch mailbox.start {
        case .all:
            return try session.searchUIDs(from: 1)
        case .new:
            try store.recordBaseline(mailbox: mailboxID, uidValidity: uidValidity, uids: try session.searchUIDs(from: 1))
            return []
        case .unseen:
            let unseen = try session.searchUnseen()
            let unseenSet = Set(unseen)
            let baseline = try session.searchUIDs(from: 1).filter { !unseenSet.contains($0) }
            try store.recordBaseline(mailbox: mailboxID, uidValidity: uidValidity, uids: baseline)
            return unseen
        }
    }

    /// UIDVALIDITY changed: every UID is new to us, but most messages are not. Match the
    /// server's messages to recorded ones by Message-ID and size; fetch only the rest.
    private func candidatesAfterReset(_ session: IMAPSession, uidValidity: UInt32) throws -> [UInt32] {
        let all = try session.searchUIDs(from: 1)
        guard !all.isEmpty else { return [] }
        let ids = try session.fetchMessageIDs(all)
        let known = try store.messageIDs(mailbox: mailboxID)
        var matches: [(uid: UInt32, from: Int64)] = []
        var fresh: [UInt32] = []
        for uid in all {
            if let found = ids[uid], let id = found.messageID.map(Self.normalisedMessageID),
               let row = known[MessageIdentity(messageID: id, size: Int64(found.size))] {
                matches.append((uid, row.id))
            } else {
                fresh.append(uid)
            }
        }
        try store.carryOver(mailbox: mailboxID, uidValidity: uidValidity, matches)
        return fresh
    }

    /// The Message-ID as the parser records it: trimmed, in angle brackets.
    static func normalisedMessageID(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("<") ? trimmed : "<\(trimmed)>"
    }

    /// Applies `after_fetch` to committed messages, then marks them done.
    private func finish(_ uids: [UInt32], _ session: IMAPSession, uidValidity: UInt32) throws {
        guard !uids.isEmpty else { return }
        switch mailbox.afterFetch {
        case .seen: try session.markSeen(uids)
        case .delete: try session.delete(uids)
        case .move(let folder):
            do { try session.move(uids, to: folder) } catch MailSourceError.configuration {
                // [TRYCREATE]: the folder does not exist yet. Create it once and move again.
                try session.create(folder)
                try session.move(uids, to: folder)
            }
        case .keep: break
        }
        CrashPoint.reach(.acknowledged)
        try store.markDone(mailbox: mailboxID, uidValidity: uidValidity, uids: uids)
    }
}
