import CCrypto
import Foundation

/// A Google service account key file (the JSON the Cloud console downloads): the fields the
/// JWT bearer grant needs.
public struct ServiceAccountKey: Sendable {
    public var clientEmail: String
    var privateKeyPEM: String
    /// The key file's `token_uri`, when present.
    public var tokenURI: String?

    /// Parses the key file. Errors never quote the file (it holds the private key).
    public init(json: [UInt8]) throws(OAuthError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any] else {
            throw .configuration("the service account key is not JSON")
        }
        guard let email = object["client_email"] as? String, let pem = object["private_key"] as? String,
              pem.contains("PRIVATE KEY") else {
            throw .configuration("the service account key lacks client_email or private_key")
        }
        clientEmail = email
        privateKeyPEM = pem
        tokenURI = object["token_uri"] as? String
    }
}

/// RFC 7523 2.1: a JWT (RFC 7519) signed RS256 with the service account's key, exchanged at
/// the token endpoint; `sub` is the mailbox to act as (Google domain-wide delegation).
enum JWTBearer {
    static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    /// header.claims.signature, valid for `lifetime` seconds from `now`.
    static func assertion(key: ServiceAccountKey, scope: String, subject: String, audience: String,
                          now: Date = Date(), lifetime: TimeInterval = 3600) throws(OAuthError) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        let claims: [String: Any] = ["iss": key.clientEmail, "scope": scope, "aud": audience, "sub": subject,
                                     "iat": issued, "exp": issued + Int(lifetime)]
        guard let claimsJSON = try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]) else {
            throw .configuration("cannot encode the JWT claims")
        }
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claimsJSON))
        var signature = [UInt8](repeating: 0, count: 1024)
        var length = signature.count
        let pem = Array(key.privateKeyPEM.utf8)
        let message = Array(signingInput.utf8)
        let ok = pem.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { mg_rs256_sign($0.baseAddress, $0.count, message, message.count, &signature, &length) }
        }
        guard ok == 1 else { throw .configuration("the service account's private_key is not an unencrypted RSA key libcrypto can read") }
        return signingInput + "." + Base64URL.encode(Array(signature[0..<length]))
    }
}
