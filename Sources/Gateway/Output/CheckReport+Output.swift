import MIME
extension CheckReport {
    public var jsonLine: String {
        JSONValue.object([
            ("alias", .string(alias)),
            ("mailbox", .string(mailbox)),
            ("greeting", .string(greeting)),
            ("capabilities", .array(capabilities.map { JSONValue.string($0) })),
            ("messages", messages.map { JSONValue.int($0) } ?? .null),
            ("uidvalidity", uidValidity.map { .int(Int($0)) } ?? .null),
            ("would_fetch", wouldFetch.map { JSONValue.int($0) } ?? .null),
            ("would_skip", wouldSkip.map { JSONValue.int($0) } ?? .null),
            ("notes", .array(notes.map { JSONValue.string($0) })),
            ("error", .string(error)),
            ("exit_code", .int(Int(exitCode))),
        ]).serialized()
    }

    public var humanText: String {
        var lines = ["\(alias): \(mailbox)"]
        if let error {
            lines.append("  FAILED (exit \(exitCode)): \(error)")
            return lines.joined(separator: "\n")
        }
        if let greeting { lines.append("  greeting:     \(greeting)") }
        lines.append("  capabilities: \(capabilities.joined(separator: " "))")
        if let messages { lines.append("  messages:     \(messages)") }
        if let uidValidity { lines.append("  uidvalidity:  \(uidValidity)") }
        if let wouldFetch {
            lines.append("  next poll:    would fetch \(wouldFetch), skip \(wouldSkip ?? 0) as too large")
        }
        for note in notes { lines.append("  note: \(note)") }
        lines.append("  OK: login and folder work")
        return lines.joined(separator: "\n")
    }
}
