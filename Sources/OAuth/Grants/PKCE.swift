import CCrypto

/// Proof Key for Code Exchange (RFC 7636): a random verifier and its S256 challenge.
public struct PKCE: Sendable {
    /// 43 characters of base64url (32 random bytes), RFC 7636 4.1.
    public let verifier: String
    /// BASE64URL(SHA256(verifier)), RFC 7636 4.2.
    public let challenge: String
    public let method = "S256"

    public init() throws(OAuthError) {
        self.init(verifier: Base64URL.encode(try Random.bytes(32)))
    }

    public init(verifier: String) {
        self.verifier = verifier
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(verifier.utf8)
        _ = mg_sha256(bytes, bytes.count, &digest)
        challenge = Base64URL.encode(digest)
    }
}

enum Random {
    static func bytes(_ count: Int) throws(OAuthError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard mg_random_bytes(&out, Int32(count)) == 1 else { throw .temporary("libcrypto could not make random bytes") }
        return out
    }
}

/// base64url without padding (RFC 4648 5), as JWT and PKCE use it.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 4 / 3 + 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], table[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)]]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
