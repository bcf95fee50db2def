/// The authorization servers Mailgate knows, and the endpoints and scopes each one uses for
/// IMAP/POP3 access.
public enum OAuthProvider: String, Sendable, CaseIterable {
    /// Microsoft Entra ID (Exchange Online): `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/…`.
    case microsoft
    /// Google (Gmail, Google Workspace).
    case google
    /// Any other server: every URL and the scopes come from the configuration.
    case generic

    /// Entra's tenant placeholder for work accounts of any tenant (delegated sign-in only).
    public static let defaultTenant = "organizations"

    /// The preset endpoints (nil for `generic`).
    public func endpoints(tenant: String) -> (token: String, device: String, authorization: String)? {
        switch self {
        case .microsoft:
            let base = "https://login.microsoftonline.com/\(FormEncoding.escape(tenant))/oauth2/v2.0"
            return ("\(base)/token", "\(base)/devicecode", "\(base)/authorize")
        case .google:
            return ("https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/device/code",
                    "https://accounts.google.com/o/oauth2/v2/auth")
        case .generic:
            return nil
        }
    }

    /// The preset scopes for `grant` (nil for `generic`). Microsoft delegated access asks for
    /// IMAP and POP and `offline_access` (a refresh token); app-only asks for `.default`
    /// (the permissions an administrator granted: IMAP.AccessAsApp / POP.AccessAsApp).
    public func scopes(for grant: OAuthClient.Grant) -> [String]? {
        switch self {
        case .microsoft:
            if grant == .clientCredentials { return ["https://outlook.office365.com/.default"] }
            return ["https://outlook.office365.com/IMAP.AccessAsUser.All",
                    "https://outlook.office365.com/POP.AccessAsUser.All", "offline_access"]
        case .google:
            return ["https://mail.google.com/"]
        case .generic:
            return nil
        }
    }

    /// The host name of the loopback redirect: Entra registers `http://localhost` for public
    /// clients (any port); Google and RFC 8252 8.3 prefer the IP literal.
    public var loopbackHost: String { self == .microsoft ? "localhost" : "127.0.0.1" }
}
