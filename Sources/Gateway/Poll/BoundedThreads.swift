import Foundation

/// Runs `body` for each of `items`, at most `workers` at a time, each on a thread of its own:
/// libcurl, SQLite and the resolver block, so this work never runs on the async runtime's
/// threads. Results come back in the order of `items`; `each` (if given) is told of each result
/// as it ends, one call at a time. Used by parallel polls (`fetch --workers`) and `doctor`.
func onBoundedThreads<T, R>(_ items: [T], workers: Int, name: String, _ body: @escaping (T) -> R,
                            each: ((R) -> Void)? = nil) -> [R] {
    // Both are only touched under `lock`.
    let lock = NSLock()
    nonisolated(unsafe) var results = [R?](repeating: nil, count: items.count)
    nonisolated(unsafe) var next = 0
    let group = DispatchGroup()
    for _ in 0..<max(1, min(workers, items.count)) {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            while true {
                lock.lock()
                let index = next
                next += 1
                lock.unlock()
                guard index < items.count else { return }
                let result = body(items[index])
                lock.lock()
                results[index] = result
                each?(result)
                lock.unlock()
            }
        }
        thread.name = name
        thread.start()
    }
    group.wait()
    return results.map { $0! }
}
