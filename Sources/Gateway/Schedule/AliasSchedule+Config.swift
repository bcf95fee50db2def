import Foundation

extension AliasSchedule.Policy {
    /// The alias's interval, backoff cap and failing threshold; first polls spread over `jitter`.
    public init(alias: AliasConfig, jitter: TimeInterval = 60) {
        self.init(interval: alias.interval, backoffMax: alias.backoffMax, disableAfter: alias.disableAfter,
                  firstPollSpread: jitter)
        // A failure is retried after 30 s at first, but never later than the cap allows.
        backoffBase = min(backoffBase, backoffMax)
    }
}
