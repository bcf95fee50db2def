/// One header field as it appeared: its name as written and its unfolded raw value.
public struct HeaderField: Sendable, Equatable {
    /// The field name as written (ASCII, case kept).
    public let name: String
    /// The value bytes after the colon, unfolded (line breaks removed, the folding whitespace kept),
    /// leading and trailing whitespace trimmed. Not decoded: may hold RFC 2047 words or raw 8-bit.
    public let value: [UInt8]
    /// Where the whole field (name to the end of its last line) lies in the raw message.
    public let range: Range<Int>

    public init(name: String, value: [UInt8], range: Range<Int>) {
        self.name = name
        self.value = value
        self.range = range
    }

    /// The name lower-cased, for comparisons.
    public var lowercasedName: String { name.lowercased() }
}

/// The header fields the parser reads, recognised without allocating.
enum KnownField: Int, CaseIterable {
    case subject, from, sender, replyTo, to, cc, bcc, messageID, inReplyTo, references, date
    case contentType, contentDisposition, contentTransferEncoding, contentID

    var name: String {
        switch self {
        case .subject: return "subject"
        case .from: return "from"
        case .sender: return "sender"
        case .replyTo: return "reply-to"
        case .to: return "to"
        case .cc: return "cc"
        case .bcc: return "bcc"
        case .messageID: return "message-id"
        case .inReplyTo: return "in-reply-to"
        case .references: return "references"
        case .date: return "date"
        case .contentType: return "content-type"
        case .contentDisposition: return "content-disposition"
        case .contentTransferEncoding: return "content-transfer-encoding"
        case .contentID: return "content-id"
        }
    }

    /// Candidates by length, so most names are rejected after one integer compare.
    private static let byLength: [[(KnownField, String)]] = {
        var t = [[(KnownField, String)]](repeating: [], count: 32)
        for k in allCases { t[k.name.utf8.count].append((k, k.name)) }
        return t
    }()

    static func classify(_ name: String) -> KnownField? {
        let n = name.utf8.count
        guard n < byLength.count else { return nil }
        for (k, s) in byLength[n] where name.caseInsensitiveEquals(s) { return k }
        return nil
    }
}

/// Splits the header section of a message: CRLF, bare LF and bare CR line endings, folding, an mbox
/// `From ` envelope line, a section that never ends, and lines that are not headers.
enum HeaderSplitter {
    struct Result {
        var fields: [HeaderField]
        /// Index of the first body byte (after the empty line), or the end of input.
        var bodyStart: Int
        /// Index where the header section ends (before the empty line).
        var headerEnd: Int
    }

