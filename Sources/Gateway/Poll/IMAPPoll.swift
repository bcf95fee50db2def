import Foundation
import MIME
import MailSource
import MailStore
import Routing

/// One poll of an IMAP folder. Seen key: (mailbox, UIDVALIDITY, UID).
///
/// Candidates are the UIDs from the saved UIDNEXT on that have no seen row, never "what is
/// unseen" (another client reading mail must not hide it from us). They are listed with
/// their sizes by a `UID FETCH` pipelined with the SELECT, so an idle poll costs one round
/// trip and a poll with new mail three after login: SELECT with the listing, the bodies,
/// the flags (LOGOUT is not waited for). Messages are fetched in batches; each batch is made
/// durable, then flagged/moved/deleted on the server, then marked done.
///
/// Every candidate ends recorded, skipped (too large), failed (a `failed` row, fetched again
/// after its backoff, quarantined after its last attempt) or dropped (a fresh `UID SEARCH`
/// shows it gone), and the UIDNEXT saved never passes one that is none of these.
struct IMAPPoll {
    let alias: AliasConfig
    let mailbox: AliasConfig.Mailbox
    let mailboxID: Int64
    var pipeline: BatchPipeline
    var store: Store { pipeline.store }

    /// Reconnections one poll may make to get past messages whose literal was too large.
    static let maxReconnects = 16

    /// Logs in with a session of its own (or starts with `firstSession`, logged in already)
    /// and logs out at the end. A session closed to skip a message too large to download is
    /// replaced by a new one for the rest.
    func run(into report: inout PollReport, secret: String, firstSession: IMAPSession? = nil) throws {
        var poll = self
        var reconnects = 0
        var first = firstSession
        while true {
            let session = try first ?? IMAPSession(endpoint: mailbox.endpoint, secret: secret)
            first = nil
            defer {
                report.roundTrips += session.roundTrips
                session.logout()
            }
            do {
                try poll.run(into: &report, session: session)
                return
            } catch let reconnect as ReconnectForTheRest where reconnects < Self.maxReconnects {
                reconnects += 1
                // Which message was too large could not be told: fetch one per command from now on.
                if !reconnect.identified { poll.pipeline.batchMessages = 1 }
            }
        }
    }

