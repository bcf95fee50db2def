import Foundation

/// `mailgate run`'s Odoo side: one thread that drains every server's outbox, again whenever
/// woken (after a poll) and at least every `interval` seconds (rows waiting for their retry
/// time become due). The first round resumes paused servers (a start is a config reload), and
/// so does the first round after a SIGHUP (`systemctl reload`).
public final class OdooPump: @unchecked Sendable {
    private let deliverer: OdooDeliverer
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopping = false
    private var woken = false
    private var resumeNext = true
    private var hangup: DispatchSourceSignal?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Told each round's reports that did something or changed state.
    public var report: (@Sendable (OdooDeliverer.Report) -> Void)?

    public init(deliverer: OdooDeliverer, interval: TimeInterval = 5) {
        self.deliverer = deliverer
        self.interval = interval
    }

    public func start() {
        // SIGHUP is already ignored by `mailgate run` (its reload handler): a second source sees it too.
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "mailgate.odoo.hup"))
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.condition.withLock {
                self.resumeNext = true
                self.woken = true
                self.condition.broadcast()
            }
        }
        source.resume()
        hangup = source
        let thread = Thread { [self] in
            while true {
                let resume = condition.withLock { () -> Bool in
                    defer { resumeNext = false }
                    return resumeNext
                }
                let reports = deliverer.drain(until: Date().addingTimeInterval(max(60, interval)), resume: resume,
                                              ignoringBackoff: false)
                for r in reports where r.delivered + r.notFiled + r.parked + r.retried > 0 || r.state != "ok" {
                    report?(r)
                }
                condition.lock()
                let until = Date().addingTimeInterval(interval)
                while !stopping && !woken && condition.wait(until: until) {}
                woken = false
                let stop = stopping
                condition.unlock()
                if stop { break }
            }
            finished.signal()
        }
        thread.name = "mailgate-odoo"
        self.thread = thread
        thread.start()
    }

    /// Drains again now (new mail was recorded).
    public func wake() {
        condition.withLock {
            woken = true
            condition.broadcast()
        }
    }

    /// Ends after the round in hand; waits for it.
    public func stop() {
        hangup?.cancel()
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        if thread != nil { finished.wait() }
    }
}
