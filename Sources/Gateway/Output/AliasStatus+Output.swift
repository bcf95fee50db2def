import MIME
import Foundation
import MailStore

/// One alias's line of `mailgate status`, from the store (so it works while a service runs).
public struct StatusLine: Sendable {
    public var alias: String
    public var mailbox: String?
    public var counts: SeenCounts
    public var lastPoll: Date?
    public var lastResult: String?
    public var lastError: String?
    public var nextPoll: Date?

    public var jsonLine: String {
        JSONValue.object([
            ("alias", .string(alias)),
            ("mailbox", .string(mailbox)),
            ("recorded", .int(counts.recorded)),
            ("done", .int(counts.done)),
            ("skipped", .int(counts.skipped)),
            ("failed", .int(counts.failed)),
            ("quarantined", .int(counts.quarantined)),
            ("last_poll", lastPoll.map { .string(iso8601($0)) } ?? .null),
            ("last_result", .string(lastResult)),
            ("last_error", .string(lastError)),
            ("next_poll", nextPoll.map { .string(iso8601($0)) } ?? .null),
        ]).serialized()
    }

    public var humanText: String {
        var line = "\(alias): "
        line += mailbox ?? "(routing only)"
        line += "\n  recorded \(counts.recorded), done \(counts.done), skipped \(counts.skipped), failed \(counts.failed), quarantined \(counts.quarantined)"
        line += "\n  last poll \(lastPoll.map(iso8601) ?? "never")"
        if let lastResult { line += " (\(lastResult))" }
        if let lastError { line += "\n  last error: \(lastError)" }
        if let nextPoll { line += "\n  next poll \(iso8601(nextPoll))" }
        return line
    }
}

/// `2026-11-26T08:00:00Z`: ISO 8601 in UTC, whole seconds.
public func iso8601(_ date: Date) -> String {
    var t = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&t, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}
