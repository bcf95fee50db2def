/// The rule for authorization server URLs: https, or http only to a loopback host
/// (RFC 6749 3.1 and 3.2 require TLS; RFC 8252 7.3 allows loopback).
public enum EndpointURL {
    /// The host of an `http(s)://host[:port]/…` URL (brackets of an IPv6 literal removed).
    public static func host(of url: String) -> String? {
        guard let sep = url.range(of: "://") else { return nil }
        var rest = url[sep.upperBound...]
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        if let colon = rest.firstIndex(of: ":") { rest = rest[..<colon] }
        return rest.isEmpty ? nil : String(rest)
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// nil when `url` may be used, else why not (for a configuration error naming the key).
    public static func problem(with url: String) -> String? {
        let lower = url.lowercased()
        guard let host = host(of: url) else { return "\"\(url)\" is not an http(s) URL" }
        if lower.hasPrefix("https://") { return nil }
        if lower.hasPrefix("http://") {
            return isLoopback(host) ? nil : "\"\(url)\" must be https (http only to a loopback address such as 127.0.0.1)"
        }
        return "\"\(url)\" is not an http(s) URL"
    }
}
