extension CheckReport {
    public var jsonLine: String {
        JSON.object([
            ("alias", .string(alias)),
            ("mailbox", .string(mailbox)),
            ("greeting", greeting.map(JSON.string) ?? .null),
            ("capabilities", .array(capabilities.map(JSON.string))),
            ("messages", messages.map(JSON.int) ?? .null),
            ("uidvalidity", uidValidity.map { .int(Int($0)) } ?? .null),
            ("would_fetch", wouldFetch.map(JSON.int) ?? .null),
            ("would_skip", wouldSkip.map(JSON.int) ?? .null),
            ("notes", .array(notes.map(JSON.string))),
            ("error", error.map(JSON.string) ?? .null),
            ("exit_code", .int(Int(exitCode))),
        ]).rendered
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
