/// One node of a message's MIME tree. Ranges index `Message.raw`; nothing is copied until asked for.
public struct MIMEPart: Sendable {
    /// The part's own header fields (for the root: the message's).
    public var headers: [HeaderField]
    /// Content-Type, defaulted (text/plain; message/rfc822 inside multipart/digest).
    public var contentType: ContentType
    public var contentDisposition: ContentType?
    /// Lower-cased Content-Transfer-Encoding, nil when absent.
    public var transferEncoding: String?
    /// Content-ID without angle brackets.
    public var contentID: String?
    /// The whole part (headers and body) in the raw message.
    public var range: Range<Int>
    /// The body of the part in the raw message, still transfer-encoded.
    public var bodyRange: Range<Int>
    /// Children: the parts of a multipart, or the one embedded message of a message/rfc822 part.
    public var children: [MIMEPart]
    /// Nesting depth (the root is 0).
    public var depth: Int
    /// For a base64 or quoted-printable message/rfc822 part: the decoded embedded message. The ranges of
    /// `children` (and of their children) index these bytes, not `Message.raw`.
    public var encapsulated: [UInt8]?

    public init(headers: [HeaderField], contentType: ContentType, contentDisposition: ContentType?, transferEncoding: String?,
                contentID: String?, range: Range<Int>, bodyRange: Range<Int>, children: [MIMEPart], depth: Int,
                encapsulated: [UInt8]? = nil) {
        self.headers = headers
        self.contentType = contentType
        self.contentDisposition = contentDisposition
        self.transferEncoding = transferEncoding
        self.contentID = contentID
        self.range = range
        self.bodyRange = bodyRange
        self.children = children
        self.depth = depth
        self.encapsulated = encapsulated
    }

    public var isMultipart: Bool { contentType.type == "multipart" }
    public var isAttachment: Bool { contentDisposition?.type == "attachment" }

    /// The filename of Content-Disposition, else the name parameter of Content-Type.
    public var filename: String? {
        contentDisposition?.parameter("filename") ?? contentType.parameter("name")
    }

    /// The first field of that name.
    public func header(_ name: String) -> HeaderField? {
        headers.first { $0.name.caseInsensitiveEquals(name) }
    }

    /// The body with its transfer encoding undone (base64, quoted-printable; 7bit, 8bit, binary and
    /// unknown encodings as they are). `raw` is the buffer the part's ranges index (`Message.raw`, or the
    /// `encapsulated` bytes of an encoded message/rfc822 ancestor).
    public func decodedBody(in raw: [UInt8]) -> [UInt8] {
        guard bodyRange.upperBound <= raw.count else { return [] }
        return raw.withUnsafeBufferPointer { decodedBody(UnsafeBufferPointer(rebasing: $0[bodyRange])) }
    }

    /// Streams the decoded body in blocks without holding it whole; returns its size.
    @discardableResult
    public func decodeBody(in raw: [UInt8], chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        guard bodyRange.upperBound <= raw.count else { return 0 }
        return raw.withUnsafeBufferPointer { TransferDecoding(transferEncoding).stream(UnsafeBufferPointer(rebasing: $0[bodyRange]), chunk: chunk) }
    }

    func decodedBody(_ body: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> [UInt8] {
        TransferDecoding(transferEncoding).decode(body, limit: limit)
    }

    /// Depth-first, document order, the part itself first.
    public func walk(_ visit: (MIMEPart) -> Void) {
        visit(self)
        for c in children { c.walk(visit) }
    }

    /// Depth-first over the parts of this message only: an embedded message (message/rfc822) is visited
    /// as a part, its own parts are not. Their ranges all index the same buffer.
    func walkOwnParts(_ visit: (MIMEPart) -> Void) {
        visit(self)
        if isMultipart { for c in children { c.walkOwnParts(visit) } }
    }

    /// "depth:type/subtype" for every part, as `email_oracle.py`'s "structure" (message/rfc822 not descended).
    public var structure: [String] {
        var out: [String] = []
        func go(_ p: MIMEPart) {
            out.append("\(p.depth):\(p.contentType.mimeType)")
            if p.isMultipart { p.children.forEach(go) }
        }
        go(self)
        return out
    }
}
