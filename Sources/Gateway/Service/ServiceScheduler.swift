import Foundation
import Logging
import MailSource
import MailStore
import Routing

/// The heart of `mailgate run`: polls every alias with a url on its own `AliasSchedule`,
/// wakes an alias early when its IDLE watcher sees new mail, and stops gracefully.
///
/// Threads, not the cooperative pool: one scheduler thread decides what is due; a bounded
/// pool of worker threads runs the polls (libcurl, SQLite, iconv); one thread per IMAP alias
/// keeps an IDLE session (`IdleWatcher`) and, while that session is up, runs the alias's
/// polls through it (the scheduler thread then leaves the alias to it); one thread writes
/// the service state `status` reads. The async world (`MailgateService`) only starts it and
/// awaits `stopped()`.
public final class ServiceScheduler: @unchecked Sendable {
    public struct Options: Sendable {
        /// First polls are spread over at most this many seconds.
        public var jitter: TimeInterval = 60
        /// Polls running at once at most.
        public var workers = 4
        /// Use IMAP IDLE where the server offers it and the alias does not say `idle = false`.
        public var idle = true
        /// A graceful stop that takes longer than this gives up the batch in hand (it is
        /// fetched again at the next start: nothing is acknowledged before it is committed).
        public var stopGrace: TimeInterval = 20
        /// How long a poll waits for another process's lease on its mailbox.
        public var leaseWait: TimeInterval = 5
        /// Failing aliases are logged at error level this often.
        public var failingLogInterval: TimeInterval = 3600

        public init() {}
    }

    public let options: Options
    public let owner: String
    private let logger: Logger
    private let lock = NSCondition()
    private let stateWriter: ServiceStateWriter

    // Everything below is guarded by `lock`.
    private var config: Config
    private var aliases: [String: AliasConfig] = [:]
    private var order: [String] = []
    private var schedules: [String: AliasSchedule] = [:]
    private var queue: [String] = []
    private var running: Set<String> = []
    private var triggeredWhileRunning: Set<String> = []
    private var idleUp: [String: Bool] = [:]
    /// Aliases whose IDLE session is up: their watcher runs their polls, not the workers.
    private var owned: Set<String> = []
    private var lastError: [String: String] = [:]
    private var lastFailingLog: [String: Date] = [:]
    private var watchers: [String: IdleWatcher] = [:]
    private var reloadPath: String?
    private var stopping = false
    private var started = false
    private var threadsAlive = 0
    private var finished = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var lastCleanup = Date.distantPast
    private var lastHeartbeat = Date()
    /// The service state rows are rewritten this often even when nothing changes.
    public static let heartbeat: TimeInterval = 60
    private var rng = SystemRandomNumberGenerator()

    public init(config: Config, options: Options = Options(), logger: Logger) throws {
        self.config = config
        self.options = options
        self.logger = logger
        owner = Store.makeLeaseOwner()
        stateWriter = try ServiceStateWriter(config: config, owner: owner, logger: logger)
    }

    /// The aliases the service polls (those with a url).
    public var polledAliases: [String] {
        lock.lock()
        defer { lock.unlock() }
        return order
    }

    /// Starts the scheduler, the workers and the IDLE watchers (once).
    public func start() {
        lock.lock()
        guard !started else { lock.unlock(); return }
        started = true
        apply(config, now: Date(), first: true)
        let workers = max(1, min(options.workers, max(1, order.count)))
        threadsAlive = workers + 1
        lock.unlock()

        spawn("mailgate-scheduler") { [self] in schedulerLoop() }
        for n in 0..<workers { spawn("mailgate-worker-\(n)") { [self] in workerLoop() } }
        logger.info("mailgate run: started", metadata: [
            "aliases": "\(order.joined(separator: ","))", "workers": "\(workers)", "store": "\(config.storePath)"])
    }

    /// SIGUSR1: every alias is due now.
    public func pollNow() {
        lock.lock()
        let now = Date()
        for name in order {
            schedules[name]?.pollNow(now)
            if running.contains(name) { triggeredWhileRunning.insert(name) }
            if owned.contains(name) { watchers[name]?.wake() }
        }
        lock.broadcast()
        lock.unlock()
        logger.info("polling every alias now (SIGUSR1)")
    }

