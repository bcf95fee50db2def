#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Bytes in a named charset → String. ASCII and UTF-8 never touch iconv; windows-1252 (and with it
/// iso-8859-1 and us-ascii, per WHATWG) is a table here; ISO-2022-JP is unwrapped here into
/// EUC-JP-MS (which carries the CP50220 NEC/IBM extensions such as ①); everything else goes
/// through glibc iconv with one descriptor per charset per thread (iconv_t is not thread-safe).
///
/// Invalid input never throws: each bad sequence becomes one U+FFFD and a defect is reported.
public enum TextDecoder {
    /// Decodes `bytes` labelled `label` (nil: no label). An unknown label decodes as UTF-8 when the
    /// bytes are valid UTF-8, else as `fallback`.
    public static func decode<C: Collection>(_ bytes: C, charset label: String?, fallback: String = "gb18030",
                                             defects: inout [String]) -> String where C.Element == UInt8 {
        if let fast = bytes.withContiguousStorageIfAvailable({ decode($0, charset: label, fallback: fallback, defects: &defects) }) {
            return fast
        }
        let copy = Array(bytes)
        return copy.withUnsafeBufferPointer { decode($0, charset: label, fallback: fallback, defects: &defects) }
    }

    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, charset label: String?, fallback: String,
                              defects: inout [String]) -> String {
        let kind: CharsetDecoderKind
        if let label, !label.isEmpty {
            if let k = CharsetLabels.resolve(label) {
                // us-ascii whose bytes say otherwise (ISO-2022 escapes, 8-bit UTF-8).
                if k == .windows1252 {
                    if isPlainASCII(bytes) { return asciiString(bytes) }
                    if isASCIILabel(label) { return decodeUndeclared(bytes, charset: "windows-1252", labelled: label, defects: &defects) }
                }
                kind = k
            } else if let iconvName = IconvCache.current.knownName(label) {
                // Not a WHATWG label, but a charset glibc knows (cp850, ibm437, armscii-8, viscii…).
                kind = .iconv(iconvName)
            } else {
                if isASCII(bytes) { return asciiString(bytes) }
                defects.append("unknown charset \"\(label)\"")
                if isValidUTF8(bytes) { return asciiOrUTF8(bytes) }
                kind = CharsetLabels.resolve(fallback) ?? .iconv("GB18030")
            }
        } else {
            return decodeUndeclared(bytes, charset: fallback, labelled: nil, defects: &defects)
        }
        return decode(bytes, kind: kind, name: label ?? fallback, defects: &defects)
    }

    /// Text whose charset is missing (or `us-ascii`, named by `labelled`) read by what its bytes
    /// say: ISO-2022-JP/-KR/-CN by their escape sequences, UTF-8 when valid, else `charset` (for
    /// unlabelled text the message's decision, `UndeclaredCharset`, which records its own defect).
    /// Each guess made here leaves a defect.
    static func decodeUndeclared(_ bytes: UnsafeBufferPointer<UInt8>, charset: String, labelled: String?,
                                 defects: inout [String]) -> String {
        let what = labelled.map { "text labelled \($0)" } ?? "text without a declared charset"
        if isASCII(bytes) {
            guard hasEscape(bytes), let iso = CharsetDetector.iso2022(bytes) else { return asciiString(bytes) }
            note("\(what) read as \(iso.name) (its escape sequences)", &defects)
            return decode(bytes, kind: iso.kind, name: iso.name, defects: &defects)
        }
        if isValidUTF8(bytes) {
            note("8-bit \(what) read as UTF-8", &defects)
            return asciiOrUTF8(bytes)
        }
        if labelled != nil { note("8-bit \(what) read as \(charset)", &defects) }
        let kind = CharsetLabels.resolve(charset) ?? IconvCache.current.knownName(charset).map { .iconv($0) } ?? .iconv("GB18030")
        return decode(bytes, kind: kind, name: charset, defects: &defects)
    }

    static func note(_ defect: String, _ defects: inout [String]) {
        if !defects.contains(defect) { defects.append(defect) }
    }

    /// `us-ascii` and its aliases: a label that promises 7-bit text.
    static func isASCIILabel(_ label: String) -> Bool {
        let l = label.trimmingWhitespaceAndQuotes().lowercased()
        return ["us-ascii", "ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "csascii"].contains(l)
    }

    @inline(__always)
    static func hasEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        return memchr(base, 0x1B, bytes.count) != nil
    }

    /// ASCII without an escape byte: nothing to guess.
    @inline(__always)
    static func isPlainASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(bytes) && !hasEscape(bytes)
    }

    /// Raw 8-bit header bytes read by `policy`: UTF-8 when valid (and, in a legacy message, when it
    /// is not only two-byte sequences that the fallback reads as well), else the fallback charset.
    static func decodeRaw(_ bytes: UnsafeBufferPointer<UInt8>, _ policy: RawCharset, defects: inout [String]) -> String {
        if isASCII(bytes) {
            // ISO-2022 text written raw into a header announces itself with its escapes.
            guard hasEscape(bytes), let iso = CharsetDetector.iso2022(bytes) else { return asciiString(bytes) }
            note("raw header text read as \(iso.name) (its escape sequences)", &defects)
            return decode(bytes, kind: iso.kind, name: iso.name, defects: &defects)
        }
        if isValidUTF8(bytes) {
            let kind = CharsetLabels.resolve(policy.name) ?? .iconv("GB18030")
            // Ambiguous only for a double-byte fallback: GBK pairs such as D6 B0 (职) are valid
            // two-byte UTF-8 too, Latin-1 text almost never is. The message has legacy 8-bit headers,
            // so the fallback wins when it reads these bytes cleanly.
            guard policy.legacy, !hasLongUTF8Sequence(bytes), case .iconv(let iconvName) = kind,
                  doubleByte.contains(iconvName) else { return asciiOrUTF8(bytes) }
            var trial: [String] = []
            let text = decode(bytes, kind: kind, name: policy.name, defects: &trial)
            return trial.isEmpty ? text : asciiOrUTF8(bytes)
        }
        let kind = CharsetLabels.resolve(policy.name) ?? .iconv("GB18030")
        return decode(bytes, kind: kind, name: policy.name, defects: &defects)
    }

    static let doubleByte: Set<String> = ["GB18030", "BIG5-HKSCS", "CP932", "EUC-JP-MS", "CP949"]

    /// A three- or four-byte UTF-8 lead byte: evidence that valid UTF-8 really is UTF-8.
    static func hasLongUTF8Sequence(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.contains { $0 >= 0xE0 }
    }

    /// Raw 8-bit header bytes (RFC 6532): UTF-8 when valid, else the fallback charset.
    public static func decodeRaw(_ bytes: UnsafeBufferPointer<UInt8>, fallback: String, defects: inout [String]) -> String {
        if isASCII(bytes) { return asciiString(bytes) }
        if isValidUTF8(bytes) { return asciiOrUTF8(bytes) }
        let kind = CharsetLabels.resolve(fallback) ?? .iconv("GB18030")
        return decode(bytes, kind: kind, name: fallback, defects: &defects)
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, kind: CharsetDecoderKind, name: String,
                       defects: inout [String]) -> String {
        switch kind {
        case .utf8:
            if isASCII(bytes) { return asciiString(bytes) }
            if isValidUTF8(bytes) { return asciiOrUTF8(bytes) }
            defects.append("invalid byte sequence for charset \(name)")
            return String(decoding: bytes, as: UTF8.self)
        case .windows1252:
            if isASCII(bytes) { return asciiString(bytes) }
            return windows1252(bytes)
        case .iso2022jp:
            if !bytes.contains(0x1B), isASCII(bytes) { return asciiString(bytes) }
            return decodeISO2022JP(bytes, name: name, defects: &defects)
        case .iconv(let iconvName):
            // ASCII-compatible charsets (all but UTF-16/32, UTF-7 and the ISO-2022 family) decode ASCII as itself.
            if isASCII(bytes), !iconvName.hasPrefix("UTF-"), !iconvName.hasPrefix("ISO-2022") {
                return asciiString(bytes)
            }
            return IconvCache.current.convert(bytes, from: iconvName, name: name, defects: &defects)
        }
    }

    // MARK: fast paths

    @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var i = 0
        let n = bytes.count
        // 8 bytes at a time.
        while i + 8 <= n {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if w & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n { if base[i] >= 0x80 { return false }; i += 1 }
        return true
    }

    @inline(__always)
    static func asciiString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    static func asciiOrUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            var need = 0
            var min: UInt32 = 0
            var cp: UInt32 = 0
            if b & 0xE0 == 0xC0 { need = 1; cp = UInt32(b & 0x1F); min = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; cp = UInt32(b & 0x0F); min = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; cp = UInt32(b & 0x07); min = 0x10000 }
            else { return false }
            if i + need >= n { return false }
            for k in 1...need {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 { return false }
                cp = (cp << 6) | UInt32(c & 0x3F)
            }
            if cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { return false }
            i += need + 1
        }
        return true
    }

    // MARK: windows-1252

    private static let cp1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 3) { out in
            var n = 0
            for b in bytes {
                let v: UInt16 = (b >= 0x80 && b < 0xA0) ? cp1252High[Int(b) - 0x80] : UInt16(b)
                if v < 0x80 {
                    out[n] = UInt8(v); n += 1
                } else if v < 0x800 {
                    out[n] = UInt8(0xC0 | (v >> 6)); out[n + 1] = UInt8(0x80 | (v & 0x3F)); n += 2
                } else {
                    out[n] = UInt8(0xE0 | (v >> 12)); out[n + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
                    out[n + 2] = UInt8(0x80 | (v & 0x3F)); n += 3
                }
            }
            return n
        }
    }

    // MARK: ISO-2022-JP (CP50220)

    /// ISO-2022-JP as Microsoft's CP50220/50221 writes it: JIS X 0208 plus the NEC row 13 (①, ㈱)
    /// and IBM extensions, half-width katakana by `ESC ( I` or SO/SI, JIS X 0212 by `ESC $ ( D`.
    /// glibc's ISO-2022-JP rejects the extensions, so the escapes are unwrapped here into EUC-JP-MS,
    /// whose tables hold them, and that is decoded by iconv.
    static func decodeISO2022JP(_ bytes: UnsafeBufferPointer<UInt8>, name: String, defects: inout [String]) -> String {
        enum Mode { case ascii, jis0208, jis0212, katakana }
        var mode = Mode.ascii
        var shifted = false
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        // EUC-JP-MS runs; one U+FFFD goes between consecutive runs (a bad sequence ends a run).
        var runs: [[UInt8]] = []
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x1B {
                func at(_ k: Int) -> UInt8 { i + k < n ? bytes[i + k] : 0 }
                if at(1) == 0x28 && (at(2) == 0x42 || at(2) == 0x4A || at(2) == 0x48) { mode = .ascii; i += 3; continue }
                if at(1) == 0x28 && at(2) == 0x49 { mode = .katakana; i += 3; continue }
                if at(1) == 0x24 && (at(2) == 0x40 || at(2) == 0x42) { mode = .jis0208; i += 3; continue }
                if at(1) == 0x24 && at(2) == 0x28 && (at(3) == 0x42 || at(3) == 0x40 || at(3) == 0x51 || at(3) == 0x4F) {
                    mode = .jis0208; i += 4; continue
                }
                if at(1) == 0x24 && at(2) == 0x28 && at(3) == 0x44 { mode = .jis0212; i += 4; continue }
                // An escape this decoder does not know: one replacement, then ASCII.
                runs.append(out); out.removeAll(keepingCapacity: true)
                i += 1
                mode = .ascii
                continue
            }
            if b == 0x0E { shifted = true; i += 1; continue }
            if b == 0x0F { shifted = false; i += 1; continue }
            if b == 0x0A || b == 0x0D { mode = .ascii; out.append(b); i += 1; continue }
            if b >= 0x80 { runs.append(out); out.removeAll(keepingCapacity: true); i += 1; continue }
            if shifted {
                if b >= 0x21 && b <= 0x5F { out.append(0x8E); out.append(b | 0x80) } else { out.append(b) }
                i += 1; continue
            }
            switch mode {
            case .ascii:
                out.append(b); i += 1
            case .katakana:
                if b >= 0x21 && b <= 0x5F { out.append(0x8E); out.append(b | 0x80) } else { out.append(b) }
                i += 1
            case .jis0208, .jis0212:
                if b < 0x21 || b > 0x7E { out.append(b); i += 1; continue }
                guard i + 1 < n, bytes[i + 1] >= 0x21, bytes[i + 1] <= 0x7E else {
                    runs.append(out); out.removeAll(keepingCapacity: true); i += 1; continue
                }
                if mode == .jis0212 { out.append(0x8F) }
                out.append(b | 0x80); out.append(bytes[i + 1] | 0x80)
                i += 2
            }
        }
        runs.append(out)
        var result = ""
        for (k, run) in runs.enumerated() {
            if k > 0 { result += "\u{FFFD}" }
            result += run.withUnsafeBufferPointer { IconvCache.current.convert($0, from: "EUC-JP-MS", name: name, defects: &defects) }
        }
        if runs.count > 1 { defects.append("invalid byte sequence for charset \(name) (\(runs.count - 1) replaced)") }
        return result
    }
}

