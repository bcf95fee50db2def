/// Bytes → `Message`. Pure and synchronous; never throws for mail that can be read at all.
///
/// A value type: copies may be used from any thread (the iconv descriptors it uses are per thread).
public struct MIMEParser: Sendable {
    public var options: ParserOptions

    public init(options: ParserOptions = ParserOptions()) {
        self.options = options
    }

    public func parse(_ bytes: [UInt8]) -> Message {
        var message = Message(raw: bytes)
        bytes.withUnsafeBufferPointer { parse(into: &message, $0) }
        return message
    }

    public func parse(_ bytes: ArraySlice<UInt8>) -> Message { parse(Array(bytes)) }

    public func parse(_ bytes: UnsafeRawBufferPointer) -> Message { parse(Array(bytes)) }

    private func parse(into m: inout Message, _ buf: UnsafeBufferPointer<UInt8>) {
        let fallbackName = options.fallbackCharset
        var defects: [String] = []
        let split = HeaderSplitter.split(buf, maxHeaderBytes: options.maxHeaderBytes, defects: &defects)
        m.headers = HeaderLimits.cut(split.fields, maxLineLength: options.maxLineLength, defects: &defects)
        m.headerRange = 0..<split.headerEnd
        m.bodyRange = split.bodyStart..<buf.count

        let legacy = Self.hasLegacyHeader(m.headers)
        // The MIME tree first: the charset of undeclared 8-bit text (raw header bytes, unlabelled
        // parts) is one decision for the whole message, and a label elsewhere in it wins.
        var body = BodyParser(options: options, raw: RawCharset(name: fallbackName, legacy: legacy), buf: buf, defects: [])
        let root = body.makePart(headers: m.headers, range: 0..<buf.count, bodyRange: m.bodyRange, depth: 0,
                                 defaultType: ContentType(type: "text", subtype: "plain"))
        let undeclared = UndeclaredCharset.decide(headers: m.headers, root: root, buf: buf, fallback: fallbackName,
                                                  legacyHeaders: legacy, defects: &defects)
        let fallback = RawCharset(name: undeclared, legacy: legacy)
        readFields(&m, fallback: fallback, defects: &defects)
        m.defects = defects
        body.defects = defects + body.defects
        BodyDecoder.decode(&m, buf, options: options, parser: body, root: root, undeclared: undeclared)
        if m.defects.count > Self.maxDefects {
            let extra = m.defects.count - Self.maxDefects
            m.defects.removeLast(extra)
            m.defects.append("\(extra) more defects not listed")
        }
    }

    /// A header section alone (a bounce's copy of the message it returns, or its `text/rfc822-headers`
    /// part): the fields and what `parse` reads from them (subject, addresses, Message-ID, date,
    /// content type), without a MIME tree or body text. When the bytes hold a body after the
    /// header section, or a raw 8-bit header that is not UTF-8 (then the charset of the header
    /// text is decided with the body's), it is `parse`: the fields are always the values `parse` gives.
    /// `reading` (lower-case field names) limits the fields read to those a caller uses: a returned
    /// message's Date, Content-Type or References cost time and say nothing to a bounce reader.
    public func parseHeaderSection(_ bytes: [UInt8], reading names: Set<String>? = nil) -> Message {
        var m = Message(raw: bytes)
        let read: Bool = bytes.withUnsafeBufferPointer { buf in
            var defects: [String] = []
            let split = HeaderSplitter.split(buf, maxHeaderBytes: options.maxHeaderBytes, defects: &defects)
            guard split.bodyStart >= buf.count else { return false }
            m.headerRange = 0..<split.headerEnd
            m.bodyRange = buf.count..<buf.count
            return readFieldsAlone(&m, HeaderLimits.cut(split.fields, maxLineLength: options.maxLineLength, defects: &defects),
                                   names, defects)
        }
        return read ? m : parse(bytes)
    }

    /// What `parseHeaderSection` reads, from fields a parse has already split (an attached
    /// message's `MIMEPart.headers`): no bytes are split again. Nil when a raw 8-bit header that
    /// is not UTF-8 makes the charset of header text a decision for the whole message (read the
    /// bytes with `parseHeaderSection` then). `raw` of the result is empty.
    public func readHeaderFields(_ headers: [HeaderField], reading names: Set<String>? = nil) -> Message? {
        var m = Message(raw: [])
        return readFieldsAlone(&m, headers, names, []) ? m : nil
    }

