/// An Odoo server version as `/web/version` (`version`) or XML-RPC `common.version()`
/// (`server_version`) spell it: "17.0", "saas~17.2", "18.0+e", "19.0".
public struct OdooVersion: Equatable, Sendable, CustomStringConvertible {
    /// 17 in "saas~17.2".
    public var major: Int
    /// As the server said it.
    public var text: String

    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("saas~") { rest = rest.dropFirst(5) }
        guard let major = Int(rest.prefix { $0.isNumber }) else { return nil }
        self.major = major
        self.text = text
    }

    public var description: String { "Odoo \(text)" }

    /// Odoo 19 and later serve the JSON-2 API (`/json/2/<model>/<method>`).
    public var offersJSON2: Bool { major >= 19 }
    /// Odoo 17 and later keep alias domains as `mail.alias.domain` records; 14–16 as the
    /// `mail.catchall.domain` system parameter.
    public var hasAliasDomainModel: Bool { major >= 17 }
}
