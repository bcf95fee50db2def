/// Why talking to a mail server failed, in words a mail admin understands. Never contains
/// a secret. `exitCode` is the sysexits code the CLI exits with.
public enum MailSourceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The host name does not resolve (EX_NOHOST, 68).
    case hostNotFound(String)
    /// Worth retrying later: network, timeout, busy server, `[UNAVAILABLE]`, a dropped
    /// connection, a command the server refused for now (EX_TEMPFAIL, 75).
    case temporary(String)
    /// The server refused the login; includes the server's words, never the secret (EX_NOPERM, 77).
    case authenticationFailed(String)
    /// The configuration cannot work as written: certificate verification, no STARTTLS,
    /// a TLS mode that does not match the port, a bad URL (EX_CONFIG, 78).
    case configuration(String)
    /// The server said something the protocol does not allow (EX_TEMPFAIL, 75).
    case protocolViolation(String)
    /// The server answered BAD: it cannot take a command Mailgate sent (EX_SOFTWARE, 70),
    /// with the server's line; retrying the same command will not help.
    case commandRejected(String)

    public var exitCode: Int32 {
        switch self {
        case .hostNotFound: return 68
        case .temporary, .protocolViolation: return 75
        case .authenticationFailed: return 77
        case .configuration: return 78
        case .commandRejected: return 70
        }
    }

    /// The message without the category.
    public var message: String {
        switch self {
        case .hostNotFound(let m), .temporary(let m), .authenticationFailed(let m),
             .configuration(let m), .protocolViolation(let m), .commandRejected(let m):
            return m
        }
    }

    public var description: String {
        switch self {
        case .hostNotFound(let m): return "host not found: \(m)"
        case .temporary(let m): return "temporary failure: \(m)"
        case .authenticationFailed(let m): return "authentication failed: \(m)"
        case .configuration(let m): return "configuration error: \(m)"
        case .protocolViolation(let m): return "protocol violation: \(m)"
        case .commandRejected(let m): return "command rejected: \(m)"
        }
    }

    /// The same error with every occurrence of `secret` (and of its base64 forms in SASL
    /// PLAIN/LOGIN/XOAUTH2 exchanges) replaced by `***`.
    public func redacting(_ secret: String, user: String = "") -> MailSourceError {
        let m = Redactor(secret: secret, user: user).redact(message)
        switch self {
        case .hostNotFound: return .hostNotFound(m)
        case .temporary: return .temporary(m)
        case .authenticationFailed: return .authenticationFailed(m)
        case .configuration: return .configuration(m)
        case .protocolViolation: return .protocolViolation(m)
        case .commandRejected: return .commandRejected(m)
        }
    }
}

/// Removes a secret (and the base64 encodings it travels in) from text meant for people.
struct Redactor {
    let needles: [String]

    init(secret: String, user: String) {
        guard !secret.isEmpty else { needles = []; return }
        var n = [secret, Redactor.base64(Array(secret.utf8))]
        if !user.isEmpty {
            n.append(Redactor.base64(Array("\0\(user)\0\(secret)".utf8)))
            n.append(Redactor.base64(Array("user=\(user)\u{1}auth=Bearer \(secret)\u{1}\u{1}".utf8)))
        }
        n.append(Redactor.base64(Array("\0\0\(secret)".utf8)))
        needles = n.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var t = text
        for needle in needles where t.contains(needle) {
            t = t.replacingAll(needle, with: "***")
        }
        return t
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out = [UInt8]()
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], table[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Foundation-free replacement of every occurrence of `needle`.
    func replacingAll(_ needle: String, with replacement: String) -> String {
        let h = Array(utf8), n = Array(needle.utf8)
        guard !n.isEmpty, h.count >= n.count else { return self }
        var out = [UInt8]()
        out.reserveCapacity(h.count)
        var i = 0
        while i < h.count {
            if i + n.count <= h.count && h[i] == n[0] && Array(h[i..<(i + n.count)]) == n {
                out += replacement.utf8
                i += n.count
            } else {
                out.append(h[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
