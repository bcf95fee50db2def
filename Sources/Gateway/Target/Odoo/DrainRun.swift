import Foundation
import MailStore

/// The shared state of one server's drain: counts, stop flags and the wait for a push to end.
final class DrainRun: @unchecked Sendable {
    let server: OdooServerConfig
    let deadline: Date
    let ignoringBackoff: Bool
    /// Rows tried since then are not tried again in this run.
    let started = Date()
    private let condition = NSCondition()
    private var active = 0
    private var finishedPushes = 0
    private(set) var delivered = 0, notFiled = 0, parked = 0, retried = 0
    private(set) var noRouteRows: [Int64] = []
    private(set) var pauseFault: String?
    private(set) var unreachable: String?
    private(set) var lastFault: String?

    init(server: OdooServerConfig, deadline: Date, ignoringBackoff: Bool) {
        self.server = server
        self.deadline = deadline
        self.ignoringBackoff = ignoringBackoff
    }

    var shouldStop: Bool { condition.withLock { pauseFault != nil || unreachable != nil } }

    func began() { condition.withLock { active += 1 } }

    func ended() {
        condition.withLock {
            active -= 1
            finishedPushes += 1
            condition.broadcast()
        }
    }

    /// When another worker of this run is pushing, waits until a push ends and returns true
    /// (something may have become claimable); false when nobody is pushing.
    func waitForAnotherPush() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard active > 0, pauseFault == nil, unreachable == nil else { return false }
        let seen = finishedPushes
        while finishedPushes == seen && active > 0 {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Counts a push by the state the store gave its row.
    func count(_ state: OutboxState?) {
        condition.withLock {
            switch state {
            case .delivered?: delivered += 1
            case .notFiled?: notFiled += 1
            case .parked?: parked += 1
            case .queued?: retried += 1
            case .inFlight?, nil: break
            }
        }
    }

    func noRoute(_ id: Int64) { condition.withLock { noRouteRows.append(id) } }
    /// The protocol the last push used (a JSON-2 build may have sent a client to XML-RPC).
    private(set) var protocolName: String?
    func noteProtocol(_ name: String) { condition.withLock { protocolName = name } }
    func noteFault(_ text: String) { condition.withLock { lastFault = text } }

    func stop(pause text: String) {
        condition.withLock {
            if pauseFault == nil { pauseFault = text }
            condition.broadcast()
        }
    }

    func stop(unreachable text: String) {
        condition.withLock {
            if unreachable == nil { unreachable = text }
            condition.broadcast()
        }
    }
}
