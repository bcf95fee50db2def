/// What a bounce message says: the failed recipients in the order it lists them, and the
/// message that bounced.
public struct BounceReport: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A delivery failed (or was delayed): a DSN, an MTA's text bounce, a provider's notice.
        case failure
        /// An ARF abuse/feedback report (RFC 5965): a complaint, not a failed delivery.
        case feedback
        /// An RFC 3834 auto-reply (out of office).
        case autoReply
    }

    public var kind: Kind
    /// Which recogniser read it: `dsn`, `arf`, `rfc3834`, `amazonses-json`, or an MTA family
    /// (`qmail`, `exim`, `sendmail`, `postfix`, …), `text` when only the generic scan found it.
    public var format: String
    public var recipients: [BounceRecipient]
    public var originalMessageID: String?
    public var originalSubject: String?
    /// The original message's From address (lower-cased).
    public var originalSender: String?

    public init(kind: Kind, format: String, recipients: [BounceRecipient], originalMessageID: String? = nil,
                originalSubject: String? = nil, originalSender: String? = nil) {
        self.kind = kind
        self.format = format
        self.recipients = recipients
        self.originalMessageID = originalMessageID
        self.originalSubject = originalSubject
        self.originalSender = originalSender
    }
}