    @inline(__always) static func isWSP(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    @inline(__always) static func isFieldNameByte(_ b: UInt8) -> Bool { b >= 33 && b <= 126 && b != 58 }

    static func split(_ buf: UnsafeBufferPointer<UInt8>, maxHeaderBytes: Int, skipEnvelope: Bool = true,
                      defects: inout [String]) -> Result {
        let n = buf.count
        var fields: [HeaderField] = []
        fields.reserveCapacity(24)
        var pos = 0

        // A UTF-8 byte order mark before the first header.
        if n >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { pos = 3 }

        /// End of the line starting at `p` (index of its CR/LF or n) and the start of the next line.
        @inline(__always) func lineEnd(_ p: Int) -> (Int, Int) {
            var i = p
            // Eight bytes at a time while none of them is CR or LF (SWAR zero-byte test).
            if let base = buf.baseAddress {
                let raw = UnsafeRawPointer(base)
                while n - i >= 8 {
                    let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let lf = w ^ 0x0A0A_0A0A_0A0A_0A0A, cr = w ^ 0x0D0D_0D0D_0D0D_0D0D
                    let hit = ((lf &- 0x0101_0101_0101_0101) & ~lf) | ((cr &- 0x0101_0101_0101_0101) & ~cr)
                    if hit & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
            }
            while i < n {
                let b = buf[i]
                if b == 0x0A { return (i, i + 1) }
                if b == 0x0D { return (i, (i + 1 < n && buf[i + 1] == 0x0A) ? i + 2 : i + 1) }
                i += 1
            }
            return (n, n)
        }

        // An mbox envelope line ("From sender date") before the headers.
        if skipEnvelope, pos + 5 <= n, buf[pos] == 0x46, buf[pos + 1] == 0x72, buf[pos + 2] == 0x6F, buf[pos + 3] == 0x6D, buf[pos + 4] == 0x20 {
            pos = lineEnd(pos).1
        }

        // The field being collected: name, start of the field, value pieces.
        var curName: String? = nil
        var curStart = 0
        var curEnd = 0
        var curValue: [UInt8] = []
        var skippingContinuations = false
        var cut = false

        func finish() {
            guard let name = curName else { return }
            // Trim leading and trailing whitespace of the unfolded value.
            var lo = 0, hi = curValue.count
            while lo < hi, isWSP(curValue[lo]) { lo += 1 }
            while hi > lo, isWSP(curValue[hi - 1]) { hi -= 1 }
            let v = (lo == 0 && hi == curValue.count) ? curValue : Array(curValue[lo..<hi])
            fields.append(HeaderField(name: name, value: v, range: curStart..<curEnd))
            curName = nil
        }

        while true {
            if pos >= n {
                finish()
                return Result(fields: fields, bodyStart: n, headerEnd: n)
            }
            if pos > maxHeaderBytes || cut {
                finish()
                defects.append("header section larger than \(maxHeaderBytes) bytes: the rest is taken as body")
                return Result(fields: fields, bodyStart: pos, headerEnd: pos)
            }
            var (end, next) = lineEnd(pos)
            if end > maxHeaderBytes {
                // One line runs past the limit: it is cut there, and the rest of the message is body.
                end = max(pos, maxHeaderBytes)
                next = end
                cut = true
            }
            if end == pos, !cut {
                // The empty line that ends the header section.
                finish()
                return Result(fields: fields, bodyStart: next, headerEnd: pos)
            }
            let first = buf[pos]
            if isWSP(first) {
                if curName != nil {
                    curValue.append(contentsOf: UnsafeBufferPointer(rebasing: buf[pos..<end]))
                    curEnd = next
                } else if !skippingContinuations {
                    defects.append("continuation line without a header field")
                }
                pos = next
                continue
            }
            // field-name ":"
            var i = pos
            while i < end, isFieldNameByte(buf[i]) { i += 1 }
            if i > pos, i < end, buf[i] == 0x3A {
                finish()
                skippingContinuations = false
                curName = String(decoding: UnsafeBufferPointer(rebasing: buf[pos..<i]), as: UTF8.self)
                curStart = pos
                curEnd = next
                curValue.removeAll(keepingCapacity: true)
                curValue.append(contentsOf: UnsafeBufferPointer(rebasing: buf[(i + 1)..<end]))
                pos = next
                continue
            }
            // "Fro :" — a name, whitespace, then a colon. RFC 5322's obsolete syntax would allow it, but
            // Python's email (what Odoo reads mail with) does not take it as a header, and neither do we:
            // the line is dropped with a defect and the header section goes on (the fields after it are
            // real headers more often than not).
            var j = i
            while j < end, isWSP(buf[j]) { j += 1 }
            if i > pos, j > i, j < end, buf[j] == 0x3A {
                finish()
                let text = String(decoding: UnsafeBufferPointer(rebasing: buf[pos..<min(end, pos + 60)]), as: UTF8.self)
                defects.append("not a header line (whitespace before the colon): \(text)")
                skippingContinuations = true
                pos = next
                continue
            }
            // Not a header at all: the header section ended without its empty line; this line is body.
            finish()
            defects.append("missing empty line between header and body")
            return Result(fields: fields, bodyStart: pos, headerEnd: pos)
        }
    }
}
