import MailDNS

extension DomainDNS {
    /// `dns.dkim`, one per `[doctor] dkim_selectors` (subject `SELECTOR._domainkey.DOMAIN`):
    /// the name has a DKIM key record (RFC 6376 §3.6.1, tag `p=`), directly or through CNAMEs
    /// (which the server follows); an empty `p=` is a revoked key. A skip when no selector is
    /// configured.
    func dkimChecks() -> [DoctorCheck] {
        let selectors = settings.dkimSelectors
        guard !selectors.isEmpty else {
            return [.skip("dns.dkim", domain, "no [doctor] dkim_selectors configured: no key to look for")]
        }
        return selectors.map(dkimCheck)
    }

    private func dkimCheck(_ selector: String) -> DoctorCheck {
        let id = "dns.dkim"
        let name = "\(selector)._domainkey.\(domain)"
        let publish = selector.lowercased() == "odoo"
            ? "for Odoo Online, publish CNAME \(name) → odoo._domainkey.odoo.com; otherwise TXT at \(name): v=DKIM1; k=rsa; p=<the public key of the signing server>"
            : "publish TXT at \(name): v=DKIM1; k=rsa; p=<the public key of the server that signs with selector \(selector)>"
        let texts: [String]
        do {
            texts = try resolver.txt(name)
        } catch where error.isNoRecord {
            return .fail(id, name, "no DKIM key: \(error)", fix: publish)
        } catch {
            return unanswered(id, name, error)
        }
        // A key record: v=DKIM1 first if there is a v= at all, and a p= tag.
        let keys = texts.map(TagList.init).filter { tags in
            tags["p"] != nil && (tags.tags.first?.name != "v" || tags.tags.first?.value == "DKIM1")
        }
        guard !keys.isEmpty else {
            return .fail(id, name, "\(texts.count) TXT record(s), none a DKIM key (no p= tag): "
                         + texts.map { "\"\($0.prefix(60))\"" }.joined(separator: ", "), fix: publish)
        }
        if let key = keys.first(where: { !($0["p"] ?? "").isEmpty }) {
            let p = key["p"] ?? ""
            return .ok(id, name, "DKIM key published (k=\(key["k"] ?? "rsa"), p= of \(p.count) base64 characters)")
        }
        return .fail(id, name, "the key is revoked (empty p=, RFC 6376 §3.6.1): mail signed with selector \(selector) fails DKIM",
                     fix: "replace the revoked key: " + publish)
    }
}
