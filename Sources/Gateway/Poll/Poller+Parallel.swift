import Foundation

extension Poller {
    /// Polls `aliases` with at most `workers` at a time, each poll on a dedicated thread (libcurl
    /// and SQLite block; they never run on the async runtime's threads). Separate mailboxes
    /// are independent, so at 20 ms round trips 100 aliases take about as long as the slowest
    /// few instead of their sum. `each` is called as each poll ends (from its thread, one
    /// call at a time); the reports come back in the order of `aliases`.
    public func poll(_ aliases: [AliasConfig], workers: Int, each: ((PollReport) -> Void)? = nil) -> [PollReport] {
        let lock = NSLock()
        var reports = [PollReport?](repeating: nil, count: aliases.count)
        var next = 0
        let group = DispatchGroup()
        for _ in 0..<max(1, min(workers, aliases.count)) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    lock.unlock()
                    guard index < aliases.count else { return }
                    let report = self.poll(aliases[index])
                    lock.lock()
                    reports[index] = report
                    each?(report)
                    lock.unlock()
                }
            }
            thread.name = "mailgate-poll"
            thread.start()
        }
        group.wait()
        return reports.map { $0! }
    }
}
