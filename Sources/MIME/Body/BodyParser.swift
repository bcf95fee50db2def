#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The MIME tree of a message: multipart bodies split at their boundaries (RFC 2046), embedded
/// message/rfc822 parsed, limits on depth and part count (a hostile message cannot make it recurse
/// or allocate without bound).
struct BodyParser {
    let options: ParserOptions
    /// How raw 8-bit bytes in part headers are read (the message's decision).
    let raw: RawCharset
    let buf: UnsafeBufferPointer<UInt8>
    var defects: [String]
    var partCount = 0
    /// Transfer-decoded bytes still allowed (`ParserOptions.maxDecodedBytes`), shared with BodyDecoder.
    var decodedBudget: Int
    var budgetReported = false

    init(options: ParserOptions, raw: RawCharset, buf: UnsafeBufferPointer<UInt8>, defects: [String]) {
        self.options = options
        self.raw = raw
        self.buf = buf
        self.defects = defects
        self.decodedBudget = options.maxDecodedBytes
    }

    /// Takes `wanted` bytes from the decoding budget; returns how many may be decoded.
    mutating func spend(_ wanted: Int) -> Int {
        let allowed = min(wanted, max(0, decodedBudget))
        decodedBudget -= allowed
        if allowed < wanted, !budgetReported {
            budgetReported = true
            defects.append("more than \(options.maxDecodedBytes) decoded bytes: the rest is truncated")
        }
        return allowed
    }

    /// Transfer-decodes `body` within the decoding budget: whole, or streamed to `chunk` (then the
    /// result is empty); returns the bytes and the decoded size.
    mutating func decode(_ body: UnsafeBufferPointer<UInt8>, _ decoding: TransferDecoding,
                         chunk: ((UnsafeRawBufferPointer) -> Void)? = nil) -> (bytes: [UInt8], size: Int) {
        let allowed = spend(decoding.maxDecodedSize(body.count))
        var bytes: [UInt8] = []
        let size: Int
        if let chunk { size = decoding.stream(body, limit: allowed, chunk: chunk) } else {
            bytes = decoding.decode(body, limit: allowed)
            size = bytes.count
        }
        decodedBudget += allowed - size   // the estimate was an upper bound
        return (bytes, size)
    }

