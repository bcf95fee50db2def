import ArgumentParser
import Foundation
import MIME

/// `mailgate parse FILE... [--json]`: parse messages and show what Mailgate reads in them.
/// Exit 0 when every file was read (defects or not), 66 (EX_NOINPUT) when a file could not be opened;
/// the other files are still processed.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse messages and print their headers, addresses, dates and defects.",
        discussion: "FILE may be - for standard input. With --json, one JSON object per file (JSON Lines)."
    )

    @Argument(help: "Message files (RFC 5322); - reads standard input.")
    var files: [String]

    @Flag(name: .long, help: "Print JSON Lines, one object per file.")
    var json = false

    @Option(name: .customLong("fallback-charset"), help: "Charset for undeclared 8-bit text that is not UTF-8.")
    var fallbackCharset = "gb18030"

    func run() throws {
        let parser = MIMEParser(options: ParserOptions(fallbackCharset: fallbackCharset))
        var failed = false
        for file in files {
            guard let bytes = ParseCommand.read(file) else {
                FileHandle.standardError.write(Data("mailgate parse: cannot open \(file)\n".utf8))
                failed = true
                continue
            }
            let message = parser.parse(bytes)
            var out = json ? message.jsonLine() + "\n" : ParseCommand.summary(message, file: file)
            if files.count > 1 && !json { out += "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
        if failed { throw ExitCode(66) }
    }

    static func read(_ path: String) -> [UInt8]? {
        if path == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return nil }
        return [UInt8](data)
    }

    static func summary(_ m: Message, file: String) -> String {
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
