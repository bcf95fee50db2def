import Foundation

/// Options of the parser.
public struct ParserOptions: Sendable, Equatable {
    /// Charset for raw 8-bit header bytes (and unlabelled 8-bit text) that are not valid UTF-8, and for
    /// text whose charset label is unknown and whose bytes are not UTF-8. Any label the WHATWG table
    /// knows; default `gb18030` (a superset of GBK/GB2312, the commonest unlabelled 8-bit mail).
    public var fallbackCharset: String
    /// The header section is cut here (the rest is taken as body) with a defect.
    public var maxHeaderBytes: Int
    /// MIME nesting deeper than this is not parsed (a defect says so).
    public var maxDepth: Int
    /// At most this many MIME parts are parsed (a defect says so).
    public var maxParts: Int
    /// A header field longer than this (unfolded) is cut here, with a defect.
    public var maxLineLength: Int
    /// At most this many bytes are transfer-decoded in all (bodies, attachments, embedded messages);
    /// what lies beyond is truncated (attachment sizes and checksums then cover the decoded prefix) and a
    /// defect says so.
    public var maxDecodedBytes: Int

    public init(fallbackCharset: String = "gb18030", maxHeaderBytes: Int = 1 << 20, maxDepth: Int = 32, maxParts: Int = 2000,
                maxLineLength: Int = 256 << 10, maxDecodedBytes: Int = 256 << 20) {
        self.fallbackCharset = fallbackCharset
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxLineLength = maxLineLength
        self.maxDecodedBytes = maxDecodedBytes
    }
}

/// A parsed message. Everything is decoded; what could not be read cleanly is listed in `defects`.
/// The raw bytes are kept, with the ranges of the header section and of the body, so the body model
/// (multipart, attachments, DSN) reads from the same storage.
public struct Message: Sendable {
    /// The message as received.
    public let raw: [UInt8]
    /// Every header field in order, undecoded.
    public var headers: [HeaderField]
    /// The header section in `raw` (without the empty line that ends it).
    public var headerRange: Range<Int>
    /// The body in `raw` (after the empty line); empty when there is none.
    public var bodyRange: Range<Int>

    public var subject: String?
    public var from: [Address]
    public var sender: [Address]
    public var replyTo: [Address]
    public var to: [Address]
    public var cc: [Address]
    public var bcc: [Address]
    /// With angle brackets, as Odoo stores it: `<id@host>`.
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    /// The Date header in seconds since 1970 (UTC); nil when missing or unreadable.
    public var dateEpochSeconds: Int64?
    public var contentType: ContentType?
    public var contentDisposition: ContentType?
    /// The plain-text body, Odoo's way (`_message_parse_extract_payload`): the text/plain body parts
    /// (several inline ones in a multipart/mixed are joined with a line break; in a multipart/alternative
    /// the first), decoded, line endings LF. When there is no text/plain body: the HTML body rendered to
    /// text (`HTMLText.render`). Nil when the message has neither.
    public var text: String?
    /// The HTML body: in a multipart/alternative the HTML part wins; inline HTML parts after it in a
    /// multipart/mixed are appended.
    public var html: String?
    /// Every other leaf part, in document order: non-text parts, text parts with a filename or
    /// `Content-Disposition: attachment`, text parts Odoo does not take as body; a message/rfc822 or
    /// message/delivery-status part is one leaf.
    public var attachments: [Attachment]
    /// `cid:` URLs of the HTML body → the index in `attachments` of the part with that Content-ID.
    public var inlineImages: [String: Int]
    /// The recipients of the RFC 3464 delivery-status parts; nil when the message has none.
    public var deliveryStatus: [DeliveryStatusRecipient]?
    /// The RFC 3464 report (reporter, recipients, the original Message-ID), values without their type
    /// prefixes; nil when the message has no delivery-status part.
    public var dsn: DeliveryReport?
    /// The MIME tree (the root is the message itself).
    public var root: MIMEPart?
    /// Human-readable descriptions of everything that was not according to the RFCs.
    public var defects: [String]

