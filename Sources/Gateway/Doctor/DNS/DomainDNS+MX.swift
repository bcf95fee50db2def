import MailDNS

extension DomainDNS {
    /// `dns.mx`: the domain has MX records (RFC 5321 §5.1) whose exchange hosts have an A or
    /// AAAA address. A null MX (RFC 7505, a single `0 .`) says the domain takes no mail: fail.
    func mxCheck() -> DoctorCheck {
        let id = "dns.mx"
        let records: [MXRecord]
        do {
            records = try resolver.mx(domain)
        } catch where error.kind == .nxdomain {
            return .fail(id, domain, "\(domain) does not exist (NXDOMAIN)",
                         fix: "check the spelling of the aliases' addresses and [defaults] domain, or register \(domain)")
        } catch where error.kind == .noData {
            return .fail(id, domain, "\(domain) has no MX record: mail to it is not routed to your server",
                         fix: "publish MX at \(domain): 10 <the host that receives the aliases' mail>, e.g. 10 mail.\(domain)")
        } catch {
            return unanswered(id, domain, error)
        }
        if records.contains(where: \.isNull) {
            let what = records.count == 1 ? "a null MX (0 .): the domain accepts no mail (RFC 7505)"
                                          : "a null MX (0 .) among \(records.count) MX records: receivers may treat the domain as taking no mail (RFC 7505)"
            return .fail(id, domain, what,
                         fix: "replace the null MX with the MX of the host that receives the aliases' mail, e.g. 10 mail.\(domain)")
        }
        var resolving: [String] = []
        var dead: [String] = []
        var unanswered: [DNSError] = []
        for record in records.sorted(by: { $0.preference < $1.preference }) {
            do {
                let addresses = try resolver.addresses(record.exchange)
                resolving.append("\(record.preference) \(record.exchange) (\(addresses.joined(separator: ", ")))")
            } catch where error.isNoRecord {
                dead.append("\(record.preference) \(record.exchange)")
            } catch {
                unanswered.append(error)
            }
        }
        if dead.isEmpty && unanswered.isEmpty {
            return .ok(id, domain, resolving.joined(separator: "; "))
        }
        if resolving.isEmpty, let error = unanswered.first {
            return self.unanswered(id, domain, error)
        }
        let fix = "give \(dead.map { $0.split(separator: " ").last.map(String.init) ?? $0 }.joined(separator: ", ")) an A or AAAA record, or remove the MX record"
        if resolving.isEmpty {
            return .fail(id, domain, "no MX host has an address: \(dead.joined(separator: "; "))", fix: fix)
        }
        if dead.isEmpty, let error = unanswered.first {
            return .warn(id, domain, "\(resolving.joined(separator: "; ")); could not resolve the rest: \(error)",
                         fix: "run doctor again; if it persists, check the DNS of \(error.name)")
        }
        return .warn(id, domain, "some MX hosts have no address: \(dead.joined(separator: "; ")) (working: \(resolving.joined(separator: "; ")))", fix: fix)
    }
}
