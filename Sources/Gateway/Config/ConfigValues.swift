import Foundation

/// The value grammars of `mailgate.toml`: durations, sizes, mailbox URLs, key suggestions.
/// Each returns nil or a reason; the loader adds file, alias and key.
enum ConfigValues {
    /// `"90d"`, `"5m"`, `"1h30m"`, `"45s"`, `"300"` → seconds. Units s, m, h, d.
    static func duration(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        if let seconds = Int64(trimmed), seconds >= 0 { return TimeInterval(seconds) }
        var total: Int64 = 0
        var number: Int64? = nil
        for scalar in trimmed.unicodeScalars {
            if ("0"..."9").contains(scalar) {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int64(scalar.value - 48))
                if o1 || o2 { return nil }
                number = sum
                continue
            }
            let unit: Int64
            switch scalar {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            default: return nil
            }
            guard let value = number else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            if overflow { return nil }
            total += product
            number = nil
        }
        return number == nil ? TimeInterval(total) : nil
    }

    /// `"25MB"` (10^6), `"10MiB"` (2^20), `"512KB"`, `"1GiB"`, `"1000"`, `"1000 bytes"` → bytes.
    static func size(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multiplier: Int64
        switch unit {
        case "", "b", "byte", "bytes": multiplier = 1
        case "kb": multiplier = 1_000
        case "mb": multiplier = 1_000_000
        case "gb": multiplier = 1_000_000_000
        case "kib": multiplier = 1 << 10
        case "mib": multiplier = 1 << 20
        case "gib": multiplier = 1 << 30
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    struct MailboxURL: Equatable {
        var scheme: AliasConfig.Scheme
        var host: String
        var port: Int
        var folder: String
    }

    /// `imaps://host[:port]/FOLDER` (folder percent-decoded, default INBOX).
    static func mailboxURL(_ text: String) -> Result<MailboxURL, URLProblem> {
        guard let separator = text.range(of: "://") else { return .failure(.notAURL) }
        guard let scheme = AliasConfig.Scheme(rawValue: text[..<separator.lowerBound].lowercased()) else {
            return .failure(.scheme(String(text[..<separator.lowerBound])))
        }
        let rest = text[separator.upperBound...]
        if rest.contains("?") || rest.contains("#") { return .failure(.queryOrFragment) }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        if authority.contains("@") { return .failure(.userInfo) }
        var host = Substring(authority)
        var portText: Substring? = nil
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.host) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return .failure(.host) }
            host = host[..<host.index(after: close)]
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace }) else { return .failure(.host) }
        var port = scheme.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return .failure(.port(String(portText))) }
            port = value
        }
        var path = rest[slash...].dropFirst()  // without the leading "/"
        while path.hasSuffix("/") { path = path.dropLast() }
        guard let folder = String(path).removingPercentEncoding else { return .failure(.percentEncoding) }
        let isIMAP = scheme == .imap || scheme == .imaps
        if !isIMAP, !folder.isEmpty, folder.uppercased() != "INBOX" { return .failure(.pop3Folder(folder)) }
        return .success(MailboxURL(scheme: scheme, host: host.lowercased(), port: port,
                                   folder: folder.isEmpty || !isIMAP ? "INBOX" : folder))
    }

    enum URLProblem: Error, Equatable {
        case notAURL, scheme(String), queryOrFragment, userInfo, host, port(String), percentEncoding, pop3Folder(String)

        var message: String {
            switch self {
            case .notAURL: return "is not a URL like imaps://imap.example.com/INBOX"
            case .scheme(let scheme): return "scheme \"\(scheme)\" is not one of imap, imaps, pop3, pop3s"
            case .queryOrFragment: return "a folder name with ? or # must be percent-encoded (%3F, %23)"
            case .userInfo: return "put the user name in the key \"user\" and the password in a password key, not in the URL"
            case .host: return "has no valid host name"
            case .port(let port): return "port \"\(port)\" is not a number from 1 to 65535"
            case .percentEncoding: return "the folder has invalid percent-encoding"
            case .pop3Folder(let folder): return "POP3 has no folders (\"\(folder)\"): use pop3://host or an imap:// URL"
            }
        }
    }

    /// The known key closest to `key` when it is a plausible typo.
    static func suggestion(for key: String, among known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored else { return nil }
        return distance <= max(2, best.count / 3) ? best : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
