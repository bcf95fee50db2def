/// RFC 2047 encoded words (B and Q) and raw 8-bit header text (RFC 6532).
///
/// - Encoded words separated only by whitespace are joined without it.
/// - Adjacent words of the same charset are concatenated as bytes before decoding, so a multibyte
///   character split across two words (as many mailers do) comes out whole.
/// - Words are recognised anywhere, also glued to text and inside quoted strings or parameter values
///   (Outlook, Foxmail).
/// - Raw 8-bit text decodes as UTF-8 when the whole value is valid UTF-8, else with the fallback charset.
enum EncodedWords {
    /// Decodes a header value (or a piece of one) to text.
    static func decode(_ bytes: [UInt8], fallback: RawCharset, defects: inout [String]) -> String {
        bytes.withUnsafeBufferPointer { decode($0, fallback: fallback, defects: &defects) }
    }

    static func decode(_ buf: UnsafeBufferPointer<UInt8>, fallback: RawCharset, defects: inout [String]) -> String {
        let n = buf.count
        // Fast path: no "=?" at all.
        var hasEW = false
        if n >= 2 {
            var i = 0
            while i < n - 1 { if buf[i] == 0x3D && buf[i + 1] == 0x3F { hasEW = true; break }; i += 1 }
        }
        if !hasEW { return TextDecoder.decodeRaw(buf, fallback, defects: &defects) }

        var out = ""
        var literalStart = 0
        // The pending run of encoded-word bytes (same charset), not yet decoded.
        var pendingCharset: String? = nil
        var pendingBytes: [UInt8] = []
        var lastWordEnd = -1

        func flushPending() {
            if let cs = pendingCharset {
                out += TextDecoder.decode(pendingBytes, charset: cs, fallback: fallback.name, defects: &defects)
                pendingCharset = nil
                pendingBytes.removeAll(keepingCapacity: true)
            }
        }
        func emitLiteral(_ lo: Int, _ hi: Int) {
            guard lo < hi else { return }
            flushPending()
            out += TextDecoder.decodeRaw(UnsafeBufferPointer(rebasing: buf[lo..<hi]), fallback, defects: &defects)
        }

        var i = 0
        var scanned = 0
        while i < n - 1 {
            guard buf[i] == 0x3D, buf[i + 1] == 0x3F, let word = parseWord(buf, at: i, scanned: &scanned) else { i += 1; continue }
            // Text between the previous word and this one: dropped when it is only whitespace.
            let gapIsSpace = lastWordEnd == literalStart && buf[literalStart..<i].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            if !gapIsSpace { emitLiteral(literalStart, i) }
            var charset = String(decoding: UnsafeBufferPointer(rebasing: buf[word.charset]), as: UTF8.self)
            if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) } // RFC 2231 language
            let decodedBytes = word.isB ? Base64.decodeLenient(UnsafeBufferPointer(rebasing: buf[word.text]))
                                        : QuotedPrintable.decodeQ(UnsafeBufferPointer(rebasing: buf[word.text]))
            if let cs = pendingCharset, cs.caseInsensitiveEquals(charset) {
                pendingBytes.append(contentsOf: decodedBytes)
            } else {
                flushPending()
                pendingCharset = charset
                pendingBytes = decodedBytes
            }
            i = word.end
            literalStart = i
            lastWordEnd = i
        }
        emitLiteral(literalStart, n)
        flushPending()
        return out
    }

    /// Decoded header text made safe to show and to write back into a header: leading and trailing
    /// whitespace trimmed, line breaks (which only encoded words can carry) turned into spaces.
    static func singleLine(_ s: String) -> String {
        var scalars = s.unicodeScalars[...]
        while let c = scalars.first, c.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let c = scalars.last, c.properties.isWhitespace { scalars = scalars.dropLast() }
        if !scalars.contains(where: { $0 == "\r" || $0 == "\n" }) { return String(scalars) }
        var out = String.UnicodeScalarView()
        var lastWasBreak = false
        for c in scalars {
            if c == "\r" || c == "\n" {
                if !lastWasBreak { out.append(" ") }
                lastWasBreak = true
            } else {
                out.append(c)
                lastWasBreak = false
            }
        }
        return String(out)
    }

    static let maxWordText = 4096

    struct Word {
        var charset: Range<Int>
        var isB: Bool
        var text: Range<Int>
        var end: Int
    }

    /// `=?charset?B|Q?text?=` at `start`; nil when the bytes there are not an encoded word.
    /// `scanned`: a position before which a previous failed scan found neither `?=` nor whitespace;
    /// scans that start earlier skip ahead to it, so a header full of `=?` stays linear.
    static func parseWord(_ buf: UnsafeBufferPointer<UInt8>, at start: Int, scanned: inout Int) -> Word? {
        let n = buf.count
        var i = start + 2
        let csStart = i
        while i < n, buf[i] != 0x3F {
            let b = buf[i]
            if b <= 0x20 || b >= 0x7F || b == 0x3D { return nil }
            i += 1
        }
        guard i < n, i > csStart, i + 2 < n else { return nil }
        let csEnd = i
        let enc = buf[i + 1] | 0x20
        guard enc == 0x62 || enc == 0x71, buf[i + 2] == 0x3F else { return nil }
        let textStart = i + 3
        var j = max(textStart, scanned - 1)
        // Real words are at most 75 bytes (RFC 2047); long ones exist, but a bound keeps a hostile
        // header full of "=?" from costing quadratic time.
        let limit = min(n, textStart + maxWordText)
        while j + 1 < limit {
            let b = buf[j]
            if b == 0x3F && buf[j + 1] == 0x3D { return Word(charset: csStart..<csEnd, isB: enc == 0x62, text: textStart..<j, end: j + 2) }
            // Spaces inside a word are wrong but common (`=?utf-8?Q?a b?=`); a line break, or a new
            // word after a space, means this one never ends.
            if b == 0x0D || b == 0x0A { return nil }
            if (b == 0x20 || b == 0x09), j + 2 < n, buf[j + 1] == 0x3D, buf[j + 2] == 0x3F { return nil }
            j += 1
        }
        scanned = max(scanned, j)
        return nil
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        // Native strings: compare the UTF-8 storage directly (the hot path of every header lookup).
        if let r = a.withContiguousStorageIfAvailable({ pa in
            b.withContiguousStorageIfAvailable { pb -> Bool in
                for i in 0..<pa.count {
                    let x = pa[i], y = pb[i]
                    if x == y { continue }
                    let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
                    let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
                    if lx != ly { return false }
                }
                return true
            }
        }), let r { return r }
        for (x, y) in zip(a, b) {
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}
