import Foundation
import MailSource
import MailStore

/// One poll of an IMAP folder. Seen key: (mailbox, UIDVALIDITY, UID).
///
/// Candidates are the UIDs above the store's high-water mark for the folder's UIDVALIDITY,
/// never "what is unseen" (another client reading mail must not hide it from us); an idle
/// poll is one SELECT because UIDNEXT has not moved. Messages are fetched in batches; each
/// batch is made durable, then flagged/moved/deleted on the server, then marked done.
struct IMAPPoll {
    let alias: AliasConfig
    let store: Store
    let spool: Spool
    let batchMessages: Int
    let batchBytes: Int

    func run(into report: inout PollReport, secret: String) throws {
        let session = try IMAPSession(endpoint: alias.endpoint, secret: secret)
        defer { try? session.logout() }
        let selected = try session.select(alias.folder, readOnly: alias.afterFetch == .keep)
        let uidValidity = selected.uidValidity
        report.uidValidity = uidValidity
        let mailbox = try store.mailboxID(
            host: alias.host, port: alias.port, user: alias.user, folder: alias.folder)
        let previous = try store.mailboxState(mailbox: mailbox)

        var candidates: [UInt32]
        var unfinished = try store.notDoneUIDs(mailbox: mailbox, uidValidity: uidValidity)
        if previous.uidValidity == nil {
            candidates = try firstPollCandidates(session: session, mailbox: mailbox, uidValidity: uidValidity)
        } else if previous.uidValidity != uidValidity {
            candidates = try candidatesAfterReset(session: session, mailbox: mailbox, uidValidity: uidValidity)
            unfinished = []
        } else if previous.uidNext == selected.uidNext && unfinished.isEmpty {
            return  // nothing arrived since the last poll: this poll cost one SELECT
        } else {
            let highWater = try store.highWaterMark(mailbox: mailbox, uidValidity: uidValidity) ?? 0
            candidates = try session.searchUIDs(above: highWater)
        }

        // Sizes first, so an oversized message is recorded as skipped without being downloaded.
        var wanted: [(uid: UInt32, size: Int)] = []
        if !candidates.isEmpty {
            for (uid, info) in try session.fetchSizes(candidates).sorted(by: { $0.key < $1.key }) {
                if info.size > alias.maxMessageSize {
                    try store.recordSkipped(mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: nil,
                                            size: info.size,
                                            reason: "larger than max_message_size (\(alias.maxMessageSize) bytes)")
                    report.skipped += 1
                } else {
                    wanted.append((uid, info.size))
                }
            }
        }

        // Messages a crash left recorded but not flagged: tell the server now.
        if !unfinished.isEmpty { try finish(unfinished, session: session, mailbox: mailbox, uidValidity: uidValidity) }

        let recorder = BatchRecorder(store: store, spool: spool)
        var start = 0
        while start < wanted.count {
            var end = start, bytes = 0
            while end < wanted.count && end - start < batchMessages && (bytes == 0 || bytes + wanted[end].size <= batchBytes) {
                bytes += wanted[end].size
                end += 1
            }
            let uids = wanted[start..<end].map(\.uid)
            var got: [UInt32] = []
            try session.fetchBodies(uids) { uid, raw in
                try recorder.add(raw, mailbox: mailbox, uidValidity: uidValidity, uid: uid, uidl: nil)
                got.append(uid)
            }
            report.fetched += try recorder.commit()
            try finish(got, session: session, mailbox: mailbox, uidValidity: uidValidity)
            start = end
        }
        try store.setMailboxState(mailbox: mailbox, uidValidity: uidValidity, uidNext: selected.uidNext)
    }

    /// The first poll of a folder: `start` decides what counts as already handled.
    private func firstPollCandidates(session: IMAPSession, mailbox: Int64, uidValidity: UInt32) throws -> [UInt32] {
        switch alias.start {
        case .all:
            return try session.searchUIDs(above: 0)
        case .new:
            try store.recordBaseline(mailbox: mailbox, uidValidity: uidValidity, uids: try session.searchUIDs(above: 0))
            return []
        case .unseen:
            let unseen = try session.searchUnseen()
            let unseenSet = Set(unseen)
            let baseline = try session.searchUIDs(above: 0).filter { !unseenSet.contains($0) }
            try store.recordBaseline(mailbox: mailbox, uidValidity: uidValidity, uids: baseline)
            return unseen
        }
    }

    /// UIDVALIDITY changed: every UID is new to us, but most messages are not. Match the
    /// server's messages to recorded ones by Message-ID and size; fetch only the rest.
    private func candidatesAfterReset(session: IMAPSession, mailbox: Int64, uidValidity: UInt32) throws -> [UInt32] {
        let all = try session.searchUIDs(above: 0)
        guard !all.isEmpty else { return [] }
        let sizes = try session.fetchSizes(all)
        let ids = try session.fetchMessageIDs(all)
        let known = try store.recordedMessageKeys(mailbox: mailbox)
        var baseline: [UInt32] = [], fresh: [UInt32] = []
        for uid in all {
            if let id = ids[uid], let size = sizes[uid]?.size, known.contains(MessageKey(messageID: id, size: size)) {
                baseline.append(uid)
            } else {
                fresh.append(uid)
            }
        }
        try store.recordBaseline(mailbox: mailbox, uidValidity: uidValidity, uids: baseline)
        return fresh
    }

    /// Applies `after_fetch` to committed messages, then marks them done.
    private func finish(_ uids: [UInt32], session: IMAPSession, mailbox: Int64, uidValidity: UInt32) throws {
        guard !uids.isEmpty else { return }
        switch alias.afterFetch {
        case .seen: try session.markSeen(uids)
        case .delete: try session.delete(uids)
        case .move(let folder): try session.move(uids, to: folder)
        case .keep: break
        }
        CrashPoint.reach(.acknowledged)
        try store.markDone(mailbox: mailbox, uidValidity: uidValidity, uids: uids)
    }
}
