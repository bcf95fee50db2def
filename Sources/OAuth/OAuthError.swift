/// Why getting an OAuth2 access token failed, in words a mail admin can act on. Never
/// contains a token, a client secret or a private key. `exitCode` is the sysexits code.
public enum OAuthError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A person must sign in (again): no token stored, `invalid_grant` (RFC 6749 5.2: the
    /// refresh token was revoked, expired, or the password changed), the device code expired
    /// or was declined (EX_NOPERM, 77).
    case signInNeeded(String)
    /// The authorization server refused the client or the request (`invalid_client`,
    /// `unauthorized_client`, `invalid_scope`, …), with its words (EX_NOPERM, 77).
    case refused(String)
    /// The token endpoint could not be reached or did not answer (EX_TEMPFAIL, 75).
    case unreachable(String)
    /// Worth retrying later: a 5xx answer, `temporarily_unavailable`, an unreadable answer (75).
    case temporary(String)
    /// The settings cannot work: a non-https endpoint, an unreadable key file, a certificate
    /// that does not verify (EX_CONFIG, 78).
    case configuration(String)

    public var exitCode: Int32 {
        switch self {
        case .signInNeeded, .refused: return 77
        case .unreachable, .temporary: return 75
        case .configuration: return 78
        }
    }

    /// The message without the category.
    public var message: String {
        switch self {
        case .signInNeeded(let m), .refused(let m), .unreachable(let m), .temporary(let m), .configuration(let m):
            return m
        }
    }

    public var description: String {
        switch self {
        case .signInNeeded(let m): return "sign-in needed: \(m)"
        case .refused(let m): return "authorization refused: \(m)"
        case .unreachable(let m): return "token endpoint unreachable: \(m)"
        case .temporary(let m): return "temporary failure: \(m)"
        case .configuration(let m): return "configuration error: \(m)"
        }
    }
}
