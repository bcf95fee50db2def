/// Why a DNS question got no answer records. The cases a mail admin must tell apart: the name
/// does not exist (NXDOMAIN), it exists without records of the asked type (NODATA), or the
/// server could not say (time-out, SERVFAIL, refused), which is not an answer at all.
public struct DNSError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// RCODE 3, Name Error: the name does not exist.
        case nxdomain
        /// RCODE 0 without records of the asked type (RFC 2308 §2.2): the name exists.
        case noData
        /// No answer within the resolver's bound (3 s over 2 tries per question).
        case timeout
        /// RCODE 2: the server failed to answer (e.g. a broken DNSSEC chain or a dead upstream).
        case serverFailure
        /// RCODE 5 or an ICMP port unreachable: the server will not answer this question.
        case refused
        /// The answer could not be read, or anything else c-ares reported (its message).
        case other(String)
    }

    /// The name asked about, e.g. `_dmarc.acme.test`.
    public var name: String
    /// The record type asked for: `TXT`, `MX`, `A`, `AAAA`.
    public var type: String
    public var kind: Kind

    public init(name: String, type: String, kind: Kind) {
        self.name = name
        self.type = type
        self.kind = kind
    }

    /// NXDOMAIN or NODATA: the DNS answered, and there is no such record. RFC 7208 §4.6.4
    /// calls these "void lookups"; everything else is a failure to get an answer.
    public var isNoRecord: Bool { kind == .nxdomain || kind == .noData }

    public var description: String {
        switch kind {
        case .nxdomain: "\(name) does not exist (NXDOMAIN)"
        case .noData: "\(name) has no \(type) record"
        case .timeout: "no answer for \(type) \(name) (DNS time-out)"
        case .serverFailure: "the DNS server failed to answer \(type) \(name) (SERVFAIL)"
        case .refused: "the DNS server refused \(type) \(name)"
        case .other(let message): type.isEmpty ? message : "\(type) \(name): \(message)"
        }
    }
}