    /// The fields of a header section with no body after it, unless one is a legacy 8-bit header.
    private func readFieldsAlone(_ m: inout Message, _ headers: [HeaderField], _ names: Set<String>?,
                                 _ defects: [String]) -> Bool {
        guard !Self.hasLegacyHeader(headers) else { return false }
        m.headers = headers
        var defects = defects
        // No body and no legacy header: nothing for the undeclared-charset decision to pool, so
        // `parse` would read the fields with the configured fallback.
        readFields(&m, fallback: RawCharset(name: options.fallbackCharset, legacy: false), defects: &defects) { f in
            names.map { $0.contains(f.name.lowercased()) } ?? true
        }
        m.defects = Array(defects.prefix(Self.maxDefects))
        return true
    }

    /// One legacy (non-UTF-8) 8-bit header makes ambiguous ones in the same message legacy too.
    static func hasLegacyHeader(_ headers: [HeaderField]) -> Bool {
        // By index: the fields are read in place, not copied (and retained) one by one.
        for i in headers.indices {
            guard let k = KnownField.classify(headers[i].name), k != .date, k != .messageID, k != .inReplyTo, k != .references
            else { continue }
            if headers[i].value.withUnsafeBufferPointer({ !TextDecoder.isASCII($0) && !TextDecoder.isValidUTF8($0) }) { return true }
        }
        return false
    }

    /// The known header fields read into the message (subject, addresses, Message-ID, date, content type).
    private func readFields(_ m: inout Message, fallback: RawCharset, defects: inout [String],
                            wanted: (HeaderField) -> Bool = { _ in true }) {
        var seen = [Bool](repeating: false, count: KnownField.allCases.count)
        for f in m.headers {
            guard let known = KnownField.classify(f.name), wanted(f) else { continue }
            let first = !seen[known.rawValue]
            seen[known.rawValue] = true
            if known.isDecodedText, f.value.withUnsafeBufferPointer({ !TextDecoder.isASCII($0) }) {
                TextDecoder.note("raw 8-bit bytes in the \(f.name) header", &defects)
            }
            switch known {
            case .subject:
                if first { m.subject = EncodedWords.singleLine(EncodedWords.decode(f.value, fallback: fallback, defects: &defects)) }
                else { defects.append("duplicate Subject header") }
            case .from:
                if first { m.from = AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "From") }
                else { defects.append("duplicate From header") }
            case .sender:
                if first { m.sender = AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "Sender") }
                else { defects.append("duplicate Sender header") }
            case .replyTo:
                if first { m.replyTo = AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "Reply-To") }
                else { defects.append("duplicate Reply-To header") }
            case .to:
                m.to += AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "To")
            case .cc:
                m.cc += AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "Cc")
            case .bcc:
                m.bcc += AddressParser.parse(f.value, fallback: fallback, defects: &defects, field: "Bcc")
            case .messageID:
                if first {
                    m.messageID = MessageIDParser.parseList(f.value, defects: &defects, field: "Message-ID").first
                    if m.messageID == nil { defects.append("unreadable Message-ID") }
                } else { defects.append("duplicate Message-ID header") }
            case .inReplyTo:
                if first { m.inReplyTo = MessageIDParser.parseList(f.value, defects: &defects, field: "In-Reply-To") }
                else { defects.append("duplicate In-Reply-To header") }
            case .references:
                m.references += MessageIDParser.parseList(f.value, defects: &defects, field: "References")
            case .date:
                if first {
                    if let d = DateParser.parse(f.value) {
                        m.dateEpochSeconds = d.epochSeconds
                        if !d.hadZone { defects.append("Date without a time zone, taken as UTC") }
                        else if let junk = DateParser.trailingText(f.value) {
                            defects.append("text after the Date's time zone, ignored: \(junk)")
                        }
                    } else {
                        let text = String(decoding: f.value.prefix(80), as: UTF8.self)
                        defects.append("unreadable Date: \(text)")
                    }
                } else { defects.append("duplicate Date header") }
            case .contentType:
                if first { m.contentType = ContentTypeParser.parse(f.value, isDisposition: false, fallback: fallback, defects: &defects) }
                else { defects.append("duplicate Content-Type header") }
            case .contentDisposition:
                if first { m.contentDisposition = ContentTypeParser.parse(f.value, isDisposition: true, fallback: fallback, defects: &defects) }
            case .contentTransferEncoding, .contentID:
                break
            }
        }
    }

    /// A hostile message can have a defect per byte; the list stays readable.
    static let maxDefects = 100

}
