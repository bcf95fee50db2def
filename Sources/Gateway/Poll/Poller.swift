import Foundation
import MailSource
import MailStore

/// Runs one poll of an alias mailbox end to end and turns every failure into a report line
/// with an admin-readable error and a sysexits code; it never throws.
public final class Poller {
    public let config: Config
    let store: Store
    let spool: Spool
    /// A batch is made durable (fsync + one transaction) every this many messages or bytes.
    var batchMessages = 500
    var batchBytes = 32 * 1_000_000

    public init(config: Config) throws {
        self.config = config
        store = try Store(path: config.storePath)
        spool = try Spool(directory: config.spoolPath)
    }

    public func poll(_ alias: AliasConfig) -> PollReport {
        var report = PollReport(alias: alias.name, mailbox: alias.mailboxDescription)
        let started = Date()
        do {
            let secret = try alias.resolveSecret()
            switch alias.scheme {
            case .pop3, .pop3s:
                try POP3Poll(alias: alias, store: store, spool: spool,
                             batchMessages: batchMessages, batchBytes: batchBytes).run(into: &report, secret: secret)
            case .imap, .imaps:
                try IMAPPoll(alias: alias, store: store, spool: spool,
                             batchMessages: batchMessages, batchBytes: batchBytes).run(into: &report, secret: secret)
            }
        } catch {
            report.error = String(describing: error)
            report.exitCode = Self.exitCode(of: error)
        }
        report.elapsedMilliseconds = Int(Date().timeIntervalSince(started) * 1000)
        let nextPoll = Date().addingTimeInterval(TimeInterval(alias.interval))
        try? store.recordPoll(alias: alias.name, mailboxDescription: report.mailbox, started: started,
                              finished: Date(), fetched: report.fetched, skipped: report.skipped,
                              failed: report.failed, error: report.error, exitCode: report.exitCode,
                              nextPoll: nextPoll)
        return report
    }

    /// Removes raw messages that have been done for longer than `keep_raw`.
    public func cleanupSpool(now: Date = Date()) {
        guard let cutoff = config.keepRaw.map({ now.addingTimeInterval(-TimeInterval($0)) }) else { return }
        guard let expired = try? store.doneRawOlderThan(cutoff) else { return }
        for digest in expired { try? spool.remove(sha256: digest) }
        try? store.forgetRaw(expired)
    }

    public static func exitCode(of error: Error) -> Int32 {
        switch error {
        case let e as MailSourceError: return e.exitCode
        case let e as ConfigError: return e.exitCode
        case let e as StoreError: return e.exitCode
        default: return 75
        }
    }
}
