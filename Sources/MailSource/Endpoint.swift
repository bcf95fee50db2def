/// Time limits of one mail server conversation, in seconds.
public struct Timeouts: Sendable, Hashable {
    /// TCP connect + TLS handshake + greeting + login (libcurl's connection phase).
    public var connect: Double
    /// The longest wait for the server's next bytes once connected (any command's answer).
    public var command: Double
    /// A transfer slower than 1 byte/s for this long is abandoned (libcurl's low-speed limit,
    /// applied to the connection phase; after it `command` bounds every wait).
    public var lowSpeed: Double
    /// The poll interval of the scheduler (and the longest IMAP IDLE wait).
    public var poll: Double

    public init(connect: Double = 30, command: Double = 120, lowSpeed: Double = 60, poll: Double = 300) {
        self.connect = connect
        self.command = command
        self.lowSpeed = lowSpeed
        self.poll = poll
    }

    public static let `default` = Timeouts()
}

/// What to connect to, and how. `url` renders the libcurl URL.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        case imap, imaps, pop3, pop3s

        public var isIMAP: Bool { self == .imap || self == .imaps }
        public var isPOP3: Bool { !isIMAP }
        /// Implicit TLS (the `s` schemes).
        public var isImplicitTLS: Bool { self == .imaps || self == .pop3s }
        public var defaultPort: Int {
            switch self {
            case .imap: return 143
            case .imaps: return 993
            case .pop3: return 110
            case .pop3s: return 995
            }
        }
    }

    /// The SASL mechanism. `.auto` lets libcurl pick the best one the server offers
    /// (for POP3 without SASL: USER/PASS). The secret of `.xoauth2`, `.oauthbearer` and
    /// `.oauth2` is an OAuth2 access token: `.oauthbearer` is RFC 7628, `.oauth2` takes
    /// OAUTHBEARER when the server offers it, else XOAUTH2.
    ///
    /// libcurl 7.88 sends OAUTHBEARER whenever the server offers it, even for `.xoauth2`.
    public enum Auth: String, Sendable, Hashable, CaseIterable {
        case auto, plain, login, xoauth2, oauthbearer, oauth2
    }

    /// `.implicit`: TLS from the first byte (imaps/pop3s); `.starttls`: STARTTLS/STLS is
    /// required (the connection fails if the server does not offer it); `.none`: plaintext.
    public enum TLS: String, Sendable, Hashable, CaseIterable {
        case implicit, starttls, none
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int
    /// IMAP folder (ignored for POP3).
    public var folder: String
    public var user: String
    public var auth: Auth
    public var tls: TLS
    /// PEM file of the certificates to trust. Replaces (does not add to) the system roots.
    public var caFile: String?
    /// `false` turns off certificate and host name verification (never the default).
    public var verifyTLS: Bool
    /// Any proxy URL libcurl understands (`socks5h://host:1080`, `http://host:3128`).
    public var proxy: String?
    public var timeouts: Timeouts

    /// `port` defaults to the scheme's; TLS is `.implicit` for imaps/pop3s and `.starttls`
    /// for imap/pop3.
    public init(scheme: Scheme, host: String, port: Int? = nil, folder: String = "INBOX",
                user: String, auth: Auth = .auto, caFile: String? = nil,
                verifyTLS: Bool = true, proxy: String? = nil, timeouts: Timeouts = .default) {
        self.init(scheme: scheme, host: host, port: port, folder: folder, user: user, auth: auth,
                  tls: scheme.isImplicitTLS ? .implicit : .starttls, caFile: caFile,
                  verifyTLS: verifyTLS, proxy: proxy, timeouts: timeouts)
    }

    /// With an explicit TLS mode (a non-optional parameter, so that `.none` means `TLS.none`).
    public init(scheme: Scheme, host: String, port: Int? = nil, folder: String = "INBOX",
                user: String, auth: Auth = .auto, tls: TLS, caFile: String? = nil,
                verifyTLS: Bool = true, proxy: String? = nil, timeouts: Timeouts = .default) {
        self.scheme = scheme
        self.host = host
        self.port = port ?? scheme.defaultPort
        self.folder = folder
        self.user = user
        self.auth = auth
        self.tls = tls
        self.caFile = caFile
        self.verifyTLS = verifyTLS
        self.proxy = proxy
        self.timeouts = timeouts
    }

    /// The scheme libcurl is given: `tls` decides between the plain and the `s` scheme
    /// (`.implicit` → imaps/pop3s, otherwise imap/pop3), `scheme` decides the protocol.
    public var urlScheme: Scheme {
        switch (scheme.isIMAP, tls == .implicit) {
        case (true, true): return .imaps
        case (true, false): return .imap
        case (false, true): return .pop3s
        case (false, false): return .pop3
        }
    }

    /// `imaps://mail.example.com:993/INBOX`, `pop3://[::1]:110/`. The user is not part of the
    /// URL (it goes to CURLOPT_USERNAME), nor is any secret.
    public var url: String {
        var hostPart = host
        if host.contains(":") && !host.hasPrefix("[") { hostPart = "[\(host)]" }
        let path = scheme.isIMAP ? Endpoint.percentEncodePath(folder) : ""
        return "\(urlScheme.rawValue)://\(hostPart):\(port)/\(path)"
    }

    /// `user@host:port (imaps)` — for messages; never contains a secret.
    public var description: String {
        "\(user)@\(host):\(port) (\(urlScheme.rawValue)\(tls == .starttls ? "+starttls" : ""))"
    }

    /// host:port, for messages.
    public var address: String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func percentEncodePath(_ s: String) -> String {
        var out = ""
        let hex: [Character] = Array("0123456789ABCDEF")
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out.append("%")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
        return out
    }
}