    /// New mail announced by IDLE: the alias is due now (again after a poll in hand).
    public func trigger(_ alias: String) {
        lock.lock()
        if running.contains(alias) || queue.contains(alias) {
            triggeredWhileRunning.insert(alias)
        } else {
            schedules[alias]?.pollNow(Date())
        }
        lock.broadcast()
        lock.unlock()
    }

    /// SIGHUP: reads the file again on the scheduler thread; a broken file keeps the old config.
    public func reload(path: String) {
        lock.lock()
        reloadPath = path
        lock.broadcast()
        lock.unlock()
    }

    /// SIGTERM/SIGINT: no new polls; polls in hand finish their batch, commit, acknowledge and
    /// log out; IDLE sessions end. `stopped()` returns when all is done (or after `stopGrace`).
    public func stop() {
        lock.lock()
        guard !stopping else { lock.unlock(); return }
        stopping = true
        let inHand = running.sorted()
        let ws = Array(watchers.values)
        watchers = [:]
        lock.broadcast()
        let wasStarted = started
        lock.unlock()
        logger.info("stopping", metadata: inHand.isEmpty ? [:] : ["finishing": "\(inHand.joined(separator: ","))"])
        for watcher in ws { watcher.stop() }
        guard wasStarted else { finish(); return }
        let grace = options.stopGrace
        spawn("mailgate-stop") { [self] in
            lock.lock()
            let deadline = Date().addingTimeInterval(grace)
            while threadsAlive > 0 && Date() < deadline { _ = lock.wait(until: deadline) }
            lock.unlock()
            // Watchers leave IDLE, or finish the batch of the poll in hand, and log out.
            var lateWatchers: [IdleWatcher] = []
            for watcher in ws where !watcher.join(pollsUntil: deadline, otherwiseWithin: 2) { lateWatchers.append(watcher) }
            lock.lock()
            let late = threadsAlive > 0 || !lateWatchers.isEmpty ? running.sorted() : []
            lock.unlock()
            if !late.isEmpty {
                logger.error("stop took longer than \(Int(grace)) s: leaving the batch in hand uncommitted; it is fetched again at the next start",
                             metadata: ["aliases": "\(late.joined(separator: ","))"])
            }
            for watcher in lateWatchers { watcher.abort() }
            for watcher in lateWatchers { watcher.join(pollsUntil: Date().addingTimeInterval(2), otherwiseWithin: 0.2) }
            finish()
        }
    }

