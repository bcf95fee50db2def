/// How to reach one Odoo database (`[odoo.NAME]` in the config).
public struct OdooServer: Equatable, Sendable {
    /// Which wire protocol to speak.
    public enum ProtocolChoice: String, Equatable, Sendable, CaseIterable {
        /// `GET /web/version` once: version ≥ 19 → JSON-2, else XML-RPC.
        case auto
        case json2
        case xmlrpc
    }

    public var name: String
    /// Base URL without a trailing slash, e.g. `https://erp.acme.test`.
    public var url: String
    /// `X-Odoo-Database` (JSON-2); the `db` argument of XML-RPC calls.
    public var database: String?
    /// The XML-RPC login (JSON-2 needs only the key).
    public var user: String?
    /// The API key (never logged, never in an error).
    public var apiKey: String
    public var protocolChoice: ProtocolChoice
    /// Seconds for one request.
    public var timeout: Double
    public var caFile: String?
    public var verifyTLS: Bool

    public init(name: String, url: String, database: String?, user: String?, apiKey: String,
                protocolChoice: ProtocolChoice = .auto, timeout: Double = 60, caFile: String? = nil, verifyTLS: Bool = true) {
        self.name = name
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        self.url = url
        self.database = database
        self.user = user
        self.apiKey = apiKey
        self.protocolChoice = protocolChoice
        self.timeout = timeout
        self.caFile = caFile
        self.verifyTLS = verifyTLS
    }
}

/// The protocol a server is spoken to with.
public enum OdooProtocol: String, Equatable, Sendable {
    /// `POST /json/2/<model>/<method>` (Odoo 19+).
    case json2
    /// `/xmlrpc/2/common` + `/xmlrpc/2/object` (Odoo 14–21; deprecated in 19, removed in 22).
    case xmlrpc
}