/// How raw 8-bit header bytes of one message are read.
struct RawCharset: Sendable {
    /// The fallback charset label.
    var name: String
    /// Some decoded header of the message has 8-bit bytes that are not UTF-8.
    var legacy: Bool = false
}

/// One iconv descriptor per source charset, per thread.
final class IconvCache {
    private var descriptors: [String: iconv_t] = [:]
    private var failed: Set<String> = []

    private static let key = "mailgate.MIME.IconvCache"

    static var current: IconvCache {
        let dict = Thread.current.threadDictionary
        if let c = dict[key] as? IconvCache { return c }
        let c = IconvCache()
        dict[key] = c
        return c
    }

    deinit {
        for (_, cd) in descriptors { iconv_close(cd) }
    }

    /// The iconv name for a label outside the WHATWG table, when glibc can decode it.
    func knownName(_ label: String) -> String? {
        let name = label.trimmingWhitespaceAndQuotes().uppercased()
        guard !name.isEmpty, name.count <= 40,
              name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E || $0 == 0x3A }),
              descriptor(name) != nil else { return nil }
        return name
    }

    private func descriptor(_ from: String) -> iconv_t? {
        if let cd = descriptors[from] { return cd }
        if failed.contains(from) { return nil }
        let cd = iconv_open("UTF-8", from)
        if cd == iconv_t(bitPattern: -1) { if failed.count < 512 { failed.insert(from) }; return nil }
        descriptors[from] = cd
        return cd
    }

    func convert(_ bytes: UnsafeBufferPointer<UInt8>, from: String, name: String, defects: inout [String]) -> String {
        if bytes.isEmpty { return "" }
        guard let cd = descriptor(from) else {
            defects.append("charset \(name) is not available, decoded as UTF-8")
            return String(decoding: bytes, as: UTF8.self)
        }
        _ = iconv(cd, nil, nil, nil, nil) // reset shift state
        var output = [UInt8](repeating: 0, count: bytes.count * 3 + 16)
        var produced = 0
        var replacements = 0
        var inPtr = UnsafeMutablePointer<CChar>(mutating: UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self))
        var inLeft = bytes.count
        while true {
            if output.count - produced < 16 { output.append(contentsOf: repeatElement(0, count: output.count)) }
            let outCap = output.count - produced
            var outLeft = outCap
            let rc: Int = output.withUnsafeMutableBufferPointer { ob -> Int in
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ob.baseAddress! + produced).assumingMemoryBound(to: CChar.self)
                var ip: UnsafeMutablePointer<CChar>? = inPtr
                let r = iconv(cd, &ip, &inLeft, &outPtr, &outLeft)
                inPtr = ip!
                return r
            }
            produced += outCap - outLeft
            if rc != -1 {
                // Flush any pending shift state.
                if output.count - produced < 16 { output.append(contentsOf: repeatElement(0, count: 16)) }
                var flushLeft = output.count - produced
                let before = flushLeft
                output.withUnsafeMutableBufferPointer { ob in
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ob.baseAddress! + produced).assumingMemoryBound(to: CChar.self)
                    _ = iconv(cd, nil, nil, &outPtr, &flushLeft)
                }
                produced += before - flushLeft
                break
            }
            let err = errno
            if err == E2BIG { output.append(contentsOf: repeatElement(0, count: output.count)); continue }
            // EILSEQ or EINVAL: one U+FFFD for the bad sequence, skip a byte, go on.
            if output.count - produced < 3 { output.append(contentsOf: repeatElement(0, count: 16)) }
            output[produced] = 0xEF; output[produced + 1] = 0xBF; output[produced + 2] = 0xBD
            produced += 3
            replacements += 1
            _ = iconv(cd, nil, nil, nil, nil)
            if err == EINVAL { break }
            inPtr += 1
            inLeft -= 1
            if inLeft == 0 { break }
        }
        if replacements > 0 {
            defects.append("invalid byte sequence for charset \(name) (\(replacements) replaced)")
        }
        return output.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<produced]), as: UTF8.self) }
    }
}
