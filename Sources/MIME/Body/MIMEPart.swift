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

    /// The body with its transfer encoding undone (base64, quoted-printable; others as they are).
    public func decodedBody(in raw: [UInt8]) -> [UInt8] {
        raw.withUnsafeBufferPointer { decodedBody(UnsafeBufferPointer(rebasing: $0[bodyRange])) }
    }

    func decodedBody(_ body: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        switch transferEncoding {
        case let cte? where cte.hasPrefix("base64"): return Base64.decodeLenient(body)
        case let cte? where cte.hasPrefix("quoted-printable"): return QuotedPrintable.decode(body)
        default: return Array(body)
        }
    }

    /// Depth-first, document order, the part itself first.
    public func walk(_ visit: (MIMEPart) -> Void) {
        visit(self)
        for c in children { c.walk(visit) }
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
