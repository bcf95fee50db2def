import Foundation
import MailSource
import MailStore

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

    func run(into report: inout PollReport, secret: String) throws {
        let session = try POP3Session(endpoint: mailbox.endpoint, secret: secret)
        let listing = try session.listing()
        let recorded = try pipeline.store.recordedUIDLs(mailbox: mailboxID)
        let firstPoll = recorded.isEmpty

        var toFetch: [POP3Entry] = []
        var unfinished: [POP3Entry] = []  // recorded earlier but the server never heard "done"
        var baseline: [String] = []
        for entry in listing {
            if let state = recorded[entry.uidl] {
                if state == .recorded { unfinished.append(entry) }
                continue
            }
            if firstPoll && mailbox.start == .new {
                baseline.append(entry.uidl)
            } else if Int64(entry.size) > alias.maxMessageSize {
                if try pipeline.store.recordSkipped(mailbox: mailboxID, uidl: entry.uidl, size: Int64(entry.size),
                                                    reason: pipeline.tooLarge(alias)) {
                    report.skipped += 1
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
        try pipeline.routePending(mailboxID: mailboxID, arrivedVia: alias.name, into: &report)

        var fetched: [POP3Entry] = []
        for batch in pipeline.batches(toFetch, size: { $0.size }) {
            // Stopping: what is committed is deleted at QUIT below; the rest waits for the next poll.
            if pipeline.shouldStop() { report.interrupted = true; break }
            let byNumber = Dictionary(uniqueKeysWithValues: batch.map { ($0.number, $0) })
            let recorder = pipeline.recorder(mailboxID: mailboxID, arrivedVia: alias.name)
            try session.retrieve(batch.map(\.number)) { number, raw in
                guard let entry = byNumber[number] else { return }
                try recorder.add(raw, uidValidity: nil, uid: nil, uidl: entry.uidl)
            }
            try recorder.commit(into: &report)
            pipeline.progress?(alias.name, report.fetched, toFetch.count)
            fetched += batch
        }

        let finished = unfinished + fetched
        if mailbox.afterFetch == .delete && !finished.isEmpty { try session.delete(finished.map(\.number)) }
        try session.quit()
        CrashPoint.reach(.acknowledged)
        try pipeline.store.markDone(mailbox: mailboxID, uidls: finished.map(\.uidl))
    }
}
