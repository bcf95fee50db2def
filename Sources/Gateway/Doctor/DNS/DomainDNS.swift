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
        let fix = switch error.kind {
        // c-ares says refused both for a REFUSED answer and for a port nothing listens on.
        case .refused:
            "check that \(server) is the right address and port ([doctor] nameserver or --nameserver) and that it resolves "
                + "names for this host (a resolver may refuse other clients, or names outside its zones), then run doctor again"
        case .timeout:
            "\(server) did not answer in time: check its address and port ([doctor] nameserver or --nameserver) and the firewall, then run doctor again"
        default:
            "make sure \(server) can resolve \(error.name) (and the domain's own name servers answer), then run doctor again"
        }
        return .warn(id, subject, "could not check: \(error)", fix: fix)
    }
}
