import MailDNS

/// `dns.*`: MX, SPF, DKIM and DMARC of every domain the aliases use.
extension Doctor {
    /// The check ids of this group, in report order.
    static let dnsCheckIDs = ["dns.mx", "dns.spf.single", "dns.spf.include", "dns.spf.lookups", "dns.dkim", "dns.dmarc"]

    /// One finding per check and domain (per selector for `dns.dkim`), domain by domain in
    /// the order of `domains`. The domains' look-ups run at once (`workers` threads, each
    /// with its own resolver), so a server that never answers costs a few time-outs in all,
    /// not a few per domain.
    func dnsChecks() -> [DoctorCheck] {
        let domains = self.domains
        guard !domains.isEmpty else {
            return Self.dnsCheckIDs.map {
                .skip($0, "-", "no domain to check: no alias has an address and [defaults] domain is not set")
            }
        }
        let parts = DNSPart.allCases
        let jobs = domains.flatMap { domain in parts.map { (domain, $0) } }
        let nameserver = self.nameserver
        let settings = config.doctor
        let results = concurrently(jobs) { job -> [DoctorCheck] in
            let (domain, part) = job
            let resolver: DNSResolver
            do {
                resolver = try DNSResolver(nameserver: nameserver)
            } catch {
                return part.ids.map {
                    .fail($0, domain, "cannot ask the DNS: \(error)",
                          fix: "set [doctor] nameserver or --nameserver to a reachable DNS server (IP[:port])")
                }
            }
            let dns = DomainDNS(domain: domain, resolver: resolver, settings: settings)
            switch part {
            case .mx: return [dns.mxCheck()]
            case .spf: return dns.spfChecks()
            case .dkim: return dns.dkimChecks()
            case .dmarc: return [dns.dmarcCheck()]
            }
        }
        return results.flatMap { $0 }
    }

    /// The independent parts of one domain's checks, each run as one job.
    enum DNSPart: CaseIterable {
        case mx, spf, dkim, dmarc

        var ids: [String] {
            switch self {
            case .mx: ["dns.mx"]
            case .spf: ["dns.spf.single", "dns.spf.include", "dns.spf.lookups"]
            case .dkim: ["dns.dkim"]
            case .dmarc: ["dns.dmarc"]
            }
        }
    }
}
