import MIME
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
            ("uidvalidity", uidValidity.map { .int(Int($0)) } ?? .null),
            ("elapsed_ms", .int(elapsedMilliseconds)),
            ("error", .string(error)),
            ("exit_code", .int(Int(exitCode))),
        ]).serialized()
    }

    public var humanLine: String {
        var line = "\(alias): \(mailbox): fetched \(fetched)"
        if skipped > 0 { line += ", skipped \(skipped) (too large)" }
        if failed > 0 { line += ", failed \(failed)" }
        line += " in \(elapsedMilliseconds) ms"
        if error != nil { line += " — FAILED (exit \(exitCode))" }
        return line
    }
}
