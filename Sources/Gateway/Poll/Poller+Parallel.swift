import Foundation

extension Poller {
    /// Polls `aliases` with at most `workers` at a time, each poll on a dedicated thread (libcurl
    /// and SQLite block; they never run on the async runtime's threads). Separate mailboxes
    /// are independent, so at 20 ms round trips 100 aliases take about as long as the slowest
    /// few instead of their sum. `each` is called as each poll ends (from its thread, one
    /// call at a time); the reports come back in the order of `aliases`.
    ///
    /// Two waves: the aliases that create records first, then the catchall and bounce
    /// aliases, so that in a backlog a reply (which arrives at the catchall) is routed after
    /// the lead it answers has been recorded, as when they are polled one after another.
    public func poll(_ aliases: [AliasConfig], workers: Int, each: ((PollReport) -> Void)? = nil) -> [PollReport] {
        var reports = [PollReport?](repeating: nil, count: aliases.count)
        for wave in Self.waves(aliases) where !wave.isEmpty {
            for (index, report) in zip(wave, poll(wave.map { aliases[$0] }, workers: workers, inOneWave: each)) {
                reports[index] = report
            }
        }
        return reports.map { $0! }
    }

    /// The indices of `aliases` in the two waves `poll(_:workers:each:)` polls them in.
    static func waves(_ aliases: [AliasConfig]) -> [[Int]] {
        let secondWave: Set<String> = ["catchall", "bounce"]
        return [aliases.indices.filter { !secondWave.contains(aliases[$0].routing.role ?? "") },
                aliases.indices.filter { secondWave.contains(aliases[$0].routing.role ?? "") }]
    }

    /// `aliases` in the order their polls start.
    public static func pollingOrder(_ aliases: [AliasConfig]) -> [AliasConfig] {
        waves(aliases).joined().map { aliases[$0] }
    }

    private func poll(_ aliases: [AliasConfig], workers: Int, inOneWave each: ((PollReport) -> Void)?) -> [PollReport] {
        onBoundedThreads(aliases, workers: workers, name: "mailgate-poll", { self.poll($0) }, each: each)
    }
}
