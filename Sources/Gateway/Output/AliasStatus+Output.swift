import MIME
import Routing
import Foundation
import MailStore

/// One alias's line of `mailgate status`, from the store (so it works while a service runs).
public struct StatusLine: Sendable {
    public var alias: String
    public var mailbox: String?
    /// What the store knows; nil before the alias's first poll.
    public var stored: AliasStatus?
    /// What a running `mailgate run` reports for the alias; nil when no service runs.
    public var service: ServiceAliasState?
    /// Messages that arrived through the alias, by route (unrouted ones wait for `replay`).
    public var routes: [String: Int] = [:]
    /// The alias's failed (to be retried) and quarantined messages, oldest first, each with its error.
    public var troubled: [SeenRow] = []

    public init(alias: String, mailbox: String?, stored: AliasStatus?, service: ServiceAliasState? = nil) {
        self.alias = alias
        self.mailbox = mailbox
        self.stored = stored
        self.service = service
    }

    /// The running service's next poll, else the one the last poll planned.
    var nextPoll: Date? { service?.nextPoll ?? stored?.nextPoll }

    public var jsonLine: String {
        JSONValue.object([
            ("alias", .string(alias)),
            ("mailbox", .string(mailbox)),
            ("recorded", .int(stored?.recorded ?? 0)),
            ("done", .int(stored?.done ?? 0)),
            ("skipped", .int(stored?.skipped ?? 0)),
            ("failed", .int(stored?.failed ?? 0)),
            ("quarantined", .int(stored?.quarantined ?? 0)),
            ("routes", .object(Route.Kind.allCases.map { ($0.rawValue, .int(routes[$0.rawValue] ?? 0)) })),
            ("last_poll", .string(stored?.lastPoll.map(iso8601))),
            ("last_result", .string(stored?.lastResult)),
            ("last_error", .string(stored?.lastError)),
            ("next_poll", .string(nextPoll.map(iso8601))),
            ("state", .string(service?.state)),
            ("idle", .bool(service?.idle ?? false)),
            ("problems", .array(troubled.map { row in
                .object([
                    ("id", .int(Int(row.id))),
                    ("state", .string(row.state.rawValue)),
                    ("uid", row.uid.map { .int(Int($0)) } ?? .null),
                    ("uidl", .string(row.uidl)),
                    ("has_raw", .bool(row.sha256 != nil)),
                    ("attempts", .int(row.attempts)),
                    ("next_attempt", .string(row.nextAttemptAt.map(iso8601))),
                    ("error", .string(row.lastError)),
                ])
            })),
        ]).serialized()
    }

    public var humanText: String {
        var line = "\(alias): "
        line += mailbox ?? "(routing only)"
        if let service {
            line += "\n  service: \(service.state)\(service.idle ? ", IDLE session up" : "")"
        }
        guard let s = stored else { return line + "\n  never polled" + (nextPoll.map { ", next poll \(iso8601($0))" } ?? "") }
        line += "\n  recorded \(s.recorded), done \(s.done), skipped \(s.skipped), failed \(s.failed), quarantined \(s.quarantined)"
        let routed = Route.Kind.allCases.compactMap { kind in routes[kind.rawValue].map { "\(kind.rawValue) \($0)" } }
        if !routed.isEmpty { line += "\n  routed: " + routed.joined(separator: ", ") }
        if let unrouted = routes["unrouted"], unrouted > 0 { line += " (mailgate replay --unrouted after fixing the config)" }
        line += "\n  last poll \(s.lastPoll.map(iso8601) ?? "never")"
        if let result = s.lastResult { line += " (\(result))" }
        if let error = s.lastError { line += "\n  last error: \(error)" }
        if let next = nextPoll { line += "\n  next poll \(iso8601(next))" }
        for row in troubled.prefix(20) {
            let which = row.uid.map { "UID \($0)" } ?? row.uidl.map { "UIDL \($0)" } ?? "?"
            let when = row.state == .quarantined ? "quarantined (mailgate replay --quarantined)"
                : "failed, next attempt \(row.nextAttemptAt.map(iso8601) ?? "now")"
            line += "\n  [\(row.id)] \(which) \(when) after \(row.attempts) attempt(s): \(row.lastError ?? "")"
        }
        if troubled.count > 20 { line += "\n  … and \(troubled.count - 20) more (mailgate status --json)" }
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
