/// What SELECT/EXAMINE reported about the mailbox.
///
/// For the poll: UIDs are only comparable under the same `uidValidity`. Same validity as
/// stored: nothing new when `uidNext` equals the one saved (skip the search), else
/// `searchUIDs(from: savedUIDNext)`. Another validity: every stored UID is void; fetch
/// `fetchMessageIDs(searchUIDs(from: 1))` and match on Message-ID + size.
public struct IMAPSelectedMailbox: Equatable, Sendable {
    public var name: String
    public var uidValidity: UInt32
    /// nil when the server did not say (RFC 3501 servers must; a few do not).
    public var uidNext: UInt32?
    /// Messages in the mailbox; kept up to date from EXISTS/EXPUNGE while selected.
    public var exists: UInt32
    public var readOnly: Bool
    public var permanentFlags: [String]
    public var highestModSeq: UInt64?
}

/// Size and flags of one message, from `UID FETCH … (UID RFC822.SIZE FLAGS)`.
public struct IMAPMessageInfo: Equatable, Sendable {
    public var uid: UInt32
    /// RFC822.SIZE in bytes; nil when the server left the item out (Mailpile #1080): the
    /// message is still fetched, its size limit enforced while the literal arrives. It may
    /// differ from the literal's length (Exchange, Gmail): a hint, never checked.
    public var size: UInt64?
    public var flags: [String]

    public init(uid: UInt32, size: UInt64?, flags: [String]) {
        self.uid = uid; self.size = size; self.flags = flags
    }

    public var isSeen: Bool { flags.contains { $0.lowercased() == "\\seen" } }
    public var isDeleted: Bool { flags.contains { $0.lowercased() == "\\deleted" } }
}

/// Message-ID and size of one message: the fallback identity after a UIDVALIDITY change.
public struct IMAPMessageIdentity: Equatable, Sendable {
    public var uid: UInt32
    /// The Message-ID header's value as written (usually `<…>`), unfolded and trimmed;
    /// nil when the message has none.
    public var messageID: String?
    public var size: UInt64

    public init(uid: UInt32, messageID: String?, size: UInt64) {
        self.uid = uid; self.messageID = messageID; self.size = size
    }
}

/// Why one message asked for with `fetchBodies`/`fetchBody` did not arrive. The session
/// does not decide whether the message still exists: a fresh `UID SEARCH` does.
public struct IMAPFetchFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// In the server's words where it gave any ("answered BODY[] NIL", "NO [SERVERBUG] …").
    public var reason: String
    /// The server said `[EXPUNGEISSUED]` (RFC 5530): the message may be gone.
    public var expungeIssued: Bool

    public init(reason: String, expungeIssued: Bool = false) {
        self.reason = reason
        self.expungeIssued = expungeIssued
    }

    public var description: String { reason }
}

/// A body fetch that ended the session part-way: the bodies that arrived before it were
/// handed over; `uid` is the message whose response was being read, when it can be told.
public struct IMAPFetchInterrupted: Error, CustomStringConvertible {
    public var uid: UInt32?
    /// Set when the session was closed on purpose because the literal announced more bytes
    /// than the limit (the size the server claimed): the message is too large, not broken.
    public var literalTooLarge: UInt64?
    /// What broke (for a literal too large: a temporary error saying so).
    public var underlying: MailSourceError

    public var description: String { underlying.description }
}

/// Tunables of an `IMAPSession`. The defaults suit a poll of an alias mailbox.
public struct IMAPSessionOptions: Sendable {
    /// Sent in `ID` when the server offers it (Chinese providers refuse SELECT without it).
    public var clientName = "mailgate"
    public var clientVersion = "1.0"
    /// No literal from the server may claim more bytes than this (checked before allocating).
    public var maxLiteralSize = 64 << 20
    /// `fetchBodies` puts at most this many UIDs …
    public var fetchBatchCount = 100
    /// … and, as far as sizes are known, at most this many bytes in one `UID FETCH`.
    public var fetchBatchBytes: UInt64 = 8 << 20
    /// Commands written ahead of the response being read (pipelining depth).
    public var pipelineDepth = 3
    /// Sequence numbers per `UID SEARCH` window when the server lacks ESEARCH.
    public var searchWindow: UInt32 = 10_000
    /// Length cap of a sequence set in one command (lines stay far below servers' 8 KB+ limits).
    public var maxSetLength = 1000
    /// Capabilities to act as if the server lacked (upper-case names, e.g. "ESEARCH"): a
    /// workaround for servers that announce what they do badly, and how tests reach the
    /// fallbacks (windowed SEARCH, COPY + delete, flag-only delete) on a full-featured server.
    public var ignoredCapabilities: Set<String> = []
    /// Bytes read from the connection at a time.
    public var readChunkSize = 256 * 1024

    public init() {}
}

/// A password login the session does itself (see `IMAPSession.init(endpoint:secret:options:)`).
public struct IMAPLogin: Sendable {
    public var user: String
    public var secret: String
    /// `auth = "plain"`: only `AUTHENTICATE PLAIN`, never the LOGIN command.
    public var plainOnly: Bool

    public init(user: String, secret: String, plainOnly: Bool = false) {
        self.user = user; self.secret = secret; self.plainOnly = plainOnly
    }

    /// The server offers only mechanisms libcurl speaks (LOGIN, CRAM-MD5, …): log in through it.
    struct NeedsLibcurl: Error {}

    /// A quoted string can carry it: 7-bit, no NUL, CR or LF.
    static func quotable(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x01 && $0 < 0x80 && $0 != 0x0A && $0 != 0x0D }
    }
}
