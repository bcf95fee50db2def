/// Base64 that forgives: characters outside the alphabet (line breaks, spaces, junk) are skipped,
/// missing padding is fine, decoding stops at the first '='.
///
/// The body decoders work on borrowed bytes (a range of `Message.raw`) and can stream: `decode(_:chunk:)`
/// hands out the decoded bytes a block at a time, so an attachment is hashed and measured without ever
/// being held in memory as a whole.
public enum Base64 {
    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    public static func decodeLenient<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        if let r = input.withContiguousStorageIfAvailable({ decodeLenient($0) }) { return r }
        return Array(input).withUnsafeBufferPointer { decodeLenient($0) }
    }

    public static func decodeLenient(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let cap = input.count / 4 * 3 + 3
        return [UInt8](unsafeUninitializedCapacity: cap) { out, count in
            var d = Decoder()
            count = d.decode(input, into: out.baseAddress!)
            count += d.finish(into: out.baseAddress! + count)
        }
    }

    /// Streams the decoded bytes in blocks of at most `blockSize` bytes; returns the decoded size.
    /// `limit` stops early (the result is then `limit`); the input is never copied.
    @discardableResult
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, limit: Int = .max, blockSize: Int = 1 << 16,
                              chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        let inBlock = blockSize / 3 * 4
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: inBlock / 4 * 3 + 8) { out in
            var d = Decoder()
            var total = 0
            var pos = 0
            while pos < input.count, !d.done, total < limit {
                let n = min(inBlock, input.count - pos)
                var got = d.decode(UnsafeBufferPointer(rebasing: input[pos..<(pos + n)]), into: out.baseAddress!)
                pos += n
                if pos >= input.count || d.done { got += d.finish(into: out.baseAddress! + got) }
                got = min(got, limit - total)
                if got > 0 { chunk(UnsafeRawBufferPointer(start: out.baseAddress!, count: got)) }
                total += got
            }
            if !d.done, total < limit {
                let got = min(d.finish(into: out.baseAddress!), limit - total)
                if got > 0 { chunk(UnsafeRawBufferPointer(start: out.baseAddress!, count: got)) }
                total += got
            }
            return total
        }
    }

    /// The decoder's state between blocks: up to three pending sextets.
    struct Decoder {
        var acc: UInt32 = 0
        var bits = 0
        var done = false

        /// Decodes `input` into `out` (room for input.count / 4 * 3 + 3 bytes); returns the bytes written.
        mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
            guard !done, let base = input.baseAddress else { return 0 }
            let n = input.count
            var i = 0, o = 0
            Base64.table.withUnsafeBufferPointer { t in
                while i < n {
                    // Fast path: four alphabet characters at once when nothing is pending.
                    if bits == 0 {
                        while n - i >= 4 {
                            let a = UInt32(t[Int(base[i])]), b = UInt32(t[Int(base[i + 1])])
                            let c = UInt32(t[Int(base[i + 2])]), e = UInt32(t[Int(base[i + 3])])
                            if (a | b | c | e) & 0x80 != 0 { break }
                            let v = a << 18 | b << 12 | c << 6 | e
                            out[o] = UInt8(truncatingIfNeeded: v >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: v)
                            o += 3; i += 4
                        }
                        if i >= n { break }
                    }
                    let ch = base[i]
                    i += 1
                    if ch == 0x3D { done = true; break }
                    let v = t[Int(ch)]
                    if v == 0xFF { continue }
                    acc = (acc << 6) | UInt32(v)
                    bits += 6
                    if bits == 24 {
                        out[o] = UInt8(truncatingIfNeeded: acc >> 16)
                        out[o + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                        out[o + 2] = UInt8(truncatingIfNeeded: acc)
                        o += 3; bits = 0; acc = 0
                    }
                }
            }
            return o
        }

        /// The bytes still held (a final group without padding); at most two.
        mutating func finish(into out: UnsafeMutablePointer<UInt8>) -> Int {
            defer { acc = 0; bits = 0; done = true }
            switch bits {
            case 12: out[0] = UInt8(truncatingIfNeeded: acc >> 4); return 1
            case 18: out[0] = UInt8(truncatingIfNeeded: acc >> 10); out[1] = UInt8(truncatingIfNeeded: acc >> 2); return 2
            default: return 0   // 6 bits make no byte
            }
        }
    }
}

