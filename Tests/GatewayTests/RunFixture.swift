import Foundation
import TestSupport
import XCTest

/// A `mailgate run` process in the background: its log file, signals, and bounded waits for
/// what it does (read from `mailgate status --json`, its log or the spool), never fixed sleeps.
final class RunningService {
    let process = Process()
    let logPath: String
    let configPath: String

    init(configPath: String, logPath: String, extra: [String] = []) throws {
        self.configPath = configPath
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: try Mailgate.executablePath())
        process.arguments = ["run", "--config", configPath, "--jitter", "0", "--log-level", "debug"] + extra
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try log.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// SIGTERM, then the exit code (nil: still running after `limit` seconds).
    func terminate(within limit: TimeInterval = 30) -> Int32? {
        signal(SIGTERM)
        return waitForExit(limit)
    }

    func waitForExit(_ limit: TimeInterval) -> Int32? {
        let ok = waitUntil(limit) { !self.process.isRunning }
        guard ok else { return nil }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

/// Checks `condition` every 50 ms until it holds or `limit` seconds pass (the overall bound
/// of a wait for something another process does).
@discardableResult
func waitUntil(_ limit: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(limit)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// `mailgate status --json`, by alias.
func serviceStatus(configPath: String) throws -> [String: [String: Any]] {
    let run = try runMailgate(args: ["status", "--json", "--config", configPath])
    var result: [String: [String: Any]] = [:]
    for line in run.stdout.split(separator: "\n") {
        if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
           let alias = object["alias"] as? String {
            result[alias] = object
        }
    }
    return result
}

/// Rows recorded for the store's mailboxes (counted straight from SQLite: `status` counts
/// only after an alias's first poll has finished).
func storedMessageCount(_ storePath: String) -> Int {
    sqliteCount(storePath, "SELECT COUNT(*) FROM seen WHERE sha256 IS NOT NULL")
}

/// Messages (by content) recorded more than once: must be zero.
func duplicateSeenRows(_ storePath: String) -> Int {
    sqliteCount(storePath, "SELECT COUNT(*) FROM (SELECT sha256 FROM seen WHERE sha256 IS NOT NULL GROUP BY sha256 HAVING COUNT(*) > 1)")
}

/// One number from the sqlite3 shell, read-only (-1 when it cannot run).
func sqliteCount(_ storePath: String, _ sql: String) -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-readonly", storePath, sql]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}
