/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for
/// itself except "&", which is "&-"; everything else is UTF-16 in modified base64
/// (',' instead of '/', no padding) between "&" and "-".
public enum ModifiedUTF7 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    public static func encode(_ name: String) -> String {
        var out: [UInt8] = []
        var pending: [UInt16] = []

        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            out.append(UInt8(ascii: "&"))
            var index = 0
            while index < bytes.count {
                let b0 = bytes[index]
                let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
                let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
                out.append(alphabet[Int(b0 >> 2)])
                out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
                if index + 1 < bytes.count { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
                if index + 2 < bytes.count { out.append(alphabet[Int(b2 & 0x3F)]) }
                index += 3
            }
            out.append(UInt8(ascii: "-"))
            pending.removeAll()
        }

        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out.append(UInt8(scalar.value))
                if scalar == "&" { out.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: Array(String(scalar).utf16))
            }
        }
        flush()
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a name as servers send it. Returns nil for malformed input (the caller may
    /// then show the raw name).
    public static func decode(_ encoded: String) -> String? {
        let bytes = Array(encoded.utf8)
        var result = ""
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&") else {
                guard byte >= 0x20 && byte <= 0x7E else { return nil }
                result.unicodeScalars.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            if end == index + 1 {
                result += "&"
                index = end + 1
                continue
            }
            var bits: UInt32 = 0
            var bitCount = 0
            var units: [UInt16] = []
            var unitBytes: [UInt8] = []
            for char in bytes[(index + 1)..<end] {
                let value = reverse[Int(char)]
                guard value >= 0 else { return nil }
                bits = bits << 6 | UInt32(value)
                bitCount += 6
                if bitCount >= 8 {
                    bitCount -= 8
                    unitBytes.append(UInt8((bits >> UInt32(bitCount)) & 0xFF))
                    if unitBytes.count == 2 {
                        units.append(UInt16(unitBytes[0]) << 8 | UInt16(unitBytes[1]))
                        unitBytes.removeAll()
                    }
                }
            }
            guard unitBytes.isEmpty, !units.isEmpty else { return nil }
            let decoded = String(decoding: units, as: UTF16.self)
            // Reject unpaired surrogates: a lossless round trip through UTF-16 must hold.
            guard Array(decoded.utf16) == units else { return nil }
            result += decoded
            index = end + 1
        }
        return result
    }
}
