import MIME
import Routing
import Foundation

extension PollReport {
    /// The `fetch --json` line: every key always present, in a stable order.
    public var jsonLine: String {
        JSONValue.object([
            ("alias", .string(alias)),
            ("mailbox", .string(mailbox)),
            ("fetched", .int(fetched)),
            ("skipped", .int(skipped)),
            ("failed", .int(failed)),
            ("dropped", .int(dropped)),
            ("routes", .object(Route.Kind.allCases.map { ($0.rawValue, .int(routes[$0.rawValue] ?? 0)) })),
            ("uidvalidity", uidValidity.map { .int(Int($0)) } ?? .null),
            ("elapsed_ms", .int(elapsedMilliseconds)),
            ("round_trips", .int(roundTrips)),
            ("error", .string(error)),
            ("exit_code", .int(Int(exitCode))),
            ("notices", .array(notices.map { .string($0) })),
        ]).serialized()
    }

    public var humanLine: String {
        var line = "\(alias): \(mailbox): fetched \(fetched)"
        if skipped > 0 { line += ", skipped \(skipped) (too large)" }
        if failed > 0 { line += ", failed \(failed)" }
        if dropped > 0 { line += ", dropped \(dropped) (gone from the server)" }
        let routed = Route.Kind.allCases.compactMap { kind in routes[kind.rawValue].map { "\(kind.rawValue) \($0)" } }
        if !routed.isEmpty { line += " (\(routed.joined(separator: ", ")))" }
        line += " in \(elapsedMilliseconds) ms"
        if error != nil { line += " — FAILED (exit \(exitCode))" }
        return line
    }
}
