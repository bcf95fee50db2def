import MailDNS

extension DomainDNS {
    /// `dns.dmarc` (RFC 7489): `_dmarc.DOMAIN` has exactly one `v=DMARC1` record (several
    /// count as none, §6.6.3); a domain without one falls back to its organizational domain's
    /// (§6.6.3 step 3, Public Suffix List), whose `sp=` (else `p=`) then applies. `found` says
    /// the policy. No record anywhere is a warning; several is a failure.
    func dmarcCheck() -> DoctorCheck {
        let id = "dns.dmarc"
        let publish = "publish TXT at _dmarc.\(domain): v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@\(domain)"
        switch dmarcRecords(at: domain) {
        case .unanswered(let error):
            return unanswered(id, domain, error)
        case .several(let texts):
            return .fail(id, domain, "\(texts.count) DMARC records at _dmarc.\(domain), which receivers treat as none (RFC 7489 §6.6.3): "
                         + texts.map { "\"\($0)\"" }.joined(separator: ", "),
                         fix: "delete all but one of the TXT records at _dmarc.\(domain)")
        case .one(let tags):
            return policyCheck(id, tags, source: "_dmarc.\(domain)", subdomainPolicy: false)
        case .none:
            break
        }
        let (organizational, guessed) = OrganizationalDomain.of(domain)
        guard organizational != domain else {
            return .warn(id, domain, "no DMARC record at _dmarc.\(domain): receivers apply no policy to forged mail", fix: publish)
        }
        let how = guessed ? " (guessed: no Public Suffix List at \(PublicSuffixList.debianPath))" : ""
        switch dmarcRecords(at: organizational) {
        case .unanswered(let error):
            return unanswered(id, domain, error)
        case .several(let texts):
            return .fail(id, domain, "no DMARC record at _dmarc.\(domain), and \(texts.count) at the organizational domain's _dmarc.\(organizational), which count as none",
                         fix: "delete all but one of the TXT records at _dmarc.\(organizational), or \(publish)")
        case .one(let tags):
            return policyCheck(id, tags, source: "_dmarc.\(organizational), the organizational domain's\(how)", subdomainPolicy: true)
        case .none:
            return .warn(id, domain, "no DMARC record at _dmarc.\(domain) nor at the organizational domain's _dmarc.\(organizational)\(how)",
                         fix: publish)
        }
    }

    /// What `_dmarc.NAME` holds.
    enum DMARCRecords {
        case none
        case one(TagList)
        case several([String])
        case unanswered(DNSError)
    }

    /// The `v=DMARC1` records at `_dmarc.NAME`: a record counts when its first tag is exactly
    /// `v=DMARC1` (RFC 7489 §6.4); NXDOMAIN and NODATA are none.
    func dmarcRecords(at name: String) -> DMARCRecords {
        let texts: [String]
        do {
            texts = try resolver.txt("_dmarc.\(name)")
        } catch where error.isNoRecord {
            return .none
        } catch {
            return .unanswered(error)
        }
        let records = texts.filter { text in
            let first = TagList(text).tags.first
            return first?.name == "v" && first?.value == "DMARC1"
        }
        switch records.count {
        case 0: return .none
        case 1: return .one(TagList(records[0]))
        default: return .several(records)
        }
    }

    /// The verdict on one record: ok with its policy, or a warning when `p=` is missing or not
    /// none/quarantine/reject (receivers then ignore the record unless it has `rua=`, §6.6.3).
    private func policyCheck(_ id: String, _ tags: TagList, source: String, subdomainPolicy: Bool) -> DoctorCheck {
        let valid: Set<String> = ["none", "quarantine", "reject"]
        let p = tags["p"]?.lowercased()
        guard let p, valid.contains(p) else {
            return .warn(id, domain, "the DMARC record at \(source) has no valid p= (\(tags["p"] ?? "missing"))",
                         fix: "set p=none, p=quarantine or p=reject in the record at \(source.split(separator: ",")[0])")
        }
        var policy = "p=\(p)"
        if subdomainPolicy, let sp = tags["sp"]?.lowercased(), valid.contains(sp) {
            policy = "sp=\(sp)"
        } else if let sp = tags["sp"] {
            policy += ", sp=\(sp)"
        }
        if let pct = tags["pct"], pct != "100" { policy += ", pct=\(pct)" }
        policy += tags["rua"].map { ", reports to \($0)" } ?? ", no aggregate reports (rua=)"
        let prefix = subdomainPolicy ? "no record at _dmarc.\(domain); \(source) applies: " : "one DMARC record: "
        return .ok(id, domain, prefix + policy)
    }
}
