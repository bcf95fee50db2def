import Foundation
import Logging
import MailSource
#if canImport(Glibc)
import Glibc
#endif

/// Keeps one IMAP session per alias in IDLE (RFC 2177) on its own thread, and polls the alias
/// THROUGH that session while it is up, so an IDLE alias costs one login, not one per poll.
///
/// The session SELECTs the folder (EXAMINEs it when `after_fetch = keep`), as a poll would, and
/// waits in IDLE for at most `min(idle_refresh, time until the alias's next scheduled poll)`.
/// When IDLE reports new mail, when the scheduled (safety) poll comes due, or when the
/// scheduler wakes it (SIGUSR1, a backoff ended), it leaves IDLE (DONE), asks the scheduler
/// for the poll (`ServiceScheduler.watcherTurn`), runs it through the session with the
/// `Poller` (the mailbox lease is taken, renewed and released as for any poll: it is not held
/// while idling), hands the result to the scheduler (schedule, backoff, status and the one log
/// line per poll are those of any poll), re-SELECTs when the poll may have left the folder
/// changed (and polls again if mail arrived meanwhile), then re-enters IDLE.
///
/// While the session is up the scheduler leaves the alias's polls to the watcher; while it is
/// down (connecting, reconnecting, or a server without IDLE) the workers poll it with a login
/// of their own as before. A dropped session reconnects with exponential backoff (2 s doubling
/// up to `backoff_max`), running `password_command` again for a fresh token, and polls to
/// catch up once it is back. A graceful stop leaves IDLE (or lets the poll in hand finish its
/// batch) and logs out. TCP keepalive comes from `CurlConnection`.
final class IdleWatcher: @unchecked Sendable {
    let alias: AliasConfig
    private let logger: Logger
    private weak var scheduler: ServiceScheduler?
    private let condition = NSCondition()
    private var stopped = false
    private var done = false
    private var connection: CurlConnection?
    private var stream: WakeableStream?
    /// A poll handed out by the scheduler is running (a stop waits for its batch).
    private var polling = false
    /// The password, or the OAuth2 token (the session reconnects before that expires).
    private let login: MailboxLogin

    init(alias: AliasConfig, config: Config, logger: Logger, scheduler: ServiceScheduler) {
        self.alias = alias
        self.logger = logger
        self.scheduler = scheduler
        login = MailboxLogin(config: config)
        login.onWait = { [logger, name = alias.name] in logger.info("\($0)", metadata: ["alias": "\(name)"]) }
    }

