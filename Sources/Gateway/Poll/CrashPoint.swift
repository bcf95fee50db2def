import Foundation

/// Test-only fault injection: `MAILGATE_CRASH_AT=<point>:<n>` makes the process SIGKILL
/// itself the n-th time it reaches `point`, so the tests can prove the no-loss protocol at
/// every step of a batch without racing a kill against a timer. Points: `spooled` (raw bytes
/// written, not committed), `committed` (rows committed, server not told), `acknowledged`
/// (server told, rows not yet marked done).
enum CrashPoint: String {
    case spooled, committed, acknowledged

    private static let armed: (CrashPoint, Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["MAILGATE_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard let point = parts.first.flatMap({ CrashPoint(rawValue: String($0)) }) else { return nil }
        let n = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return (point, n)
    }()
    nonisolated(unsafe) private static var reached: [CrashPoint: Int] = [:]
    private static let lock = NSLock()  // `fetch` polls aliases on several threads

    static func reach(_ point: CrashPoint) {
        guard let (armedPoint, n) = armed, armedPoint == point else { return }
        lock.lock()
        reached[point, default: 0] += 1
        let count = reached[point]
        lock.unlock()
        if count == n { kill(getpid(), SIGKILL) }
    }
}
