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
    /// Passwords and OAuth2 tokens (shares this poller's store).
    public let login: MailboxLogin

    /// Called after every durable batch with (alias, fetched so far, to fetch in this poll),
    /// for a progress line when a backlog is large.
    public var progress: (@Sendable (String, Int, Int) -> Void)? {
        get { pipeline.progress }
        set { pipeline.progress = newValue }
    }
    /// This process's name on mailbox leases (`host:pid:random`).
    public var leaseOwner = Store.makeLeaseOwner()
    /// A lease lasts this long unless renewed; a poll renews it every third of it.
    public var leaseTTL: TimeInterval = 60
    /// How long a poll waits for another process's lease on its mailbox before it skips.
    public var leaseWait: TimeInterval = 5
    /// Asked before each batch; true ends the poll after the batch in hand (graceful stop).
    public var shouldStop: @Sendable () -> Bool = { false }
    /// Logins `mailgate fetch` started before opening the store; a poll takes its alias's.
    public var earlyLogins: EarlyLogins?

    public init(config: Config) throws {
        self.config = config
        store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        spool = try Spool(directory: config.spoolPath, store: store)
        pipeline = BatchPipeline(store: store, spool: spool, router: MessageRouter(config: config))
        login = MailboxLogin(config: config, store: store)
    }

    public func poll(_ alias: AliasConfig) -> PollReport {
        poll(alias, session: nil)
    }

    /// Polls an IMAP alias through `session`, a logged-in session that stays open (the IDLE
    /// watcher's): no login, no logout; the lease is taken, renewed and released exactly as
    /// for any poll. Should the session break during the poll, the one retry logs in afresh.
    public func poll(_ alias: AliasConfig, session: IMAPSession?) -> PollReport {
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
            // One poll of a mailbox at a time across every process sharing the store.
            if let holder = try takeLease(mailbox: id) {
                report.busy = true
                report.error = "skipped: \(alias.mailboxDescription) is being polled by another mailgate process "
                    + "(\(holder.owner), lease until \(iso8601(holder.expires))); it will record what arrived"
                report.exitCode = 75
                report.elapsedMilliseconds = Int(Date().timeIntervalSince(started) * 1000)
                return report
            }
            let renewal = LeaseRenewal(store: store, mailbox: id, owner: leaseOwner, ttl: leaseTTL)
            defer {
                renewal.stop()
                try? store.releaseLease(mailbox: id, owner: leaseOwner)
            }
            do {
                try pollOnce(alias, mailbox, id, session: session, into: &report)
            } catch MailSourceError.temporary where !shouldStop() {
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
                          session: IMAPSession? = nil, into report: inout PollReport) throws {
        var pipeline = self.pipeline
        pipeline.shouldStop = shouldStop
        pipeline.retry = RetryPolicy(maxAttempts: alias.maxAttempts, backoff: alias.retryBackoff, maxBackoff: alias.backoffMax)
        if let session, mailbox.isIMAP {
            let before = session.roundTrips
            defer { report.roundTrips += session.roundTrips - before }
            do {
                try IMAPPoll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline).run(into: &report, session: session)
                return
            } catch let reconnect as ReconnectForTheRest {
                // The kept session was closed to skip a message: the rest over sessions of the poll's own.
                throw reconnect.reason
            }
        }
        if mailbox.isIMAP, let early = try earlyLogins?.take(alias.name) {
            try IMAPPoll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline)
                .run(into: &report, secret: early.secret, firstSession: early.session)
            return
        }
        // The secret is read at every connect: a password_command may hand out fresh tokens;
        // an OAuth2 token is refreshed when due, and once more if the server refuses it.
        try login.withSecret(for: alias) { secret in
            if mailbox.isIMAP {
                try IMAPPoll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline).run(into: &report, secret: secret)
            } else {
                try POP3Poll(alias: alias, mailbox: mailbox, mailboxID: id, pipeline: pipeline).run(into: &report, secret: secret)
            }
        }
    }

    /// Takes the mailbox's lease, waiting up to `leaseWait` for another holder to finish.
    /// Returns nil when it is ours, else the holder that kept it.
    private func takeLease(mailbox id: Int64) throws -> LeaseHolder? {
        let deadline = Date().addingTimeInterval(leaseWait)
        while true {
            guard let holder = try store.acquireLease(mailbox: id, owner: leaseOwner, ttl: leaseTTL,
                                                      ownerIsGone: Store.leaseOwnerIsGone) else { return nil }
            let now = Date()
            if now >= deadline { return holder }
            // Waiting for another process to release: its row is the only signal there is.
            Thread.sleep(forTimeInterval: min(0.25, deadline.timeIntervalSince(now)))
        }
    }

    /// `replay --quarantined`: polls each alias whose mailbox has messages due to be fetched
    /// again (their bodies never arrived), so they are fetched now over a session.
    public func pollFetchRetries(_ aliases: [AliasConfig]) -> [PollReport] {
        aliases.compactMap { alias in
            guard let mailbox = alias.mailbox,
                  let id = try? store.mailboxID(host: mailbox.host, port: mailbox.port, user: mailbox.user,
                                                folder: mailbox.isIMAP ? mailbox.folder : "INBOX"),
                  let due = try? store.fetchRetries(mailbox: id, dueBy: Date()), !due.isEmpty else { return nil }
            return poll(alias)
        }
    }

    /// Removes raw messages that have been done for longer than `keep_raw`, and poll history
    /// as old (the latest poll of each alias is always kept for `status`).
    public func cleanupSpool(now: Date = Date()) {
        let cutoff = now.addingTimeInterval(-config.keepRaw)
        _ = try? store.removeRaw(doneBefore: cutoff, from: spool)
        try? store.prunePolls(olderThan: cutoff)
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
