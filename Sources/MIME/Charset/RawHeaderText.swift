/// How the parser reads raw 8-bit header bytes, for code that rewrites a message and must
/// agree with `MIMEParser` (the Odoo target turns them into UTF-8 before a push).
public enum RawHeaderText {
    /// Whether the message's decoded header fields hold 8-bit bytes that are not UTF-8 — the
    /// parser then reads ambiguous (two-byte, valid UTF-8) header bytes as the fallback charset.
    /// Same rule as `MIMEParser`.
    public static func isLegacy(_ headers: [HeaderField]) -> Bool {
        for f in headers {
            guard let k = KnownField.classify(f.name), k != .date, k != .messageID, k != .inReplyTo, k != .references else { continue }
            if f.value.withUnsafeBufferPointer({ !TextDecoder.isASCII($0) && !TextDecoder.isValidUTF8($0) }) { return true }
        }
        return false
    }

    /// `bytes` read as the parser reads raw header text: UTF-8 when valid (unless `legacy` and
    /// the fallback reads the two-byte sequences cleanly), else `fallback` (a WHATWG label).
    /// ASCII (RFC 2047 words included) passes unchanged.
    public static func decode(_ bytes: [UInt8], fallback: String, legacy: Bool) -> String {
        var ignored: [String] = []
        return bytes.withUnsafeBufferPointer {
            TextDecoder.decodeRaw($0, RawCharset(name: fallback, legacy: legacy), defects: &ignored)
        }
    }
}
