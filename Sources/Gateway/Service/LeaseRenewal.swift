import Foundation
import MailStore

/// Renews a mailbox lease every third of its lifetime on its own thread while a poll runs,
/// so a long fetch keeps it and a killed process loses it within `ttl`.
final class LeaseRenewal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var finished = false

    init(store: Store, mailbox: Int64, owner: String, ttl: TimeInterval) {
        let thread = Thread { [self] in
            condition.lock()
            while !stopped {
                if !condition.wait(until: Date().addingTimeInterval(ttl / 3)) && !stopped {
                    condition.unlock()
                    _ = try? store.renewLease(mailbox: mailbox, owner: owner, ttl: ttl)
                    condition.lock()
                }
            }
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "mailgate-lease"
        thread.start()
    }

    /// Stops renewing and waits for the thread, so no renewal follows the release.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
