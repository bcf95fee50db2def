/// `[doctor]`: what `mailgate doctor` checks beyond the aliases themselves.
public struct DoctorConfig: Equatable, Sendable {
    /// `nameserver`: the DNS server asked instead of the system's (`/etc/resolv.conf`), an IP
    /// address with an optional port: `"127.0.0.1:5353"`, `"[::1]:53"`, `"192.0.2.1"`.
    public var nameserver: String?
    /// `spf_include`: senders the domain's SPF record must authorise, as their SPF domains
    /// (`_spf.odoo.com`, `_spf.google.com`, `spf.protection.outlook.com`).
    public var spfInclude: [String] = []
    /// `dkim_selectors`: DKIM selectors that must be published at `SELECTOR._domainkey.DOMAIN`
    /// (`odoo` for mail Odoo Online sends).
    public var dkimSelectors: [String] = []

    public init(nameserver: String? = nil, spfInclude: [String] = [], dkimSelectors: [String] = []) {
        self.nameserver = nameserver
        self.spfInclude = spfInclude
        self.dkimSelectors = dkimSelectors
    }
}