    /// Waits (without blocking a cooperative thread) until the service has stopped.
    public func stopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if finished {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Blocks the calling thread until the service has stopped (for tests and plain threads).
    public func waitUntilStopped() {
        lock.lock()
        while !finished { lock.wait() }
        lock.unlock()
    }

    private func finish() {
        stateWriter.close()
        lock.lock()
        finished = true
        let toResume = waiters
        waiters = []
        lock.broadcast()
        lock.unlock()
        logger.info("stopped")
        for continuation in toResume { continuation.resume() }
    }

    // MARK: - Threads

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    private func schedulerLoop() {
        lock.lock()
        while !stopping {
            if let path = reloadPath {
                reloadPath = nil
                lock.unlock()
                let loaded = Result { () throws(ConfigError) -> Config in try Config.load(path: path) }
                lock.lock()
                switch loaded {
                case .success(let new):
                    for warning in new.warnings { logger.warning("\(warning)") }
                    apply(new, now: Date(), first: false)
                    logger.info("configuration reloaded (SIGHUP)", metadata: ["aliases": "\(order.joined(separator: ","))"])
                case .failure(let error):
                    logger.error("configuration not reloaded, keeping the one in use: \(error)")
                }
                continue
            }
            let now = Date()
            var woke = false
            for name in order where schedules[name]?.isDue(at: now) == true && !running.contains(name) && !owned.contains(name) {
                schedules[name]!.pollStarted()
                running.insert(name)
                queue.append(name)
                publish(name)
                woke = true
            }
            if woke { lock.broadcast() }
            // A heartbeat: `status` trusts a row only while it is fresh (a killed service's
            // rows go stale instead of claiming an IDLE session forever).
            if now.timeIntervalSince(lastHeartbeat) >= Self.heartbeat {
                lastHeartbeat = now
                for name in order { publish(name) }
            }
            let next = order.filter { !running.contains($0) && !owned.contains($0) }.compactMap { schedules[$0]?.nextPoll }.min()
                ?? now.addingTimeInterval(3600)
            if next > now { _ = lock.wait(until: min(next, lastHeartbeat.addingTimeInterval(Self.heartbeat))) }
        }
        threadsAlive -= 1
        lock.broadcast()
        lock.unlock()
    }

    private func workerLoop() {
        lock.lock()
        while true {
            while queue.isEmpty && !stopping { lock.wait() }
            if stopping { break }
            let name = queue.removeFirst()
            guard let alias = aliases[name] else { running.remove(name); continue }
            let config = self.config
            lock.unlock()
            let report = poll(alias, config: config)
            lock.lock()
            completed(name, alias: alias, report: report)
        }
        threadsAlive -= 1
        lock.broadcast()
        lock.unlock()
    }

    /// One poll on a worker (or watcher) thread, through a fresh `Poller` (its own store
    /// connection); through `session` when the alias's IDLE watcher runs it.
    private func poll(_ alias: AliasConfig, config: Config, session: IMAPSession? = nil) -> PollReport {
        let poller: Poller
        do { poller = try Poller(config: config) } catch {
            var report = PollReport(alias: alias.name, mailbox: alias.mailboxDescription)
            report.error = String(describing: error)
            report.exitCode = Poller.exitCode(of: error)
            return report
        }
        poller.leaseOwner = owner
        poller.leaseWait = options.leaseWait
        poller.shouldStop = { [weak self] in self?.isStopping ?? true }
        let report = poller.poll(alias, session: session)
        if Date().timeIntervalSince(lastCleanupDate()) > 3600 {
            poller.cleanupSpool()
            setLastCleanup(Date())
        }
        return report
    }

    // MARK: - The IDLE watchers' side (called on their threads)

    enum WatcherTurn {
        /// Poll now through the watcher's session, then hand the report to `watcherPoll`.
        case poll(AliasConfig, Config)
        /// Nothing due: IDLE for at most this long (a wake may end it sooner).
        case wait(TimeInterval)
    }

    /// Asked by a watcher whose session is up, between IDLEs: is the alias's poll due? If so
    /// it is started (state `polling`, as when a worker takes it) and the watcher runs it.
    func watcherTurn(_ watcher: IdleWatcher) -> WatcherTurn {
        lock.lock()
        defer { lock.unlock() }
        let name = watcher.alias.name
        let now = Date()
        guard !stopping, watchers[name] === watcher, owned.contains(name),
              let alias = aliases[name], var schedule = schedules[name] else { return .wait(watcher.alias.idleRefresh) }
        // A worker's poll begun before the session came up: its completion wakes the watcher.
        if running.contains(name) { return .wait(alias.idleRefresh) }
        guard schedule.isDue(at: now) else { return .wait(schedule.nextPoll.timeIntervalSince(now)) }
        schedule.pollStarted()
        schedules[name] = schedule
        running.insert(name)
        publish(name)
        watcher.setPolling(true)  // under the lock: a stop() after this waits for the poll
        return .poll(alias, config)
    }

    /// Runs a poll `watcherTurn` handed out through the watcher's session and records it
    /// exactly as a worker's poll (schedule, backoff, status, one log line).
    func watcherPoll(_ alias: AliasConfig, config: Config, session: IMAPSession) -> PollReport {
        let report = poll(alias, config: config, session: session)
        lock.lock()
        completed(alias.name, alias: alias, report: report, byWatcher: true)
        lock.unlock()
        return report
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func lastCleanupDate() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return lastCleanup
    }

    private func setLastCleanup(_ date: Date) {
        lock.lock()
        lastCleanup = date
        lock.unlock()
    }

    // MARK: - Decisions (called with `lock` held)

    /// A poll finished: update the schedule, log once per change of state, publish.
    private func completed(_ name: String, alias: AliasConfig, report: PollReport, byWatcher: Bool = false) {
        running.remove(name)
        defer {
            lock.broadcast()
            // A worker's poll of an alias whose session came up meanwhile: the watcher takes over.
            if !byWatcher && owned.contains(name) { watchers[name]?.wake() }
        }
        guard aliases[name] != nil, var schedule = schedules[name] else { return }
        let now = Date()
        var meta: Logger.Metadata = ["alias": "\(name)"]
        if report.busy {
            schedule.pollSkipped(at: now)
            logger.notice("\(report.error ?? "skipped")", metadata: meta)
        } else if let error = report.error {
            let before = schedule.state
            let changed = schedule.pollFailed(at: now)
            lastError[name] = error
            let retry = Int(schedule.nextPoll.timeIntervalSince(now).rounded())
            meta["error"] = "\(error)"
            meta["exit"] = "\(report.exitCode)"
            meta["retry_in_s"] = "\(retry)"
            if schedule.state == .failing {
                let last = lastFailingLog[name] ?? .distantPast
                if changed || now.timeIntervalSince(last) >= options.failingLogInterval {
                    lastFailingLog[name] = now
                    logger.error("failing for \(Int(now.timeIntervalSince(schedule.failingSince ?? now) / 3600)) h; still retrying",
                                 metadata: meta)
                }
            } else if changed || before == .idle {
                logger.warning("poll failed; backing off", metadata: meta)
            } else {
                logger.debug("poll failed again", metadata: meta)
            }
        } else {
            let changed = schedule.pollSucceeded(at: now)
            if changed { logger.notice("recovered", metadata: ["alias": "\(name)"]) }
            lastError[name] = nil
            lastFailingLog[name] = nil
        }
        for notice in report.notices { logger.warning("\(notice)", metadata: ["alias": "\(name)"]) }
        if !report.busy && report.error == nil {
            var line: Logger.Metadata = ["alias": "\(name)", "fetched": "\(report.fetched)"]
            for (kind, count) in report.routes where count > 0 { line[kind] = "\(count)" }
            if report.skipped > 0 { line["skipped"] = "\(report.skipped)" }
            if report.failed > 0 { line["failed"] = "\(report.failed)" }
            if report.dropped > 0 { line["dropped"] = "\(report.dropped)" }
            if report.interrupted { line["interrupted"] = "true" }
            line["ms"] = "\(report.elapsedMilliseconds)"
            logger.info("", metadata: line)
        }
        if triggeredWhileRunning.remove(name) != nil && !stopping { schedule.pollNow(now) }
        schedules[name] = schedule
        publish(name)
    }

    /// Installs a configuration: unchanged aliases keep their schedule and IDLE session; new
    /// ones get a jittered first poll; removed ones stop.
    private func apply(_ new: Config, now: Date, first: Bool) {
        let old = aliases
        config = new
        let polled = new.aliases.filter { $0.hasMailbox }
        aliases = Dictionary(uniqueKeysWithValues: polled.map { ($0.name, $0) })
        order = polled.map(\.name)
        for alias in polled where old[alias.name] != alias || schedules[alias.name] == nil {
            schedules[alias.name] = AliasSchedule(policy: .init(alias: alias, jitter: options.jitter), now: now, random: &rng)
            if running.contains(alias.name) { schedules[alias.name]!.pollStarted() }
        }
        for name in schedules.keys where aliases[name] == nil {
            schedules[name] = nil
            idleUp[name] = nil
            queue.removeAll { $0 == name }
        }
        // IDLE watchers: restart those whose alias changed, stop removed ones, start new ones.
        var stale: [IdleWatcher] = []
        for (name, watcher) in watchers where aliases[name] == nil || old[name] != aliases[name] {
            stale.append(watcher)
            watchers[name] = nil
            idleUp[name] = false
            owned.remove(name)
        }
        for alias in polled where watchers[alias.name] == nil && wantsIdle(alias) {
            let watcher = IdleWatcher(alias: alias, logger: logger, scheduler: self)
            watchers[alias.name] = watcher
            watcher.start()
        }
        for watcher in stale { watcher.stop() }  // only wakes its thread; never blocks
        stateWriter.forget(keeping: order)
        for name in order { publish(name) }
        lock.broadcast()
    }

    private func wantsIdle(_ alias: AliasConfig) -> Bool {
        guard options.idle, let mailbox = alias.mailbox, mailbox.isIMAP else { return false }
        return alias.routing.idle != false
    }

    /// A watcher's session came up (it now runs the alias's polls) or went down (the workers
    /// poll the alias again, and the scheduler thread reconsiders it at once).
    func idleChanged(_ watcher: IdleWatcher, up: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let name = watcher.alias.name
        guard aliases[name] != nil, watchers[name] === watcher, !stopping else { return }
        idleUp[name] = up
        if up { owned.insert(name) } else { owned.remove(name) }
        lock.broadcast()
        publish(name)
    }

    private func publish(_ name: String) {
        guard let schedule = schedules[name] else { return }
        stateWriter.submit(ServiceAliasState(alias: name, owner: owner, state: schedule.state.rawValue,
                                             idle: idleUp[name] ?? false, nextPoll: schedule.nextPoll,
                                             lastError: lastError[name]))
    }
}