    func start() {
        let thread = Thread { [self] in
            run()
            condition.lock()
            done = true
            connection = nil
            stream = nil
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "mailgate-idle-\(alias.name)"
        thread.start()
    }

    /// Leaves IDLE early (from any thread) so the watcher asks the scheduler again; a wake
    /// during a poll is seen when the poll is done.
    func wake() {
        condition.lock()
        stream?.wake()
        condition.unlock()
    }

    /// Ends the session gracefully (from any thread): IDLE is left with DONE, a poll in hand
    /// finishes its batch, then LOGOUT. Never blocks.
    func stop() {
        condition.lock()
        stopped = true
        stream?.wake()
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the session at once by shutting its socket down (after a graceful stop overran).
    func abort() {
        condition.lock()
        stopped = true
        connection?.interrupt()
        condition.broadcast()
        condition.unlock()
    }

    /// Set by the scheduler when it hands out a poll (so a stop that follows knows to wait for
    /// it), cleared by the watcher when the poll is done.
    func setPolling(_ value: Bool) {
        condition.lock()
        polling = value
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the thread to end: until `pollDeadline` while a poll is running (it finishes
    /// its batch), else `seconds` at most (leaving IDLE and LOGOUT take a moment; a connect in
    /// progress cannot be interrupted and ends within the connect timeout). Returns whether it
    /// ended.
    @discardableResult
    func join(pollsUntil pollDeadline: Date, otherwiseWithin seconds: TimeInterval) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let quick = Date().addingTimeInterval(seconds)
        while !done {
            let until = polling ? pollDeadline : quick
            if Date() >= until { break }
            _ = condition.wait(until: until)
        }
        return done
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func run() {
        guard let mailbox = alias.mailbox else { return }
        let endpoint = mailbox.endpoint
        let readOnly = mailbox.afterFetch == .keep
        var failures = 0
        var renewed = false  // logged in again for a fresh token: mail may have come meanwhile
        var meta: Logger.Metadata { ["alias": "\(alias.name)"] }
        while !isStopped {
            var wasUp = false
            do {
                // A fresh secret at every connect; an OAuth2 token refused once is refreshed and tried again.
                var renewAt: Date?  // OAuth2: log in again before the token expires
                let connection = try login.withCredential(for: alias) { credential in
                    renewAt = credential.renewAt
                    return try CurlConnection(endpoint: endpoint, secret: credential.secret)
                }
                let stream: WakeableStream
                do { stream = try WakeableStream(connection) } catch { connection.close(); throw error }
                defer {
                    condition.lock()
                    self.connection = nil
                    self.stream = nil
                    condition.unlock()
                    connection.close()
                }
                condition.lock()
                if stopped { condition.unlock(); return }
                self.connection = connection
                self.stream = stream
                condition.unlock()
                let session = try IMAPSession(stream: stream, greeting: connection.greeting,
                                              address: endpoint.address, folder: mailbox.folder)
                guard session.hasCapability("IDLE") else {
                    logger.notice("the server does not offer IDLE: polling every interval only", metadata: meta)
                    session.logout()
                    return
                }
                _ = try session.select(mailbox.folder, readOnly: readOnly)
                guard let scheduler else { return }
                wasUp = true
                scheduler.idleChanged(self, up: true)
                logger.info("IDLE session up", metadata: meta)
                if failures > 0 || renewed { scheduler.trigger(alias.name) }  // mail may have arrived while the session was down
                failures = 0
                renewed = false
                while !isStopped {
                    if let renewAt, Date() >= renewAt { break }  // log in again before the token expires
                    stream.clearWake()  // before asking: a wake after this is seen by the next IDLE
                    switch scheduler.watcherTurn(self) {
                    case let .poll(alias, config):
                        let report = scheduler.watcherPoll(alias, config: config, session: session)
                        setPolling(false)
                        if isStopped { break }
                        try afterPoll(report, session: session, folder: mailbox.folder, readOnly: readOnly)
                    case let .wait(seconds):
                        var wait = min(alias.idleRefresh, max(seconds, 0.05))
                        if let renewAt { wait = min(wait, max(renewAt.timeIntervalSinceNow, 0.05)) }
                        if try session.idle(for: wait) {
                            logger.debug("IDLE: new mail", metadata: meta)
                            scheduler.trigger(alias.name)
                        }
                    }
                }
                scheduler.idleChanged(self, up: false)
                session.logout()
                if isStopped { return }
                logger.info("IDLE session logs in again with a fresh OAuth2 token", metadata: meta)
                renewed = true
                continue
            } catch {
                if wasUp { scheduler?.idleChanged(self, up: false) }
                if isStopped { return }
                failures += 1
                let wait = min(alias.backoffMax, 2 * pow(2, Double(min(failures - 1, 20))))
                var m = meta
                m["error"] = "\(error)"
                m["retry_in_s"] = "\(Int(wait))"
                if failures == 1 {
                    logger.warning("IDLE session lost; reconnecting", metadata: m)
                } else {
                    logger.debug("IDLE reconnect failed", metadata: m)
                }
                condition.lock()
                let deadline = Date().addingTimeInterval(wait)
                while !stopped && Date() < deadline { _ = condition.wait(until: deadline) }
                condition.unlock()
            }
        }
    }

    /// After a poll through the session: IDLE must start on the folder, selected as before,
    /// and must not miss mail that arrived during the poll (its EXISTS was consumed by the
    /// poll's commands, so IDLE would not report it). A quiet poll (nothing fetched, no new
    /// EXISTS) leaves the session as it was; otherwise SELECT again and poll once more if
    /// UIDNEXT moved past what the poll saw.
    private func afterPoll(_ report: PollReport, session: IMAPSession, folder: String, readOnly: Bool) throws {
        let succeeded = report.error == nil && !report.busy && !report.interrupted
        let quiet = succeeded && report.fetched == 0 && report.skipped == 0 && report.failed == 0
            && session.selected?.name == folder && report.existsAtSelect != nil
            && session.selected?.exists == report.existsAtSelect
        if quiet || (report.busy && session.selected?.name == folder) { return }
        let fresh = try session.select(folder, readOnly: readOnly)
        if succeeded, let seen = report.uidNext, let now = fresh.uidNext, now != seen {
            logger.debug("new mail during the poll", metadata: ["alias": "\(alias.name)"])
            scheduler?.trigger(alias.name)
        }
    }
}

/// The watcher's connection as a `ByteStream` whose timed waits (IDLE) another thread can cut
/// short with `wake()`: the wait then ends as if its time had passed, so IDLE ends with DONE
/// and the session goes on. Waits without a limit (command answers) are not affected.
final class WakeableStream: ByteStream, @unchecked Sendable {
    let connection: CurlConnection
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(_ connection: CurlConnection) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw MailSourceError.temporary("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.connection = connection
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// From any thread: the current or next timed wait returns at once.
    func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// Forgets the wakes so far.
    func clearWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    func send(_ bytes: UnsafeRawBufferPointer) throws {
        try connection.send(bytes)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int {
        guard let seconds else { return try connection.receive(into: buffer, waitingAtMost: nil) }
        let deadline = ProcessInfo.processInfo.systemUptime + seconds
        while true {
            // What libcurl already holds (TLS) or the socket has, without waiting.
            let count = try connection.receive(into: buffer, waitingAtMost: 0)
            if count > 0 { return count }
            let remaining = deadline - ProcessInfo.processInfo.systemUptime
            if remaining <= 0 { return 0 }
            var fds = [pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 2, Int32(max(1, min(remaining * 1000, Double(Int32.max)).rounded(.up))))
            if r < 0 {
                if errno == EINTR { continue }
                throw MailSourceError.temporary("waiting for \(connection.endpoint.address) failed: \(String(cString: strerror(errno)))")
            }
            if fds[1].revents != 0 { return 0 }  // woken
        }
    }
}
