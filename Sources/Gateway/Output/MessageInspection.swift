import MIME

/// What `mailgate parse` shows of one message: the parser's JSON, or a summary for people.
/// (The command line reaches MIME only through the Gateway, as DESIGN.md's graph says.)
public struct MessageInspection {
    let message: Message

    public init(_ bytes: [UInt8], fallbackCharset: String) {
        message = MIMEParser(options: ParserOptions(fallbackCharset: fallbackCharset)).parse(bytes)
    }

    /// `parse --json`: one line, every key present.
    public var jsonLine: String { message.jsonLine() }

    public func summary(file: String) -> String {
        let m = message
        func addrs(_ a: [Address]) -> String {
            a.map { addr in
                switch (addr.name, addr.address) {
                case let (n?, a?): return "\(n) <\(a)>"
                case let (nil, a?): return a
                case let (n?, nil): return n
                default: return ""
                }
            }.joined(separator: ", ")
        }
        var lines = ["== \(file)"]
        lines.append("Subject:     \(m.subject ?? "(none)")")
        lines.append("From:        \(addrs(m.from))")
        if !m.sender.isEmpty { lines.append("Sender:      \(addrs(m.sender))") }
        if !m.replyTo.isEmpty { lines.append("Reply-To:    \(addrs(m.replyTo))") }
        lines.append("To:          \(addrs(m.to))")
        if !m.cc.isEmpty { lines.append("Cc:          \(addrs(m.cc))") }
        if !m.bcc.isEmpty { lines.append("Bcc:         \(addrs(m.bcc))") }
        lines.append("Date:        \(m.dateISO8601 ?? "(none)")")
        lines.append("Message-ID:  \(m.messageID ?? "(none)")")
        if !m.inReplyTo.isEmpty { lines.append("In-Reply-To: \(m.inReplyTo.joined(separator: " "))") }
        if !m.references.isEmpty { lines.append("References:  \(m.references.joined(separator: " "))") }
        if let ct = m.contentType { lines.append("Type:        \(ct.mimeType)") }
        lines.append("Body:        \(m.bodyRange.count) bytes; text \(m.text.map { "\($0.count) chars" } ?? "none"), html \(m.html.map { "\($0.count) chars" } ?? "none")")
        for a in m.attachments {
            lines.append("Attachment:  \(a.filename ?? "(no name)") \(a.contentType) \(a.size) bytes")
        }
        if let dsn = m.dsn {
            lines.append("DSN:         from \(dsn.reportingMTA ?? "?"), original \(dsn.originalMessageID ?? "?")")
            for r in dsn.recipients {
                lines.append("DSN:         \(r.finalRecipient ?? "?") \(r.action ?? "?") \(r.status ?? "?")")
            }
        }
        for d in m.defects { lines.append("defect:      \(d)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
