import Foundation

/// What a token endpoint hands out (RFC 6749 5.1). Printing it never shows a token.
public struct OAuthToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessToken: String
    /// nil when the server gave none (client credentials, JWT bearer), or kept the old one.
    public var refreshToken: String?
    /// When the access token stops working (now + `expires_in`, default 1 h).
    public var expiresAt: Date
    public var scope: String?

    public init(accessToken: String, refreshToken: String?, expiresAt: Date, scope: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scope = scope
    }

    public var description: String {
        "access token (hidden) valid until \(expiresAt)\(refreshToken == nil ? "" : ", refresh token (hidden)")"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["token": description]) }
}

/// An error answer of the token endpoint (RFC 6749 5.2, RFC 8628 3.5): `error` and its
/// description, which are safe to show.
public struct OAuthErrorResponse: Error, Sendable, Equatable {
    public var error: String
    public var description: String?
    public var status: Int

    /// `invalid_grant: AADSTS70000 …`
    public var text: String { description.map { "\(error): \($0)" } ?? error }
}
