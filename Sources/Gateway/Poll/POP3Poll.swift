import Foundation
import MailSource
import MailStore
import Routing

/// One poll of a POP3 mailbox. Seen key: (mailbox, UIDL).
///
/// POP3 deletes only at QUIT, so the order is: record every new message batch by batch,
/// then DELE everything recorded-but-not-done (this poll's and any a crash left behind),
/// QUIT, and only after QUIT's +OK mark the rows done. A crash before QUIT deletes nothing
/// on the server; the next poll finds the rows recorded and deletes them then.
struct POP3Poll {
    let alias: AliasConfig
    let mailbox: AliasConfig.Mailbox
    let mailboxID: Int64
    let pipeline: BatchPipeline

    /// Reconnections one poll may make to get past messages longer than their LIST size said.
    static let maxReconnects = 16

    func run(into report: inout PollReport, secret: String) throws {
        var reconnects = 0
        while true {
            do {
                try runOnce(into: &report, secret: secret)
                return
            } catch is POP3MessageTooLarge where reconnects < Self.maxReconnects {
                reconnects += 1  // it was recorded skipped; the rest over a new session
            }
        }
    }

    private func runOnce(into report: inout PollReport, secret: String) throws {
        let session = try POP3Session(endpoint: mailbox.endpoint, secret: secret)
        let (listing, shared) = POP3Listing.distinct(try session.listing())
        for (uidl, count) in shared {
            report.notices.append("the server gives \(count) messages the same UIDL \"\(uidl)\" (RFC 1939 requires them unique): "
                                  + "they are told apart by their order in the maildrop")
        }
        let recorded = try pipeline.store.recordedUIDLs(mailbox: mailboxID)
        let firstPoll = recorded.isEmpty
        // Messages whose RETR failed before and are due again; a failed one no longer listed is gone.
        let retries = Dictionary(try pipeline.store.fetchRetries(mailbox: mailboxID, dueBy: Date())
            .compactMap { row in row.uidl.map { ($0, row) } }, uniquingKeysWith: { first, _ in first })

        var toFetch: [POP3Entry] = []
        var unfinished: [POP3Entry] = []  // recorded earlier but the server never heard "done"
        var baseline: [String] = []
        for entry in listing {
            if let state = recorded[entry.uidl] {
                if state == .recorded { unfinished.append(entry) }
                if retries[entry.uidl] == nil { continue }
            }
            if firstPoll && mailbox.start == .new {
                baseline.append(entry.uidl)
            } else if Int64(entry.size) > alias.maxMessageSize {
                if try pipeline.store.recordSkipped(mailbox: mailboxID, uidl: entry.uidl, size: Int64(entry.size),
                                                    reason: pipeline.tooLarge(alias)) {
                    report.skipped += 1
                    report.notices.append("message \(entry.uidl) (\(entry.size) bytes) skipped: \(pipeline.tooLarge(alias))")
                }
            } else {
                toFetch.append(entry)
            }
        }
        if !baseline.isEmpty { try pipeline.store.recordBaseline(mailbox: mailboxID, uidls: baseline) }
        // Recorded rows whose message is gone from the server were deleted by our QUIT just
        // before a crash (or by another client): they are stored, so they are done.
        let present = Set(listing.map(\.uidl))
        let gone = recorded.filter { $0.value == .recorded && !present.contains($0.key) }.map(\.key)
        if !gone.isEmpty { try pipeline.store.markDone(mailbox: mailboxID, uidls: gone) }
        let vanished = retries.filter { !present.contains($0.key) }
        try pipeline.store.markGone(ids: vanished.map(\.value.id), reason: "no longer on the server before it could be retrieved")
        for uidl in vanished.keys.sorted() {
            report.dropped += 1
            report.notices.append("message \(uidl) is no longer on the server (it failed before and was never retrieved)")
        }
        try pipeline.routePending(mailboxID: mailboxID, arrivedVia: alias.name, into: &report)

        var fetched: [POP3Entry] = []
        if !toFetch.isEmpty { BounceClassifier.prepareTablesInBackground() }  // ready before RETR answers
        for batch in pipeline.batches(toFetch, size: { $0.size }) {
            // Stopping: what is committed is deleted at QUIT below; the rest waits for the next poll.
            if pipeline.shouldStop() { report.interrupted = true; break }
            let byNumber = Dictionary(uniqueKeysWithValues: batch.map { ($0.number, $0) })
            let recorder = pipeline.recorder(mailboxID: mailboxID, arrivedVia: alias.name)
            var got: [POP3Entry] = []
            let refused: [Int: String]
            do {
                refused = try session.retrieve(batch.map(\.number), maxSize: Int(clamping: alias.maxMessageSize)) { number, raw in
                    guard let entry = byNumber[number] else { return }
                    try recorder.add(raw, uidValidity: nil, uid: nil, uidl: entry.uidl)
                    got.append(entry)
                }
            } catch let tooLarge as POP3MessageTooLarge {
                // Keep what arrived whole (deleted by the next session), skip the liar once.
                try recorder.commit(into: &report)
                if let entry = byNumber[tooLarge.number] {
                    let reason = "longer than max_message_size (\(alias.maxMessageSize) bytes) although LIST said \(entry.size): not downloaded"
                    if try pipeline.store.recordSkipped(mailbox: mailboxID, uidl: entry.uidl, size: Int64(entry.size), reason: reason) {
                        report.skipped += 1
                        report.notices.append("message \(entry.uidl) skipped: \(reason)")
                    }
                }
                throw tooLarge
            }
            try recorder.commit(into: &report)
            // A listed message the server would not hand over is failed, kept and retried: never forgotten.
            for (number, reason) in refused.sorted(by: { $0.key < $1.key }) {
                guard let entry = byNumber[number] else { continue }
                let state = try pipeline.store.markFetchFailed(mailbox: mailboxID, uidl: entry.uidl, size: Int64(entry.size),
                                                               error: reason, policy: pipeline.retry)
                report.failed += 1
                let outcome = state == .quarantined ? "quarantined after its last attempt" : "kept, to be retrieved again"
                report.notices.append("message \(entry.uidl) could not be retrieved (\(outcome)): \(reason)")
            }
            pipeline.progress?(alias.name, report.fetched, toFetch.count)
            fetched += got
        }

        let finished = unfinished + fetched
        if mailbox.afterFetch == .delete && !finished.isEmpty { try session.delete(finished.map(\.number)) }
        try session.quit()
        CrashPoint.reach(.acknowledged)
        try pipeline.store.markDone(mailbox: mailboxID, uidls: finished.map(\.uidl))
    }
}