    /// Polls through `session`, which is logged in and stays so (the IDLE watcher's): the
    /// folder is SELECTed again (EXAMINEd when `after_fetch = keep`) for fresh UIDNEXT and
    /// UIDVALIDITY, and it is left selected; the caller logs out. Throws
    /// `ReconnectForTheRest` when the session had to be closed to skip a message.
    func run(into report: inout PollReport, session: IMAPSession) throws {
        let previous = try store.mailbox(mailboxID)
        // Where new mail starts, if the SELECT confirms the UIDVALIDITY saved; a first poll
        // that takes everything lists from 1. Other first polls search as `start` says.
        let listFrom: UInt32? = previous?.uidValidity != nil ? previous?.uidNext ?? 1 : (mailbox.start == .all ? 1 : nil)
        let selected: IMAPSelectedMailbox
        var listing: [UInt32: IMAPMessageInfo]?
        if let listFrom {
            (selected, listing) = try session.select(mailbox.folder, readOnly: mailbox.afterFetch == .keep, listingFrom: listFrom)
        } else {
            selected = try session.select(mailbox.folder, readOnly: mailbox.afterFetch == .keep)
        }
        let uidValidity = selected.uidValidity
        report.uidValidity = uidValidity
        report.uidNext = selected.uidNext
        report.existsAtSelect = selected.exists
        /// UIDs ≥ `low`: from the listing when it covers them, else a search.
        func uids(from low: UInt32) throws -> [UInt32] {
            if let listing, let listFrom, listFrom <= low { return listing.keys.filter { $0 >= low }.sorted() }
            return try session.searchUIDs(from: low)
        }

        // Stored messages not routed yet (or due again after a failure) first; those routed
        // now become `recorded` and are acknowledged below with the others.
        try pipeline.routePending(mailboxID: mailboxID, arrivedVia: alias.name, into: &report)
        var unfinished = try store.notDone(mailbox: mailboxID, uidValidity: uidValidity)
            .filter { $0.state == .recorded }.compactMap(\.uid)
        var retries = try store.fetchRetries(mailbox: mailboxID, uidValidity: uidValidity, dueBy: Date())
        var candidates: [UInt32]
        if previous?.uidValidity == nil {
            candidates = try firstPollCandidates(session, all: { try uids(from: 1) })
        } else if previous?.uidValidity != uidValidity {
            listing = nil  // its UIDs are of the new UIDVALIDITY, listed from an old UIDNEXT
            candidates = try candidatesAfterReset(session, uidValidity: uidValidity)
            unfinished = []
            // Failed UIDs of the old UIDVALIDITY name nothing now; their messages, if still
            // there, are among the new UIDs and fetched as such.
            try store.markGone(ids: try store.fetchRetries(mailbox: mailboxID, dueBy: .distantFuture).map(\.id),
                               reason: "UIDVALIDITY changed before it could be fetched; fetched again under its new UID")
            retries = []
        } else if selected.uidNext != nil && previous?.uidNext == selected.uidNext && unfinished.isEmpty && retries.isEmpty {
            return  // nothing arrived since the last poll and nothing is due: this poll cost one SELECT
        } else {
            // No UIDNEXT saved yet (the first poll broke off): from 1, never from the highest UID
            // recorded, since an earlier one may have no row yet.
            candidates = try uids(from: previous?.uidNext ?? 1)
        }
        if let lowest = candidates.min() {
            let known = try store.recordedUIDs(mailbox: mailboxID, uidValidity: uidValidity, from: lowest)
            candidates = candidates.filter { known[$0] == nil }
        }
        try store.setUIDValidity(mailbox: mailboxID, value: uidValidity)
        var accounting = UIDAccounting(candidates: candidates)
        let retryRows = Dictionary(retries.compactMap { row in row.uid.map { ($0, row) } }, uniquingKeysWith: { first, _ in first })
        let toFetch = Array(Set(candidates).union(retryRows.keys)).sorted()
        // The first bounce-like message would build the classifier's tables on this thread, after
        // its bytes arrived; built now, on another, they are ready before the FETCH answers.
        if !toFetch.isEmpty { BounceClassifier.prepareTablesInBackground() }

        // Sizes first, so an oversized message is recorded as skipped without being downloaded.
        // A message without RFC822.SIZE is fetched all the same, its limit enforced as it arrives.
        var infos = listing ?? [:]
        let unlisted = toFetch.filter { infos[$0] == nil }
        if !unlisted.isEmpty { infos.merge(try session.fetchSizes(unlisted)) { listed, _ in listed } }
        var wanted: [(uid: UInt32, size: Int?)] = []
        for uid in toFetch {
            let size = infos[uid]?.size.map { Int(clamping: $0) }
            if let size, Int64(size) > alias.maxMessageSize {
                try skipTooLarge(uid, size: UInt64(size), reason: pipeline.tooLarge(alias), &accounting, &report)
            } else {
                wanted.append((uid, size))
            }
        }

        // Messages a crash left recorded but not acknowledged: tell the server now.
        try finish(unfinished, session, uidValidity: uidValidity)

        // Large messages stream straight to the spool, one at a time, never held twice.
        let large = wanted.filter { ($0.size ?? 0) > pipeline.streamThreshold }
        let small = wanted.filter { ($0.size ?? 0) <= pipeline.streamThreshold }
        let limit = Int(clamping: alias.maxMessageSize)
        var failures: [UInt32: IMAPFetchFailure] = [:]
        // Reading overlaps with parsing and recording: this thread reads and frames the pipelined
        // FETCH; the recording threads hash and parse (about half the CPU, on both cores when a
        // batch arrives at once), commit and route, and hand back each batch once committed.
        // Its queue holds at most 2 MB of messages as read: the parsing thread runs ahead, and a
        // parsed message weighs several times its bytes (8 MB took a 10,000-message fetch from
        // 58 to 83 MB peak, for no more speed).
        let recording = RecordingThread(pipeline: pipeline, mailboxID: mailboxID, arrivedVia: alias.name,
                                        uidValidity: uidValidity, mailbox: report.mailbox,
                                        capacity: min(pipeline.batchBytes, 2_000_000))
        /// Counts committed batches as recorded and, with a `session`, tells the server (only now:
        /// guarantee 1). Without one (it broke), the next poll acknowledges them: they stay `recorded`.
        func acknowledge(_ done: [RecordingThread.Committed], _ session: IMAPSession?) throws {
            for batch in done {
                report.add(batch.report)
                accounting.settle(batch.uids, .recorded)
                pipeline.progress?(alias.name, report.fetched, wanted.count)
            }
            guard let session else { return }
            for batch in done { try finish(batch.uids, session, uidValidity: uidValidity) }
        }
        /// Lets the recording thread commit and route what was ended and stop, counts what it did,
        /// and acknowledges the batches not acknowledged yet. Returns the failure that stopped it.
        func stopRecording(acknowledgingWith session: IMAPSession?) throws -> Error? {
            let (done, routed, failure) = recording.finish()
            report.add(routed)
            try acknowledge(done, session)
            return failure
        }
        do {
            for batch in pipeline.batches(small, size: { $0.size ?? 0 }) + pipeline.batches(large, size: { $0.size ?? 0 }) {
                // Stopping: leave before the next batch; the UIDNEXT saved stays below what is left.
                if pipeline.shouldStop() { report.interrupted = true; break }
                do {
                    if batch.first.map({ ($0.size ?? 0) > pipeline.streamThreshold }) == true {
                        for item in batch {
                            if case let .failed(failure) = try fetchLarge(item.uid, session, limit: limit, into: recording) {
                                failures[item.uid] = failure
                            }
                        }
                    } else {
                        let sizes = Dictionary(uniqueKeysWithValues: batch.compactMap { item in item.size.map { (item.uid, UInt64($0)) } })
                        let failed = try session.fetchBodies(batch.map(\.uid), maxSize: limit, sizes: sizes) { uid, raw in
                            try recording.add(uid: uid, raw: raw)
                        }
                        failures.merge(failed) { first, _ in first }
                    }
                    try recording.endBatch()
                } catch let interrupted as IMAPFetchInterrupted {
                    // What arrived whole is kept (acknowledged by the next session); the message
                    // being read is skipped (too large) or failed; the rest is fetched later.
                    try? recording.endBatch()
                    if let failure = try stopRecording(acknowledgingWith: nil) { throw failure }
                    try settle(failures, session: nil, retryRows: retryRows, uidValidity: uidValidity, &accounting, &report)
                    let identified = try settle(interrupted, uidValidity: uidValidity, &accounting, &report)
                    try saveUIDNext(accounting, selected, uidValidity)
                    if interrupted.literalTooLarge != nil { throw ReconnectForTheRest(identified: identified, reason: interrupted.underlying) }
                    throw interrupted.underlying
                }
                // Batches the recorder committed while this one was read: tell the server now.
                try acknowledge(recording.takeCommitted(), session)
            }
        } catch {
            // What was committed stays so; the server hears of it now if the session still works,
            // else from the next poll (its rows stay `recorded`). The first error is the one reported.
            _ = try? stopRecording(acknowledgingWith: session)
            throw error
        }
        // The last batch's flags go out while it is routed: at 20 ms that hides a round trip.
        // If they cannot, the routing still ends before the poll does (a retry must not route
        // the same rows at the same time).
        do {
            try acknowledge(recording.waitCommitted(), session)
        } catch {
            _ = try? stopRecording(acknowledgingWith: nil)
            throw error
        }
        if let failure = try stopRecording(acknowledgingWith: session) { throw failure }
        try settle(failures, session: session, retryRows: retryRows, uidValidity: uidValidity, &accounting, &report)
        // UIDNEXT is saved last, and never past a candidate that is not accounted for.
        try saveUIDNext(accounting, selected, uidValidity)
    }

