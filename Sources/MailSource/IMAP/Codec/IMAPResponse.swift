/// One parsed server response.
public enum IMAPResponse: Equatable {
    /// `+ text`: the server waits for the rest of a command (a literal, IDLE's DONE, SASL).
    case continuation(String)
    /// `tag OK|NO|BAD [code] text`: the end of one command.
    case tagged(tag: String, IMAPStatusResponse)
    /// `* …`: data, any time, in any order.
    case untagged(IMAPUntagged)
}

public enum IMAPStatus: String, Equatable, Sendable {
    case ok = "OK", no = "NO", bad = "BAD", preauth = "PREAUTH", bye = "BYE"
}

public struct IMAPStatusResponse: Equatable {
    public var status: IMAPStatus
    public var code: IMAPResponseCode?
    public var text: String

    public init(status: IMAPStatus, code: IMAPResponseCode?, text: String) {
        self.status = status
        self.code = code
        self.text = text
    }
}

/// The bracketed response codes Mailgate acts on; the rest keep their name and raw text.
public enum IMAPResponseCode: Equatable {
    case uidValidity(UInt32)
    case uidNext(UInt32)
    case unseen(UInt32)
    case highestModSeq(UInt64)
    case authenticationFailed
    case authorizationFailed
    case unavailable
    case alert
    case capability([String])
    case permanentFlags([String])
    case readOnly
    case readWrite
    case tryCreate
    case nonExistent
    case overQuota
    case copyUID(uidValidity: UInt32, source: IMAPSequenceSet, destination: IMAPSequenceSet)
    case other(name: String, text: String)

    /// The code's atom as the server wrote it ("UIDVALIDITY", "AUTHENTICATIONFAILED").
    public var name: String {
        switch self {
        case .uidValidity: return "UIDVALIDITY"
        case .uidNext: return "UIDNEXT"
        case .unseen: return "UNSEEN"
        case .highestModSeq: return "HIGHESTMODSEQ"
        case .authenticationFailed: return "AUTHENTICATIONFAILED"
        case .authorizationFailed: return "AUTHORIZATIONFAILED"
        case .unavailable: return "UNAVAILABLE"
        case .alert: return "ALERT"
        case .capability: return "CAPABILITY"
        case .permanentFlags: return "PERMANENTFLAGS"
        case .readOnly: return "READ-ONLY"
        case .readWrite: return "READ-WRITE"
        case .tryCreate: return "TRYCREATE"
        case .nonExistent: return "NONEXISTENT"
        case .overQuota: return "OVERQUOTA"
        case .copyUID: return "COPYUID"
        case let .other(name, _): return name
        }
    }
}

public enum IMAPUntagged: Equatable {
    /// `* OK|NO|BAD|PREAUTH|BYE [code] text`
    case status(IMAPStatusResponse)
    case capability([String])
    case flags([String])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case fetch(sequence: UInt32, IMAPFetchAttributes)
    /// `* SEARCH 1 2 3` (a trailing `(MODSEQ n)` is ignored)
    case search([UInt32])
    case esearch(IMAPESearch)
    /// `* ID ("name" "Dovecot")`, nil for `* ID NIL`
    case id([String: String]?)
    case list(flags: [String], delimiter: String?, name: String)
    case enabled([String])
    /// Anything else, keyword and the values that followed.
    case other(name: String, [IMAPValue])
    /// A response the parser could not read (see `IMAPResponseDecoder`).
    case unparsable(IMAPUnparsable)
}

/// `* ESEARCH (TAG "A0004") UID MIN 1 MAX 9 COUNT 5 ALL 1:5,7`
public struct IMAPESearch: Equatable {
    public var tag: String?
    public var uid: Bool
    public var min: UInt32?
    public var max: UInt32?
    public var count: UInt32?
    public var all: IMAPSequenceSet?

    public init(tag: String? = nil, uid: Bool = false, min: UInt32? = nil, max: UInt32? = nil,
                count: UInt32? = nil, all: IMAPSequenceSet? = nil) {
        self.tag = tag; self.uid = uid; self.min = min; self.max = max; self.count = count; self.all = all
    }
}

/// The data of one literal or quoted string.
public enum IMAPBytes: Equatable {
    /// Held in memory.
    case bytes([UInt8])
    /// Handed to a literal sink as it arrived; only its length is kept.
    case streamed(count: Int)
}

/// A generic IMAP value, as the grammar writes it.
public indirect enum IMAPValue: Equatable {
    case atom(String)
    case number(UInt64)
    /// A quoted string or a literal (`{n}` or literal8 `~{n}`).
    case string(IMAPBytes)
    case `nil`
    case list([IMAPValue])

    /// The text of an atom, number or in-memory string.
    public var text: String? {
        switch self {
        case let .atom(text): return text
        case let .number(number): return String(number)
        case let .string(.bytes(bytes)): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }
}

/// The items of one `* n FETCH (…)`, in whatever order the server sent them.
public struct IMAPFetchAttributes: Equatable {
    public var uid: UInt32?
    public var rfc822Size: UInt64?
    public var flags: [String]?
    public var internalDate: String?
    public var modSeq: UInt64?
    /// `BODY[section]` / `BINARY[section]` / `RFC822*` contents keyed by the upper-cased item
    /// name as sent without any `<origin>`: "BODY[]", "BODY[HEADER.FIELDS (MESSAGE-ID)]".
    /// A NIL body is missing from the dictionary (and is `.nil` in `other`).
    public var sections: [String: IMAPBytes]
    /// Items Mailgate does not interpret (ENVELOPE, BODYSTRUCTURE, …).
    public var other: [String: IMAPValue]

    public init(uid: UInt32? = nil, rfc822Size: UInt64? = nil, flags: [String]? = nil,
                internalDate: String? = nil, modSeq: UInt64? = nil,
                sections: [String: IMAPBytes] = [:], other: [String: IMAPValue] = [:]) {
        self.uid = uid; self.rfc822Size = rfc822Size; self.flags = flags; self.internalDate = internalDate
        self.modSeq = modSeq; self.sections = sections; self.other = other
    }

    /// The whole message (`BODY[]`, `BINARY[]` or `RFC822`).
    public var body: IMAPBytes? {
        sections["BODY[]"] ?? sections["BINARY[]"] ?? sections["RFC822"]
    }
}
