import Foundation

/// An email address as routing sees it: lower-cased, split at the last `@`.
public struct MailAddress: Hashable, Sendable, CustomStringConvertible {
    public let address: String
    public let local: String
    public let domain: String

    public init?(_ raw: String) {
        // Blanks as Foundation's `.whitespaces` (tab and Unicode space separators), trimmed on
        // scalars: Foundation's trimming bridged every address through NSString, per message.
        func blank(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = raw.unicodeScalars
        guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else {
            return nil
        }
        let trimmed = String(scalars[first...last]).lowercased()
        guard let at = trimmed.lastIndex(of: "@"), at != trimmed.startIndex,
              trimmed.index(after: at) != trimmed.endIndex else { return nil }
        address = trimmed
        local = String(trimmed[..<at])
        domain = String(trimmed[trimmed.index(after: at)...])
    }

    public var description: String { address }
}

/// The facts of one message that routing decides on. The Gateway fills it from a parsed
/// MIME message, so routing stays independent of the parser's representation.
public struct RoutingInput: Sendable {
    /// With angle brackets, as Odoo stores it. Never empty: a message without one gets
    /// `<sha256-of-raw@mailgate.invalid>` before routing.
    public var messageID: String
    public var odooMessageID: String?
    public var inReplyTo: [String] = []
    public var references: [String] = []
    public var from: MailAddress?
    public var to: [MailAddress] = []
    public var cc: [MailAddress] = []
    public var deliveredTo: [MailAddress] = []
    public var resentTo: [MailAddress] = []
    public var resentCc: [MailAddress] = []
    /// Lower-case `type/subtype`.
    public var contentType: String = "text/plain"
    /// `report-type` of a `multipart/report`, lower-cased.
    public var reportType: String?
    /// The alias whose mailbox this message was fetched from (or that `deliver` was run for).
    public var arrivedVia: String?
    public var date: Date?
    /// Recipients of a delivery report (the DSN), in the report's order.
    public var bounceRecipients: [BounceRecipient] = []
    /// The bounced message's Message-ID, from the attached original or its headers.
    public var bouncedMessageID: String?
    /// True for an RFC 3834 auto-reply (vacation): not a failure, no counter goes up.
    public var isAutoReply = false

    public init(messageID: String) { self.messageID = messageID }

    /// Odoo's `to` (`message_parse`): every `Delivered-To`, then `To`, each address once. The
    /// bounce step and both catchall steps read this list.
    public var toList: [MailAddress] { Self.unique(deliveredTo + to) }

    /// Odoo's `recipients`: `to` plus `Cc`, `Resent-To` and `Resent-Cc`, each once. Aliases are
    /// matched against this list.
    public var recipients: [MailAddress] { Self.unique(deliveredTo + to + cc + resentTo + resentCc) }

    private static func unique(_ list: [MailAddress]) -> [MailAddress] {
        var seen = Set<MailAddress>()
        return list.filter { seen.insert($0).inserted }
    }
}

/// One failed recipient of a bounce.
public struct BounceRecipient: Sendable, Equatable {
    public var address: String
    public var status: String?
    public var replyCode: String?
    public var diagnostic: String?
    public var reason: String?
    public var hard: Bool?
    /// The server that refused it (DSN `Remote-MTA`, or the host a text bounce names).
    public var remoteMTA: String?
    /// DSN `Action`: `failed`, `delayed`, `delivered`, `relayed`, `expanded`.
    public var action: String?

    public init(address: String, status: String? = nil, replyCode: String? = nil, diagnostic: String? = nil,
                reason: String? = nil, hard: Bool? = nil, remoteMTA: String? = nil, action: String? = nil) {
        self.address = address
        self.status = status
        self.replyCode = replyCode
        self.diagnostic = diagnostic
        self.reason = reason
        self.hard = hard
        self.remoteMTA = remoteMTA
        self.action = action
    }
}