    /// Builds a part from already-split headers.
    mutating func makePart(headers: [HeaderField], range: Range<Int>, bodyRange: Range<Int>, depth: Int,
                           defaultType: ContentType) -> MIMEPart {
        partCount += 1
        var ct: ContentType? = nil
        var cd: ContentType? = nil
        var cte: String? = nil
        var cid: String? = nil
        for f in headers {
            switch KnownField.classify(f.name) {
            case .contentType? where ct == nil:
                let parsed = ContentTypeParser.parse(f.value, isDisposition: false, fallback: raw, defects: &defects)
                if parsed.type.isEmpty || parsed.subtype.isEmpty {
                    defects.append("invalid Content-Type: \(String(decoding: f.value.prefix(60), as: UTF8.self))")
                } else {
                    ct = parsed
                }
            case .contentDisposition? where cd == nil:
                cd = ContentTypeParser.parse(f.value, isDisposition: true, fallback: raw, defects: &defects)
            case .contentTransferEncoding? where cte == nil:
                let v = String(decoding: f.value, as: UTF8.self).lowercased()
                cte = v.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" || $0 == "(" }).first.map(String.init) ?? v
            case .contentID? where cid == nil:
                var ignored: [String] = []
                cid = MessageIDParser.parseList(f.value, defects: &ignored, field: "Content-ID").first.map { String($0.dropFirst().dropLast()) }
            default: break
            }
        }
        var part = MIMEPart(headers: headers, contentType: ct ?? defaultType, contentDisposition: cd,
                            transferEncoding: cte, contentID: cid, range: range, bodyRange: bodyRange,
                            children: [], depth: depth)
        if depth >= options.maxDepth {
            if part.isMultipart || part.contentType.mimeType == "message/rfc822" {
                defects.append("MIME nesting deeper than \(options.maxDepth): the rest is not parsed")
            }
            return part
        }
        if part.isMultipart {
            part.children = splitMultipart(part, depth: depth)
        } else if part.contentType.mimeType == "message/rfc822" || part.contentType.mimeType == "message/global" {
            let decoding = TransferDecoding(cte)
            if partCount >= options.maxParts || bodyRange.isEmpty {
                // Nothing to parse, or no parts left.
            } else if decoding != .identity {
                // An encoded embedded message: decoded into its own buffer, parsed there.
                let bytes = decode(UnsafeBufferPointer(rebasing: buf[bodyRange]), decoding).bytes
                if !bytes.isEmpty {
                    var sub = BodyParser(options: options, raw: raw, buf: buf, defects: [])
                    let child: MIMEPart = bytes.withUnsafeBufferPointer { eb in
                        sub = BodyParser(options: options, raw: raw, buf: eb, defects: defects)
                        sub.partCount = partCount
                        sub.decodedBudget = decodedBudget
                        sub.budgetReported = budgetReported
                        return sub.parseEmbedded(0..<eb.count, depth: depth + 1)
                    }
                    defects = sub.defects
                    partCount = sub.partCount
                    decodedBudget = sub.decodedBudget
                    budgetReported = sub.budgetReported
                    part.children = [child]
                    part.encapsulated = bytes
                }
            } else {
                part.children = [parseEmbedded(bodyRange, depth: depth + 1)]
            }
        }
        return part
    }

    mutating func parseEmbedded(_ range: Range<Int>, depth: Int) -> MIMEPart {
        parsePart(range, depth: depth, defaultType: ContentType(type: "text", subtype: "plain"))
    }

    /// A part (its own header section and body) that lies in `range`.
    mutating func parsePart(_ range: Range<Int>, depth: Int, defaultType: ContentType) -> MIMEPart {
        var d: [String] = []
        let split = HeaderSplitter.split(UnsafeBufferPointer(rebasing: buf[range]), maxHeaderBytes: options.maxHeaderBytes,
                                         skipEnvelope: false, defects: &d)
        defects += d
        let lo = range.lowerBound
        let headers = HeaderLimits.cut(split.fields, maxLineLength: options.maxLineLength, defects: &defects).map {
            HeaderField(name: $0.name, value: $0.value, range: ($0.range.lowerBound + lo)..<($0.range.upperBound + lo))
        }
        return makePart(headers: headers, range: range, bodyRange: (split.bodyStart + lo)..<range.upperBound,
                        depth: depth, defaultType: defaultType)
    }

    /// The parts of a multipart body.
    mutating func splitMultipart(_ part: MIMEPart, depth: Int) -> [MIMEPart] {
        guard let boundaryString = part.contentType.parameter("boundary"), !boundaryString.isEmpty else {
            defects.append("multipart without a boundary parameter")
            return []
        }
        let boundary = Array(boundaryString.utf8)
        let childDefault = part.contentType.subtype == "digest"
            ? ContentType(type: "message", subtype: "rfc822") : ContentType(type: "text", subtype: "plain")
        var children: [MIMEPart] = []
        var pos = part.bodyRange.lowerBound
        let end = part.bodyRange.upperBound
        var partStart: Int? = nil   // start of the current part's content
        var closed = false
        let delimiter = [0x2D, 0x2D] + boundary
        while pos < end {
            // Candidates by memmem (fast over large attachments); a delimiter starts a line and is
            // followed by "--" (close), optional whitespace, and the end of its line.
            guard let at = find(delimiter, from: pos, to: end) else { break }
            pos = at + 1
            guard at == part.bodyRange.lowerBound || buf[at - 1] == 0x0A || buf[at - 1] == 0x0D else { continue }
            var k = at + delimiter.count
            var isClose = false
            if k + 2 <= end, buf[k] == 0x2D, buf[k + 1] == 0x2D { isClose = true; k += 2 }
            while k < end, buf[k] == 0x20 || buf[k] == 0x09 { k += 1 }
            var next = k
            if k < end {
                guard buf[k] == 0x0A || buf[k] == 0x0D else { continue }
                next = (buf[k] == 0x0D && k + 1 < end && buf[k + 1] == 0x0A) ? k + 2 : k + 1
            }
            if let s = partStart {
                // The line break before the delimiter belongs to the delimiter.
                let e = droppingLineBreak(s, at)
                // Two delimiters in a row enclose nothing: no part (as Python's email reads it).
                if e > s, addChild(&children, s..<e, depth: depth, defaultType: childDefault) == false { return children }
            }
            if isClose { closed = true; break }
            partStart = next
            pos = next
        }
        if !closed {
            if let s = partStart {
                defects.append("multipart close delimiter missing (boundary \(boundaryString))")
                // The last line break belongs to the delimiter that never came (as Python's email reads it).
                let e = droppingLineBreak(s, end)
                if e > s { _ = addChild(&children, s..<e, depth: depth, defaultType: childDefault) }
            } else {
                defects.append("multipart boundary \(boundaryString) not found")
            }
        }
        return children
    }

    private mutating func addChild(_ children: inout [MIMEPart], _ range: Range<Int>, depth: Int, defaultType: ContentType) -> Bool {
        if partCount >= options.maxParts {
            defects.append("more than \(options.maxParts) MIME parts: the rest is not parsed")
            return false
        }
        children.append(parsePart(range, depth: depth + 1, defaultType: defaultType))
        return true
    }

    /// `end` moved back over one line break (CRLF, LF or CR), not before `start`.
    private func droppingLineBreak(_ start: Int, _ end: Int) -> Int {
        var e = end
        if e > start, buf[e - 1] == 0x0A { e -= 1; if e > start, buf[e - 1] == 0x0D { e -= 1 } }
        else if e > start, buf[e - 1] == 0x0D { e -= 1 }
        return e
    }

    /// The first occurrence of `needle` (which starts with "--") in buf[from..<to]: memchr for the
    /// first byte, memcmp for the rest.
    private func find(_ needle: [UInt8], from: Int, to: Int) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let n = needle.count
        var p = from
        return needle.withUnsafeBytes { nb -> Int? in
            while to - p >= n {
                guard let hit = memchr(base + p, Int32(needle[0]), to - p - n + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                if memcmp(base + at, nb.baseAddress!, n) == 0 { return at }
                p = at + 1
            }
            return nil
        }
    }
}

/// `ParserOptions.maxLineLength` applied to header fields.
enum HeaderLimits {
    static func cut(_ fields: [HeaderField], maxLineLength: Int, defects: inout [String]) -> [HeaderField] {
        guard fields.contains(where: { $0.value.count > maxLineLength }) else { return fields }
        return fields.map { f in
            guard f.value.count > maxLineLength else { return f }
            defects.append("header field \(f.name.prefix(40)) longer than \(maxLineLength) bytes: cut")
            return HeaderField(name: f.name, value: Array(f.value.prefix(max(0, maxLineLength))), range: f.range)
        }
    }
}
