import Foundation
import MailSource
import MailStore

/// Runs one poll of an alias mailbox end to end and turns every failure into a report with
/// an admin-readable error and a sysexits code; it never throws.
public final class Poller {
    public let config: Config
    let store: Store
    let spool: Spool
    var pipeline: BatchPipeline

    /// Called after every durable batch with (alias, fetched so far, to fetch in this poll),
    /// for a progress line when a backlog is large.
    public var progress: (@Sendable (String, Int, Int) -> Void)? {
        get { pipeline.progress }
        set { pipeline.progress = newValue }
    }

    public init(config: Config) throws {
        self.config = config
        store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        spool = try Spool(directory: config.spoolPath)
        pipeline = BatchPipeline(store: store, spool: spool, router: MessageRouter(config: config))
    }

    public func poll(_ alias: AliasConfig) -> PollReport {
        var report = PollReport(alias: alias.name, mailbox: alias.mailboxDescription)
        let started = Date()
        var mailboxID: Int64?
        do {
            guard let mailbox = alias.mailbox else {
                throw ConfigError(file: alias.file, alias: alias.name, key: "url", message: "a routing-only alias has no mailbox to poll")
            }
            let id = try store.mailboxID(host: mailbox.host, port: mailbox.port, user: mailbox.user,
                                         folder: mailbox.isIMAP ? mailbox.folder : "INBOX")
            mailboxID = id
            do {
                try pollOnce(alias, mailbox, id, into: &report)
            } catch MailSourceError.temporary {
                // A dropped connection is retried once (the protocol is idempotent: what was
                // committed is re-acknowledged, not refetched); then the poll fails cleanly.
                try pollOnce(alias, mailbox, id, into: &report)
            }
        } catch {
            report.error = String(describing: error)
            report.exitCode = Self.exitCode(of: error)
        }
        let finished = Date()
        report.elapsedMilliseconds = Int(finished.timeIntervalSince(started) * 1000)
        try? store.recordPoll(alias: alias.name, mailbox: mailboxID, started: started, finished: finished,
                              fetched: report.fetched, skipped: report.skipped, failed: report.failed,
                              error: report.error, exitCode: report.exitCode,
                              nextPoll: finished.addingTimeInterval(alias.interval))
        return report
    }

    private func pollOnce(_ alias: AliasConfig, _ mailbox: AliasConfig.Mailbox, _ id: Int64,
                          into report: inout PollReport) throws {
        // The secret is read at every connect: a password_command may hand out fresh tokens.
        let secret = try alias.resolveSecret()
        if mailbox.isIMAP {
            try IMAPPoll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline).run(into: &report, secret: secret)
        } else {
            try POP3Poll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline).run(into: &report, secret: secret)
        }
    }

    /// Removes raw messages that have been done for longer than `keep_raw`.
    public func cleanupSpool(now: Date = Date()) {
        _ = try? store.removeRaw(doneBefore: now.addingTimeInterval(-config.keepRaw), from: spool)
    }

    /// The sysexits code of a failure: each module's error knows its own.
    public static func exitCode(of error: Error) -> Int32 {
        switch error {
        case let e as MailSourceError: return e.exitCode
        case let e as ConfigError: return e.exitCode
        case let e as StoreError: return e.exitCode
        default: return 75
        }
    }
}
