/// One MX record (RFC 5321 §5.1): a mail exchanger and its preference (lower is tried first).
public struct MXRecord: Equatable, Sendable {
    public var preference: Int
    /// The exchange host, lower-cased, without the trailing dot; `""` for the root name `.`,
    /// which in a single `0 .` record is a null MX (RFC 7505: the domain accepts no mail).
    public var exchange: String

    public init(preference: Int, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }

    /// This record names the root as its exchange, RFC 7505's null MX.
    public var isNull: Bool { exchange.isEmpty || exchange == "." }
}