    public init(raw: [UInt8]) {
        self.raw = raw
        headers = []
        headerRange = 0..<0
        bodyRange = raw.count..<raw.count
        subject = nil
        from = []; sender = []; replyTo = []; to = []; cc = []; bcc = []
        messageID = nil
        inReplyTo = []; references = []
        dateEpochSeconds = nil
        contentType = nil
        contentDisposition = nil
        text = nil; html = nil
        attachments = []
        inlineImages = [:]
        deliveryStatus = nil
        dsn = nil
        root = nil
        defects = []
    }

    public var date: Date? { dateEpochSeconds.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// `2026-11-26T08:00:00Z`, or nil.
    public var dateISO8601: String? { dateEpochSeconds.map(DateParser.iso8601) }

    /// The raw body bytes.
    public var body: ArraySlice<UInt8> { raw[bodyRange] }

    /// All fields of that name (case-insensitive), in order.
    public func headers(named name: String) -> [HeaderField] {
        headers.filter { $0.name.caseInsensitiveEquals(name) }
    }

    /// The first field of that name.
    public func header(_ name: String) -> HeaderField? {
        // By index: each field's name is compared in place, no field is copied (and retained) to do it.
        for i in headers.indices where headers[i].name.caseInsensitiveEquals(name) { return headers[i] }
        return nil
    }

    /// The first field of that name as decoded text (RFC 2047 words, raw 8-bit), whitespace unfolded.
    public func decodedHeader(_ name: String, fallbackCharset: String = "gb18030") -> String? {
        guard let f = header(name) else { return nil }
        var ignored: [String] = []
        return EncodedWords.decode(f.value, fallback: RawCharset(name: fallbackCharset), defects: &ignored)
    }

    /// The object printed by `mailgate parse --json`: every key always present.
    public var jsonObject: JSONValue {
        func list(_ a: [Address]) -> JSONValue { .array(a.map(\.jsonValue)) }
        return .object([
            ("subject", .string(subject)),
            ("from", list(from)),
            ("sender", list(sender)),
            ("reply_to", list(replyTo)),
            ("to", list(to)),
            ("cc", list(cc)),
            ("bcc", list(bcc)),
            ("message_id", .string(messageID)),
            ("in_reply_to", .array(inReplyTo.map { .string($0) })),
            ("references", .array(references.map { .string($0) })),
            ("date", .string(dateISO8601)),
            ("text", .string(text)),
            ("html", .string(html)),
            ("attachments", .array(attachments.map(\.jsonValue))),
            ("dsn", dsn?.jsonValue ?? .null),
            ("defects", .array(defects.map { .string($0) })),
        ])
    }

    /// `jsonObject` as one line of JSON (no trailing newline).
    public func jsonLine() -> String { jsonObject.serialized() }
}

/// An attachment: a leaf part other than the text and HTML bodies.
public struct Attachment: Sendable, Equatable {
    public var filename: String?
    /// Lower-cased type/subtype.
    public var contentType: String
    /// `attachment`, `inline`, or nil without Content-Disposition.
    public var disposition: String?
    /// Without angle brackets (as `cid:` URLs use it).
    public var contentID: String?
    /// Size of the transfer-decoded content.
    public var size: Int
    /// SHA-256 hex of the transfer-decoded content.
    public var sha256: String
    /// The whole part in `Message.raw`; `Message.root` has its MIMEPart for the bytes.
    public var partRange: Range<Int>

    public init(filename: String?, contentType: String, disposition: String?, contentID: String?, size: Int, sha256: String,
                partRange: Range<Int>) {
        self.filename = filename
        self.contentType = contentType
        self.disposition = disposition
        self.contentID = contentID
        self.size = size
        self.sha256 = sha256
        self.partRange = partRange
    }

    public var jsonValue: JSONValue {
        .object([("filename", .string(filename)), ("content_type", .string(contentType)),
                 ("disposition", .string(disposition)), ("content_id", .string(contentID)),
                 ("size", .int(size)), ("sha256", .string(sha256))])
    }
}
