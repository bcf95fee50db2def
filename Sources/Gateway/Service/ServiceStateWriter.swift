import Foundation
import Logging
import MailStore

/// Writes the service's per-alias state (state, idle, next poll) to the store on its own
/// thread, so `mailgate status` in another process sees it. Submissions coalesce per alias:
/// only the newest state of each is written.
final class ServiceStateWriter: @unchecked Sendable {
    private let store: Store
    private let owner: String
    private let logger: Logger
    private let condition = NSCondition()
    private var pending: [String: ServiceAliasState] = [:]
    private var keep: [String]?
    private var closing = false
    private var closed = false
    private var failedOnce = false

    init(config: Config, owner: String, logger: Logger) throws {
        store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        self.owner = owner
        self.logger = logger
        let thread = Thread { [self] in run() }
        thread.name = "mailgate-state"
        thread.start()
    }

    func submit(_ state: ServiceAliasState) {
        condition.lock()
        pending[state.alias] = state
        condition.signal()
        condition.unlock()
    }

    /// After a reload: forget the rows of aliases no longer polled.
    func forget(keeping aliases: [String]) {
        condition.lock()
        keep = aliases
        condition.signal()
        condition.unlock()
    }

    /// Writes what is pending, removes this service's rows (it no longer speaks for the
    /// aliases) and ends the thread.
    func close() {
        condition.lock()
        closing = true
        condition.signal()
        while !closed { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while pending.isEmpty && keep == nil && !closing { condition.wait() }
            let batch = pending
            let keeping = keep
            let last = closing
            pending = [:]
            keep = nil
            condition.unlock()
            do {
                if let keeping { try store.clearServiceState(owner: owner, keeping: keeping) }
                if last {
                    try store.clearServiceState(owner: owner)
                } else {
                    for state in batch.values { try store.setServiceState(state) }
                }
            } catch {
                if !failedOnce { logger.warning("cannot record the service state for status: \(error)") }
                failedOnce = true
            }
            condition.lock()
            if last { break }
        }
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
