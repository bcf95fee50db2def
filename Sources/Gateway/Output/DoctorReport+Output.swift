import MIME

extension DoctorReport {
    /// `--json`: `{"checks": [{"id", "subject", "verdict", "found", "fix"}]}`, `fix` null when
    /// the verdict is ok.
    public var json: String {
        JSONValue.object([
            ("checks", .array(checks.map { check in
                .object([
                    ("id", .string(check.id)),
                    ("subject", .string(check.subject)),
                    ("verdict", .string(check.verdict.rawValue)),
                    ("found", .string(check.found)),
                    ("fix", check.fix.map { .string($0) } ?? .null),
                ])
            })),
        ]).serialized()
    }

    /// The table a person reads at a glance: a mark (✓ ok, ⚠ warn, ✗ fail, – skip), the check,
    /// its subject and what was found; the fix below each warning and failure; a count last.
    public func table(color: Bool = false) -> String {
        let idWidth = checks.map(\.id.count).max() ?? 0
        // Wide enough for the usual dns.dkim subject, odoo._domainkey.<domain>.
        let subjectWidth = min(32, checks.map(\.subject.count).max() ?? 0)
        let indent = String(repeating: " ", count: 2 + 2 + idWidth + 2 + subjectWidth + 2)
        var lines: [String] = []
        for check in checks {
            let mark = Self.mark(check.verdict, color: color)
            let id = check.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
            let subject = check.subject.count > subjectWidth
                ? check.subject : check.subject.padding(toLength: subjectWidth, withPad: " ", startingAt: 0)
            lines.append("\(mark) \(id)  \(subject)  \(check.found)")
            if let fix = check.fix, check.verdict == .warn || check.verdict == .fail {
                lines.append("\(indent)fix: \(fix)")
            }
        }
        lines.append("")
        var summary = "\(checks.count) checks: \(count(.ok)) ok, \(count(.warn)) warning(s), \(count(.fail)) failed"
        if count(.skip) > 0 { summary += ", \(count(.skip)) skipped" }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    static func mark(_ verdict: DoctorCheck.Verdict, color: Bool) -> String {
        let (symbol, code) = switch verdict {
        case .ok: ("✓", "32")
        case .warn: ("⚠", "33")
        case .fail: ("✗", "31")
        case .skip: ("–", "2")
        }
        return color ? "\u{1B}[\(code)m\(symbol)\u{1B}[0m" : symbol
    }
}
