import MailDNS

/// The DNS checks of one domain: what they share (the domain, a resolver of their own, the
/// `[doctor]` settings). Each check is in a file of its own (`DomainDNS+MX.swift`, …).
struct DomainDNS {
    /// Lower-case, without a trailing dot.
    let domain: String
    /// Used by this thread only (a c-ares channel is not thread-safe).
    let resolver: DNSResolver
    let settings: DoctorConfig

    /// The `warn` of a question that got no answer (time-out, SERVFAIL, refused): nothing can
    /// be said about the record, which is not the same as its being missing.
    func unanswered(_ id: String, _ subject: String, _ error: DNSError) -> DoctorCheck {
        let server = resolver.nameserver.map { "the DNS server \($0)" } ?? "the system's DNS server (/etc/resolv.conf)"
        return .warn(id, subject, "could not check: \(error)",
                     fix: "make sure \(server) can resolve \(error.name) (and the domain's own name servers answer), then run doctor again")
    }
}
