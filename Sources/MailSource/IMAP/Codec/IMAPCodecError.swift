/// What the IMAP codec can object to in what a server sent. The session turns these into
/// `MailSourceError.protocolViolation` (or, for a literal above the size limit, its own error).
public enum IMAPCodecError: Error, Equatable, CustomStringConvertible {
    /// The server announced a literal larger than the configured maximum; nothing was allocated.
    case literalTooLarge(claimed: UInt64, limit: Int)
    /// A response line (the bytes between literals) grew beyond the configured maximum.
    case lineTooLong(limit: Int)
    /// The bytes do not follow the IMAP grammar; `context` shows where (escaped, shortened).
    case syntax(String, context: String)

    public var description: String {
        switch self {
        case let .literalTooLarge(claimed, limit):
            return "the IMAP server announced a literal of \(claimed) bytes, above the limit of \(limit) bytes"
        case let .lineTooLong(limit):
            return "the IMAP server sent a response line longer than \(limit) bytes"
        case let .syntax(what, context):
            return "the IMAP server sent a malformed response (\(what)) near: \(context)"
        }
    }

    /// A printable, bounded excerpt of raw protocol bytes for error messages.
    static func excerpt<C: Collection>(_ bytes: C, limit: Int = 80) -> String where C.Element == UInt8 {
        var out = ""
        for byte in bytes.prefix(limit) {
            switch byte {
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + String(byte, radix: 16)
            }
        }
        if bytes.count > limit { out += "…" }
        return out
    }
}
