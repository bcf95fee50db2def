/// A Content-Type or Content-Disposition value: the type (or disposition) and its parameters,
/// RFC 2231 and RFC 2047 decoded.
public struct ContentType: Equatable, Sendable {
    /// Lower-cased `type`, e.g. `text` (for a disposition: `attachment`, `inline`).
    public var type: String
    /// Lower-cased subtype, e.g. `plain` (empty for a disposition).
    public var subtype: String
    /// Parameters in order, names lower-cased, values decoded.
    public var parameters: [(name: String, value: String)]

    public init(type: String, subtype: String, parameters: [(name: String, value: String)] = []) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    public var mimeType: String { subtype.isEmpty ? type : "\(type)/\(subtype)" }

    /// The first parameter of that name (case-insensitive).
    public func parameter(_ name: String) -> String? {
        let low = name.lowercased()
        return parameters.first { $0.name == low }?.value
    }

    public static func == (l: ContentType, r: ContentType) -> Bool {
        l.type == r.type && l.subtype == r.subtype && l.parameters.count == r.parameters.count
            && zip(l.parameters, r.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

enum ContentTypeParser {
    static func parse(_ v: [UInt8], isDisposition: Bool, fallback: RawCharset, defects: inout [String]) -> ContentType {
        let n = v.count
        var i = 0
        func skipSpaceAndComments() {
            while i < n {
                if v[i] == 0x20 || v[i] == 0x09 || v[i] == 0x0D || v[i] == 0x0A { i += 1; continue }
                if v[i] == 0x28 {
                    var depth = 0
                    while i < n {
                        if v[i] == 0x28 { depth += 1 } else if v[i] == 0x29 { depth -= 1; if depth == 0 { i += 1; break } }
                        i += 1
                    }
                    continue
                }
                break
            }
        }
        func lower(_ s: ArraySlice<UInt8>) -> String {
            String(decoding: s.map { ($0 >= 65 && $0 <= 90) ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        skipSpaceAndComments()
        var st = i
        while i < n, v[i] != 0x2F, v[i] != 0x3B, v[i] != 0x20, v[i] != 0x09, v[i] != 0x28 { i += 1 }
        let type = lower(v[st..<i])
        var subtype = ""
        skipSpaceAndComments()
        if !isDisposition, i < n, v[i] == 0x2F {
            i += 1
            skipSpaceAndComments()
            st = i
            while i < n, v[i] != 0x3B, v[i] != 0x20, v[i] != 0x09, v[i] != 0x28 { i += 1 }
            subtype = lower(v[st..<i])
        }

        // Parameters: raw (name, value bytes, was quoted).
        var raw: [(name: String, value: [UInt8])] = []
        while i < n {
            skipSpaceAndComments()
            if i < n, v[i] == 0x3B { i += 1; continue }
            if i >= n { break }
            st = i
            while i < n, v[i] != 0x3D, v[i] != 0x3B, v[i] != 0x20, v[i] != 0x09 { i += 1 }
            let name = lower(v[st..<i])
            skipSpaceAndComments()
            guard i < n, v[i] == 0x3D else {
                if !name.isEmpty { defects.append("parameter without a value: \(name)") }
                continue
            }
            i += 1
            skipSpaceAndComments()
            var value: [UInt8] = []
            if i < n, v[i] == 0x22 {
                i += 1
                while i < n, v[i] != 0x22 {
                    // A backslash escapes the next byte, except before the closing quote of a Windows path
                    // such as "C:\dir\" — there it is kept literally.
                    if v[i] == 0x5C, i + 1 < n, !(v[i + 1] == 0x22 && (i + 2 >= n || v[i + 2] == 0x3B)) { value.append(v[i + 1]); i += 2; continue }
                    value.append(v[i]); i += 1
                }
                if i < n { i += 1 } else { defects.append("unterminated quoted parameter: \(name)") }
            } else {
                st = i
                while i < n, v[i] != 0x3B { i += 1 }
                var e = i
                // A trailing comment after whitespace: `format=flowed (comment)`.
                if let open = v[st..<e].firstIndex(of: 0x28), open > st, v[open - 1] == 0x20 || v[open - 1] == 0x09 { e = open }
                while e > st, v[e - 1] == 0x20 || v[e - 1] == 0x09 { e -= 1 }
                value = Array(v[st..<e])
            }
            if !name.isEmpty { raw.append((name, value)) }
        }
        return ContentType(type: type, subtype: subtype,
                           parameters: RFC2231.combine(raw, fallback: fallback, defects: &defects))
    }
}

/// RFC 2231: `name*=charset'lang'%XX…`, continuations `name*0*=`, `name*1=` concatenated as bytes
/// before decoding (a multibyte character may be split between two sections).
enum RFC2231 {
    static func combine(_ raw: [(name: String, value: [UInt8])], fallback: RawCharset, defects: inout [String]) -> [(name: String, value: String)] {
        // The common case, no RFC 2231 sections: no dictionaries (first of a repeated name wins).
        if !raw.contains(where: { $0.name.utf8.contains(0x2A) }) {
            var out: [(name: String, value: String)] = []
            out.reserveCapacity(raw.count)
            for (name, value) in raw where !out.contains(where: { $0.name == name }) {
                out.append((name, EncodedWords.decode(value, fallback: fallback, defects: &defects)))
            }
            return out
        }
        struct Sections { var parts: [(index: Int, extended: Bool, bytes: [UInt8])] = [] }
        var order: [String] = []
        var plain: [String: [UInt8]] = [:]
        var sections: [String: Sections] = [:]
        for (name, value) in raw {
            guard let star = name.firstIndex(of: "*") else {
                if plain[name] == nil { plain[name] = value; if sections[name] == nil { order.append(name) } }
                continue
            }
            let base = String(name[..<star])
            var rest = name[name.index(after: star)...]
            var extended = false
            if rest.hasSuffix("*") { extended = true; rest = rest.dropLast() }
            let index: Int
            if rest.isEmpty { index = 0; extended = true } else if let k = Int(rest) { index = k } else { continue }
            if sections[base] == nil && plain[base] == nil { order.append(base) }
            sections[base, default: Sections()].parts.append((index, extended, value))
        }
        var out: [(name: String, value: String)] = []
        for name in order {
            if let s = sections[name] {
                let parts = s.parts.sorted { $0.index < $1.index }
                var charset: String? = nil
                var bytes: [UInt8] = []
                for (k, p) in parts.enumerated() {
                    var v = p.bytes[...]
                    if p.extended && k == 0 {
                        // charset'language'value
                        if let q1 = v.firstIndex(of: 0x27), let q2 = v[(q1 + 1)...].firstIndex(of: 0x27) {
                            let cs = String(decoding: v[..<q1], as: UTF8.self)
                            if !cs.isEmpty { charset = cs }
                            v = v[(q2 + 1)...]
                        }
                    }
                    if p.extended { bytes.append(contentsOf: percentDecode(v)) } else { bytes.append(contentsOf: v) }
                }
                let text: String
                if let charset {
                    text = TextDecoder.decode(bytes, charset: charset, fallback: fallback.name, defects: &defects)
                } else {
                    text = EncodedWords.decode(bytes, fallback: fallback, defects: &defects)
                }
                out.append((name, text))
            } else if let v = plain[name] {
                // Encoded words inside parameter values (Outlook, Foxmail) and raw 8-bit values.
                out.append((name, EncodedWords.decode(v, fallback: fallback, defects: &defects)))
            }
        }
        return out
    }

    static func percentDecode(_ v: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(v.count)
        var i = v.startIndex
        while i < v.endIndex {
            if v[i] == 0x25, let b = QuotedPrintable.hexPair(v, i + 1) {
                out.append(b); i += 3
            } else { out.append(v[i]); i += 1 }
        }
        return out
    }
}