public enum QuotedPrintable {
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// The RFC 2047 "Q" encoding: `_` is a space, `=XX` a byte; a stray `=` stays as it is.
    static func decodeQ<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            let b = input[i]
            if b == 0x5F { out.append(0x20); i += 1; continue }
            if b == 0x3D, let v = hexPair(input, i + 1) { out.append(v); i += 3; continue }
            out.append(b); i += 1
        }
        return out
    }

    /// The byte written as two hex digits at `i`, if there are two there.
    @inline(__always) static func hexPair<C: Collection>(_ input: C, _ i: Int) -> UInt8? where C.Element == UInt8, C.Index == Int {
        guard i + 1 < input.endIndex, let h = hexValue(input[i]), let l = hexValue(input[i + 1]) else { return nil }
        return h << 4 | l
    }

    /// Body quoted-printable (RFC 2045): soft line breaks (`=` at the end of a line, also before bare
    /// LF or CR), `=XX` bytes; a malformed `=` stays literally.
    public static func decode<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        if let r = input.withContiguousStorageIfAvailable({ decode($0) }) { return r }
        return Array(input).withUnsafeBufferPointer { decode($0) }
    }

    public static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { out, count in
            count = decode(input, into: out.baseAddress!)
        }
    }

    /// Streams the decoded bytes in blocks; returns the decoded size (at most `limit`).
    @discardableResult
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, limit: Int = .max, blockSize: Int = 1 << 16,
                              chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockSize + 4) { out in
            var total = 0
            var pos = 0
            while pos < input.count, total < limit {
                var e = min(input.count, pos + blockSize)
                // Never split an escape or a soft break: end the block after a line break when possible.
                if e < input.count {
                    var k = e
                    while k > pos, input[k - 1] != 0x0A { k -= 1 }
                    if k > pos { e = k } else {
                        // One very long line: back off from a trailing '=' and its two following bytes.
                        for j in max(pos, e - 2)..<e where input[j] == 0x3D { e = j; break }
                        if e == pos { e = min(input.count, pos + blockSize) }
                    }
                }
                var got = decode(UnsafeBufferPointer(rebasing: input[pos..<e]), into: out.baseAddress!)
                got = min(got, limit - total)
                if got > 0 { chunk(UnsafeRawBufferPointer(start: out.baseAddress!, count: got)) }
                total += got
                pos = e
            }
            return total
        }
    }

    /// Decodes into `out` (room for input.count bytes); returns the bytes written.
    static func decode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = input.baseAddress else { return 0 }
        let end = input.count
        var i = 0, o = 0
        while i < end {
            let b = base[i]
            if b != 0x3D { out[o] = b; o += 1; i += 1; continue }
            // Soft line break: "=" then optional trailing whitespace then a line ending.
            var j = i + 1
            while j < end, base[j] == 0x20 || base[j] == 0x09 { j += 1 }
            if j == end { i = j; continue }
            if base[j] == 0x0D { i = (j + 1 < end && base[j + 1] == 0x0A) ? j + 2 : j + 1; continue }
            if base[j] == 0x0A { i = j + 1; continue }
            if i + 2 < end, let h = hexValue(base[i + 1]), let l = hexValue(base[i + 2]) {
                out[o] = h << 4 | l; o += 1; i += 3; continue
            }
            out[o] = b; o += 1; i += 1
        }
        return o
    }
}

/// The transfer decoding of a part body, streaming or whole.
enum TransferDecoding {
    case base64, quotedPrintable, identity

    init(_ cte: String?) {
        switch cte {
        case let c? where c.hasPrefix("base64"): self = .base64
        case let c? where c.hasPrefix("quoted-printable"): self = .quotedPrintable
        default: self = .identity   // 7bit, 8bit, binary, unknown
        }
    }

    /// Streams the decoded body; returns its size (at most `limit`).
    @discardableResult
    func stream(_ body: UnsafeBufferPointer<UInt8>, limit: Int = .max, chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        switch self {
        case .base64: return Base64.decode(body, limit: limit, chunk: chunk)
        case .quotedPrintable: return QuotedPrintable.decode(body, limit: limit, chunk: chunk)
        case .identity:
            let n = min(body.count, limit)
            if n > 0 { chunk(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(body)[0..<n])) }
            return n
        }
    }

    /// An upper bound of the decoded size (what a decoding budget is charged before decoding).
    func maxDecodedSize(_ encoded: Int) -> Int {
        self == .base64 ? encoded / 4 * 3 + 3 : encoded
    }

    func decode(_ body: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> [UInt8] {
        var out: [UInt8]
        switch self {
        case .base64: out = Base64.decodeLenient(body)
        case .quotedPrintable: out = QuotedPrintable.decode(body)
        case .identity: out = Array(body.prefix(limit))
        }
        if out.count > limit { out.removeLast(out.count - limit) }
        return out
    }
}

/// A transfer decoder that streams from borrowed bytes (`Base64`, `QuotedPrintable`).
public protocol StreamingTransferDecoder {
    @discardableResult
    static func decode(_ input: UnsafeBufferPointer<UInt8>, limit: Int, blockSize: Int, chunk: (UnsafeRawBufferPointer) -> Void) -> Int
}

// Borrowed-storage entry points: an ArraySlice of `Message.raw` or a Span decodes in place, never copied.
extension StreamingTransferDecoder {
    @discardableResult
    public static func decode(_ input: ArraySlice<UInt8>, limit: Int = .max, chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        input.withUnsafeBufferPointer { decode($0, limit: limit, blockSize: 1 << 16, chunk: chunk) }
    }

    @discardableResult
    public static func decode(_ input: Span<UInt8>, limit: Int = .max, chunk: (UnsafeRawBufferPointer) -> Void) -> Int {
        input.withUnsafeBufferPointer { decode($0, limit: limit, blockSize: 1 << 16, chunk: chunk) }
    }
}

extension Base64: StreamingTransferDecoder {}
extension QuotedPrintable: StreamingTransferDecoder {}
