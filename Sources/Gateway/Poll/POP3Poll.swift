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
    let store: Store
    let spool: Spool
    let batchMessages: Int
    let batchBytes: Int

    func run(into report: inout PollReport, secret: String) throws {
        let session = try POP3Session(endpoint: alias.endpoint, secret: secret)
        let mailbox = try store.mailboxID(
            host: alias.host, port: alias.port, user: alias.user, folder: "")
        let listing = try session.listing()
        let recorded = try store.recordedUIDLs(mailbox: mailbox)
        let firstPoll = recorded.isEmpty

        var toFetch: [POP3Entry] = []
        var unfinished: [POP3Entry] = []  // recorded earlier but the server never heard "done"
        var baseline: [String] = []
        for entry in listing {
            if let state = recorded[entry.uidl] {
                if state == .recorded { unfinished.append(entry) }
                continue
            }
            if firstPoll && alias.start == .new {
                baseline.append(entry.uidl)
            } else if entry.size > alias.maxMessageSize {
                try store.recordSkipped(mailbox: mailbox, uidValidity: nil, uid: nil,
                                        uidl: entry.uidl, size: entry.size,
                                        reason: "larger than max_message_size (\(alias.maxMessageSize) bytes)")
                report.skipped += 1
            } else {
                toFetch.append(entry)
            }
        }
        if !baseline.isEmpty { try store.recordBaseline(mailbox: mailbox, uidls: baseline) }

        let recorder = BatchRecorder(store: store, spool: spool)
        var fetchedEntries: [POP3Entry] = []
        var start = 0
        while start < toFetch.count {
            // A batch ends at batchMessages messages or batchBytes bytes, whichever comes first.
            var end = start, bytes = 0
            while end < toFetch.count && end - start < batchMessages && (bytes == 0 || bytes + toFetch[end].size <= batchBytes) {
                bytes += toFetch[end].size
                end += 1
            }
            let batch = Array(toFetch[start..<end])
            let byNumber = Dictionary(uniqueKeysWithValues: batch.map { ($0.number, $0) })
            try session.retrieve(batch.map(\.number)) { number, raw in
                guard let entry = byNumber[number] else { return }
                try recorder.add(raw, mailbox: mailbox, uidValidity: nil, uid: nil, uidl: entry.uidl)
            }
            report.fetched += try recorder.commit()
            fetchedEntries += batch
            start = end
        }

        let finished = unfinished + fetchedEntries
        switch alias.afterFetch {
        case .delete:
            if !finished.isEmpty { try session.delete(finished.map(\.number)) }
            try session.quit()
        default:
            try session.quit()
        }
        CrashPoint.reach(.acknowledged)
        try store.markDone(mailbox: mailbox, uidls: finished.map(\.uidl))
    }
}
