import Foundation

/// When one alias is polled next, and what state it is in. Pure: every decision takes `now`
/// and a random source, so the tests drive it with an injected clock and no sleeping.
public struct AliasSchedule: Sendable, Equatable {
    public enum State: String, Sendable {
        case idle, polling
        case backingOff = "backing-off"
        case failing
    }

    public struct Policy: Sendable, Equatable {
        /// The alias's poll interval (Odoo's default: five minutes).
        public var interval: TimeInterval = 300
        /// First retry after a failure; doubles per consecutive failure up to `backoffMax`.
        public var backoffBase: TimeInterval = 30
        public var backoffMax: TimeInterval = 3600
        /// Continuous failure for this long makes the alias `failing` (Odoo's 5 days).
        public var disableAfter: TimeInterval = 5 * 86_400
        /// First polls are spread over `[0, min(interval, firstPollSpread))`.
        public var firstPollSpread: TimeInterval = 60

        public init(interval: TimeInterval = 300, backoffBase: TimeInterval = 30, backoffMax: TimeInterval = 3600,
                    disableAfter: TimeInterval = 5 * 86_400, firstPollSpread: TimeInterval = 60) {
            self.interval = interval
            self.backoffBase = backoffBase
            self.backoffMax = backoffMax
            self.disableAfter = disableAfter
            self.firstPollSpread = firstPollSpread
        }
    }

    public let policy: Policy
    public private(set) var nextPoll: Date
    /// The outcome of the last poll: idle, backing-off or failing.
    public private(set) var health: State = .idle
    public private(set) var isPolling = false
    public var state: State { isPolling ? .polling : health }
    public private(set) var consecutiveFailures = 0
    public private(set) var failingSince: Date?

    /// A new schedule whose first poll is jittered so many aliases do not start together.
    public init<R: RandomNumberGenerator>(policy: Policy, now: Date, random: inout R) {
        self.policy = policy
        let spread = min(policy.interval, policy.firstPollSpread)
        nextPoll = now.addingTimeInterval(spread > 0 ? Double.random(in: 0..<spread, using: &random) : 0)
    }

    public func isDue(at now: Date) -> Bool { now >= nextPoll && !isPolling }

    public mutating func pollStarted() { isPolling = true }

    /// Returns true when the health changed (the caller logs only changes of state).
    @discardableResult
    public mutating func pollSucceeded(at now: Date) -> Bool {
        let changed = health != .idle
        consecutiveFailures = 0
        failingSince = nil
        isPolling = false
        health = .idle
        nextPoll = now.addingTimeInterval(policy.interval)
        return changed
    }

    @discardableResult
    public mutating func pollFailed(at now: Date) -> Bool {
        let before = health
        consecutiveFailures += 1
        if failingSince == nil { failingSince = now }
        nextPoll = now.addingTimeInterval(backoff(afterFailures: consecutiveFailures))
        isPolling = false
        health = isFailing(at: now) ? .failing : .backingOff
        return health != before
    }

    /// The poll did not run (another process held the mailbox's lease): the health stays as
    /// it was, the next try is one interval (or the current backoff) away.
    public mutating func pollSkipped(at now: Date) {
        isPolling = false
        nextPoll = now.addingTimeInterval(health == .idle ? policy.interval : backoff(afterFailures: consecutiveFailures))
    }

    /// SIGUSR1: poll now, whatever the schedule said.
    public mutating func pollNow(_ now: Date) { nextPoll = min(nextPoll, now) }

    /// The wait after the n-th consecutive failure: base, 2·base, 4·base, … capped.
    public func backoff(afterFailures n: Int) -> TimeInterval {
        guard n > 0 else { return policy.interval }
        let exponent = min(n - 1, 30)
        return min(policy.backoffMax, policy.backoffBase * pow(2, Double(exponent)))
    }

    func isFailing(at now: Date) -> Bool {
        guard let since = failingSince else { return false }
        return now.timeIntervalSince(since) >= policy.disableAfter
    }
}
