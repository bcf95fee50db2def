import Foundation
import Logging
import MIME

/// Log lines for `mailgate run` on standard error: `text` (one line, `key=value` pairs, the
/// alias first) or `json` (one object per line, for log shippers). Never given a secret:
/// errors come from the modules, which redact them.
public struct MailgateLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let format: Format
    let label: String

    public init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Keys printed first, in this order; the rest follow sorted.
    static let leading = ["alias", "fetched", "new", "reply", "bounce", "loop", "duplicate", "skipped", "failed", "ms"]

    public func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let keys = Self.leading.filter { all[$0] != nil } + all.keys.filter { !Self.leading.contains($0) }.sorted()
        let text: String
        switch format {
        case .text:
            var parts = [iso8601(Date()), level.rawValue]
            let message = message.description
            if !message.isEmpty { parts.append(message) }
            for key in keys { parts.append("\(key)=\(Self.quoted("\(all[key]!)"))") }
            text = parts.joined(separator: " ")
        case .json:
            var fields: [(String, JSONValue)] = [("time", .string(iso8601(Date()))), ("level", .string(level.rawValue)),
                                                 ("message", .string(message.description))]
            for key in keys { fields.append((key, .string("\(all[key]!)"))) }
            text = JSONValue.object(fields).serialized()
        }
        Self.write(text + "\n")
    }

    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        return "\"\(escaped)\""
    }

    private static let lock = NSLock()

    static func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
