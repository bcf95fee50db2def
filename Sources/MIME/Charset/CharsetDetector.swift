import CUchardet

/// Guesses for text whose charset nobody declared. ISO-2022-JP/-KR/-CN announce themselves with
/// escape sequences (RFC 1468, RFC 1557, RFC 1922); 8-bit text goes to uchardet (Debian
/// `libuchardet-dev`), but only with enough of it: bookworm's uchardet 0.0.7 gives no confidence
/// and misreads short text (a two-character GBK word as UTF-8, a four-character GBK subject as
/// ISO-8859-7, short Big5 as windows-1252, short Shift_JIS as nothing).
enum CharsetDetector {
    /// Fewer non-ASCII bytes than this are not given to the detector.
    static let minimumNonASCII = 32

    /// The ISO-2022 charset whose designation escapes the 7-bit bytes carry, nil when none does.
    /// JP: `ESC $ @`, `ESC $ B`, `ESC $ ( D|O|Q`, `ESC ( J`, `ESC ( I`; KR: `ESC $ ) C`;
    /// CN: `ESC $ ) A|G|E`, `ESC $ * H`, `ESC $ + I…M`.
    static func iso2022(_ bytes: UnsafeBufferPointer<UInt8>) -> (name: String, kind: CharsetDecoderKind)? {
        let n = bytes.count
        var i = 0
        while i + 2 < n {
            guard bytes[i] == 0x1B else { i += 1; continue }
            let a = bytes[i + 1], b = bytes[i + 2]
            let c: UInt8 = i + 3 < n ? bytes[i + 3] : 0
            if a == 0x24 {                                              // ESC $
                if b == 0x40 || b == 0x42 { return ("ISO-2022-JP", .iso2022jp) }
                if b == 0x28, c == 0x44 || c == 0x4F || c == 0x51 || c == 0x42 { return ("ISO-2022-JP", .iso2022jp) }
                if b == 0x29, c == 0x43 { return ("ISO-2022-KR", .iconv("ISO-2022-KR")) }
                if b == 0x29, c == 0x41 || c == 0x47 || c == 0x45 { return ("ISO-2022-CN", .iconv("ISO-2022-CN-EXT")) }
                if b == 0x2A, c == 0x48 { return ("ISO-2022-CN", .iconv("ISO-2022-CN-EXT")) }
                if b == 0x2B, c >= 0x49 && c <= 0x4D { return ("ISO-2022-CN", .iconv("ISO-2022-CN-EXT")) }
            } else if a == 0x28, b == 0x4A || b == 0x49 {              // ESC ( J, ESC ( I
                return ("ISO-2022-JP", .iso2022jp)
            }
            i += 1
        }
        return nil
    }

    /// uchardet's reading of 8-bit text, as a label the decoders know; nil when it names nothing
    /// usable (nothing, ASCII, a Unicode form the bytes are not).
    static func detect(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, let ud = uchardet_new() else { return nil }
        defer { uchardet_delete(ud) }
        let rc = bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { uchardet_handle_data(ud, $0, b.count) }
        }
        guard rc == 0 else { return nil }
        uchardet_data_end(ud)
        guard let cName = uchardet_get_charset(ud) else { return nil }
        let name = String(cString: cName)
        let upper = name.uppercased()
        guard !name.isEmpty, upper != "ASCII", !upper.hasPrefix("UTF-"), !upper.hasPrefix("X-ISO-10646") else { return nil }
        if let kind = CharsetLabels.resolve(name), kind != .utf8 { return name }
        return IconvCache.current.knownName(name) != nil ? name : nil
    }

    /// How many bytes are not ASCII.
    static func nonASCIICount(_ bytes: [UInt8]) -> Int {
        var n = 0
        for b in bytes where b >= 0x80 { n += 1 }
        return n
    }
}
