import Foundation
import MIME
import Routing

extension RoutingInput {
    /// The routing facts of a parsed message. A message without Message-ID gets a
    /// deterministic one from its bytes, so an identical copy is a duplicate and a
    /// different message is not.
    /// `ownAddresses`: the configured aliases' addresses, never a failed recipient of a text bounce.
    init(_ message: Message, rawSHA256: String, arrivedVia: String?, ownAddresses: Set<String> = []) {
        self.init(messageID: message.messageID ?? "<\(rawSHA256)@mailgate.invalid>")
        odooMessageID = message.decodedHeader("X-Odoo-Message-Id").flatMap { $0.isEmpty ? nil : $0 }
        inReplyTo = message.inReplyTo
        references = message.references
        from = message.from.first?.address.flatMap(MailAddress.init)
        to = Self.addresses(message.to)
        cc = Self.addresses(message.cc)
        deliveredTo = Self.addresses(message.addresses(inFields: "Delivered-To"))
        resentTo = Self.addresses(message.addresses(inFields: "Resent-To"))
        resentCc = Self.addresses(message.addresses(inFields: "Resent-Cc"))
        contentType = message.contentType?.mimeType ?? "text/plain"
        reportType = message.contentType?.parameter("report-type")?.lowercased()
        self.arrivedVia = arrivedVia
        date = message.date
        let autoSubmitted = message.decodedHeader("Auto-Submitted")?.lowercased() ?? "no"
        isAutoReply = autoSubmitted.hasPrefix("auto-replied")
        if let report = BounceClassifier.classify(message, ownAddresses: ownAddresses) {
            bounceRecipients = report.recipients
            bouncedMessageID = report.originalMessageID
            // Exim marks its bounces auto-replied too: only the classifier tells a vacation notice.
            isAutoReply = report.kind == .autoReply
        }
    }

    private static func addresses(_ list: [Address]) -> [MailAddress] {
        list.compactMap { $0.address.flatMap(MailAddress.init) }
    }
}
