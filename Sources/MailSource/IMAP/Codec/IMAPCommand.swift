/// One IMAP command without its tag: the verb (for counting and error messages) and the
/// arguments, already in wire syntax. Mailbox names are modified UTF-7 in a quoted string,
/// so no command ever needs a literal and a continuation round trip.
public struct IMAPCommand: Equatable, Sendable {
    public let verb: String
    public let arguments: String

    public init(_ verb: String, _ arguments: String = "") {
        self.verb = verb
        self.arguments = arguments
    }

    /// "tag VERB arguments\r\n"
    public func encoded(tag: String) -> [UInt8] {
        Array((arguments.isEmpty ? "\(tag) \(verb)\r\n" : "\(tag) \(verb) \(arguments)\r\n").utf8)
    }

    /// A quoted string with `\` and `"` escaped. For 7-bit text without CR/LF only.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\\" || scalar == "\"" { out.append("\\") }
            if scalar == "\r" || scalar == "\n" { continue }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }

    /// A mailbox argument: INBOX in any case is INBOX, everything else modified UTF-7, quoted.
    public static func mailbox(_ name: String) -> String {
        name.uppercased() == "INBOX" ? "INBOX" : quoted(ModifiedUTF7.encode(name))
    }

    public static let capability = IMAPCommand("CAPABILITY")
    public static let noop = IMAPCommand("NOOP")
    public static let logout = IMAPCommand("LOGOUT")

    /// `ID ("name" "mailgate" "version" "1.0")` (RFC 2971)
    public static func id(_ fields: [(String, String)]) -> IMAPCommand {
        IMAPCommand("ID", "(" + fields.map { quoted($0.0) + " " + quoted($0.1) }.joined(separator: " ") + ")")
    }

    public static func select(_ mailbox: String, readOnly: Bool) -> IMAPCommand {
        IMAPCommand(readOnly ? "EXAMINE" : "SELECT", Self.mailbox(mailbox))
    }

    public static func create(_ mailbox: String) -> IMAPCommand {
        IMAPCommand("CREATE", Self.mailbox(mailbox))
    }

    public static func uidSearch(_ criteria: String, esearch: Bool = false) -> IMAPCommand {
        IMAPCommand("UID SEARCH", esearch ? "RETURN (ALL) " + criteria : criteria)
    }

    public static func uidFetch(_ set: IMAPSequenceSet, _ items: String) -> IMAPCommand {
        IMAPCommand("UID FETCH", "\(set) \(items)")
    }

    public static func uidStore(_ set: IMAPSequenceSet, _ action: String, flags: [String]) -> IMAPCommand {
        IMAPCommand("UID STORE", "\(set) \(action) (\(flags.joined(separator: " ")))")
    }

    public static func uidExpunge(_ set: IMAPSequenceSet) -> IMAPCommand {
        IMAPCommand("UID EXPUNGE", set.description)
    }

    public static func uidCopy(_ set: IMAPSequenceSet, to mailbox: String) -> IMAPCommand {
        IMAPCommand("UID COPY", "\(set) \(Self.mailbox(mailbox))")
    }

    public static func uidMove(_ set: IMAPSequenceSet, to mailbox: String) -> IMAPCommand {
        IMAPCommand("UID MOVE", "\(set) \(Self.mailbox(mailbox))")
    }
}