    private func saveUIDNext(_ accounting: UIDAccounting, _ selected: IMAPSelectedMailbox, _ uidValidity: UInt32) throws {
        try store.setUIDValidity(mailbox: mailboxID, value: uidValidity,
                                 uidNext: accounting.uidNextToSave(selectedUIDNext: selected.uidNext))
    }

    /// Streams one large message into the spool (durable once `finish` returns) and queues it
    /// for recording.
    private func fetchLarge(_ uid: UInt32, _ session: IMAPSession, limit: Int,
                            into recording: RecordingThread) throws -> IMAPSession.BodyFetch {
        let writer = try pipeline.spool.beginWrite()
        var hasher = SHA256.Hasher256()
        let outcome: IMAPSession.BodyFetch
        do {
            outcome = try session.fetchBody(uid, maxSize: limit) { chunk in
                hasher.update(chunk)
                try writer.append(chunk)
            }
        } catch {
            writer.abort()
            throw error
        }
        guard case .fetched = outcome else { writer.abort(); return outcome }
        let digest = SHA256.hexString(hasher.finish())
        try writer.finish(sha256: digest)
        try recording.addSpooled(uid: uid, sha256: digest)
        return outcome
    }

    private func skipTooLarge(_ uid: UInt32, size: UInt64, reason: String, _ accounting: inout UIDAccounting,
                              _ report: inout PollReport) throws {
        if try store.recordSkipped(mailbox: mailboxID, uidValidity: report.uidValidity, uid: uid,
                                   size: Int64(clamping: size), reason: reason) {
            report.skipped += 1
            report.notices.append("UID \(uid) (\(size) bytes) skipped: \(reason)")
        }
        accounting.settle(uid, .skipped)
    }

