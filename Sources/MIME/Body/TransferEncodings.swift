/// Base64 that forgives: characters outside the alphabet (line breaks, spaces, junk) are skipped,
/// missing padding is fine, decoding stops at the first '='.
public enum Base64 {
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    public static func decodeLenient<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4 + 3)
        var acc: UInt32 = 0
        var bits = 0
        table.withUnsafeBufferPointer { t in
            for c in input {
                if c == 0x3D { break }
                let v = t[Int(c)]
                if v == 0xFF { continue }
                acc = (acc << 6) | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                }
            }
        }
        return out
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
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            let b = input[i]
            if b == 0x3D {
                // Soft line break: "=" then optional trailing whitespace then a line ending.
                var j = i + 1
                while j < end, input[j] == 0x20 || input[j] == 0x09 { j += 1 }
                if j == end { i = j; continue }
                if input[j] == 0x0D { i = (j + 1 < end && input[j + 1] == 0x0A) ? j + 2 : j + 1; continue }
                if input[j] == 0x0A { i = j + 1; continue }
                if let v = hexPair(input, i + 1) { out.append(v); i += 3; continue }
                out.append(b); i += 1; continue
            }
            out.append(b); i += 1
        }
        return out
    }
}
