/// `application/x-www-form-urlencoded` (the token endpoint's body, RFC 6749 Appendix B) and
/// the query of a redirect URL.
public enum FormEncoding {
    /// Percent-encodes everything but RFC 3986 unreserved characters (space is `%20`).
    public static func escape(_ text: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF")
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out.append("%")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
        return out
    }

    /// `a=1&b=x%20y`, in the order given.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// The pairs of a query string (`+` is a space; invalid escapes are kept as they are).
    public static func decode(_ query: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(parts[0])
            if result[key] == nil { result[key] = parts.count > 1 ? unescape(parts[1]) : "" }
        }
        return result
    }

    /// The query parameters of a URL (`http://127.0.0.1:8400/?code=…&state=…`), or of a bare
    /// query (`code=…&state=…`); a fragment is ignored.
    public static func queryParameters(of url: String) -> [String: String] {
        var text = Substring(url)
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        if let question = text.firstIndex(of: "?") { return decode(text[text.index(after: question)...]) }
        return text.contains("=") && !text.contains("/") ? decode(text) : [:]
    }

    static func unescape(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), utf8.count >= 2,
                      let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