    /// Messages asked for whose body did not arrive. With a `session`, one fresh `UID SEARCH`
    /// tells which the server still has: those are failed (kept, retried with backoff), the
    /// rest were expunged meanwhile and are dropped (logged). Without one (it broke), all are
    /// failed: the retry's search will tell.
    private func settle(_ failures: [UInt32: IMAPFetchFailure], session: IMAPSession?, retryRows: [UInt32: SeenRow],
                        uidValidity: UInt32, _ accounting: inout UIDAccounting, _ report: inout PollReport) throws {
        guard !failures.isEmpty else { return }
        let present: Set<UInt32>
        if let session {
            present = Set(try session.search("UID \(IMAPSequenceSet(Array(failures.keys)))"))
        } else {
            present = Set(failures.keys)
        }
        for (uid, failure) in failures.sorted(by: { $0.key < $1.key }) {
            if present.contains(uid) {
                try fail(uid, reason: failure.reason, uidValidity: uidValidity, &accounting, &report)
            } else {
                if let row = retryRows[uid] { try store.markGone(ids: [row.id], reason: "no longer on the server: \(failure.reason)") }
                report.dropped += 1
                report.notices.append("UID \(uid) is no longer on the server (expunged before its body arrived): \(failure.reason)")
                accounting.settle(uid, .dropped)
            }
        }
    }

    private func fail(_ uid: UInt32, reason: String, uidValidity: UInt32, _ accounting: inout UIDAccounting,
                      _ report: inout PollReport) throws {
        let state = try store.markFetchFailed(mailbox: mailboxID, uidValidity: uidValidity, uid: uid, error: reason,
                                              policy: pipeline.retry)
        report.failed += 1
        let outcome = state == .quarantined ? "quarantined after its last attempt" : "kept, to be fetched again"
        report.notices.append("UID \(uid) could not be fetched (\(outcome)): \(reason)")
        accounting.settle(uid, .failed)
    }

    /// The message whose response was being read when the session ended: too large (skipped
    /// once) or broken off (failed). Returns whether it could be told which message it was.
    private func settle(_ interrupted: IMAPFetchInterrupted, uidValidity: UInt32, _ accounting: inout UIDAccounting,
                        _ report: inout PollReport) throws -> Bool {
        guard let uid = interrupted.uid else { return false }
        if let claimed = interrupted.literalTooLarge {
            let reason = "the server sent \(claimed) bytes for it, more than max_message_size (\(alias.maxMessageSize) bytes): not downloaded"
            try skipTooLarge(uid, size: claimed, reason: reason, &accounting, &report)
        } else {
            try fail(uid, reason: "the connection ended while its body was arriving: \(interrupted.underlying.message)",
                     uidValidity: uidValidity, &accounting, &report)
        }
        return true
    }

    /// The first poll of a folder: `start` decides what counts as already handled.
    private func firstPollCandidates(_ session: IMAPSession, all: () throws -> [UInt32]) throws -> [UInt32] {
        let uidValidity = session.selected!.uidValidity
        switch mailbox.start {
        case .all:
            return try all()
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

/// The session was closed on purpose (a literal above `max_message_size` is never drained):
/// the poll goes on over a new one. `identified`: the message could be told and was
/// recorded skipped; when not, the next session fetches one message per command.
struct ReconnectForTheRest: Error, CustomStringConvertible {
    var identified: Bool
    var reason: MailSourceError

    var description: String { reason.description }
}
