import Foundation

/// Amazon SES notifications delivered by mail through SNS: a JSON object with
/// `notificationType` Bounce, Complaint or Delivery.
enum AmazonSESNotice {
    static let bounceSubTypes: [String: BounceReason] = [
        "suppressed": .suppressed, "onaccountsuppressionlist": .suppressed, "mailboxfull": .mailboxfull,
        "messagetoolarge": .mesgtoobig, "contentrejected": .contenterror, "attachmentrejected": .securityerror,
        "noemail": .userunknown,
    ]

    /// The bytes with every "!" + LF + space removed (a relay's folding), in one pass: no
    /// Foundation string search on a message's path.
    static func unfolded(_ text: Substring) -> Data {
        let b = Array(text.utf8)
        var out = Data(capacity: b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "!"), i + 2 < b.count, b[i + 1] == 0x0A, b[i + 2] == 0x20 {
                i += 3
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    static func read(_ c: BounceContext) -> BounceReport? {
        guard TextScan.containsBytes(c.text, "notificationType"), let start = c.text.firstIndex(of: "{") else { return nil }
        // The object ends at the last closing brace before the SNS footer.
        guard let end = c.text.lastIndex(of: "}"), start < end else { return nil }
        // Some relays fold overlong lines as "!" + newline + space: undo that before parsing.
        let json = unfolded(c.text[start...end])
        guard var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return nil }
        if object["notificationType"] == nil, let inner = object["Message"] as? String,
           let o = (try? JSONSerialization.jsonObject(with: Data(inner.utf8))) as? [String: Any] {
            object = o
        }
        guard let type = (object["notificationType"] as? String)?.lowercased() else { return nil }
        let mail = object["mail"] as? [String: Any]
        let headers = mail?["commonHeaders"] as? [String: Any]
        var recipients: [BounceRecipient] = []
        var kind = BounceReport.Kind.failure
        switch type {
        case "bounce":
            let bounce = object["bounce"] as? [String: Any] ?? [:]
            let permanent = (bounce["bounceType"] as? String)?.lowercased() == "permanent"
            let sub = ((bounce["bounceSubType"] as? String) ?? "").lowercased()
            for item in bounce["bouncedRecipients"] as? [[String: Any]] ?? [] {
                guard let address = (item["emailAddress"] as? String).flatMap({ TextScan.addresses(in: $0).first }) else { continue }
                let diagnostic = (item["diagnosticCode"] as? String).map(TextScan.strippingType)
                var r = BounceRecipient(address: address, status: (item["status"] as? String).flatMap(TextScan.status(in:)),
                                        replyCode: diagnostic.flatMap(TextScan.replyCode(in:)), diagnostic: diagnostic,
                                        remoteMTA: bounce["reportingMTA"] as? String,
                                        action: (item["action"] as? String)?.lowercased())
                BounceClassifier.finish(&r, temporary: !permanent, hint: bounceSubTypes[sub])
                recipients.append(r)
            }
        case "complaint":
            kind = .feedback
            let complaint = object["complaint"] as? [String: Any] ?? [:]
            for item in complaint["complainedRecipients"] as? [[String: Any]] ?? [] {
                guard let address = (item["emailAddress"] as? String).flatMap({ TextScan.addresses(in: $0).first }) else { continue }
                recipients.append(BounceRecipient(address: address, status: "", replyCode: "",
                                                  reason: BounceReason.feedback.rawValue, hard: false))
            }
        case "delivery":
            let delivery = object["delivery"] as? [String: Any] ?? [:]
            let response = delivery["smtpResponse"] as? String
            for address in delivery["recipients"] as? [String] ?? [] {
                recipients.append(BounceRecipient(
                    address: address.lowercased(), status: response.flatMap(TextScan.status(in:)) ?? "",
                    replyCode: response.map { String($0.prefix(while: \.isNumber)) } ?? "", diagnostic: response,
                    reason: BounceReason.delivered.rawValue, hard: false,
                    remoteMTA: delivery["remoteMtaIp"] as? String, action: "delivered"))
            }
        default:
            return nil
        }
        guard !recipients.isEmpty else { return nil }
        var report = c.report(kind, format: "amazonses-json", recipients)
        report.originalMessageID = (mail?["messageId"] as? String).map { $0.hasPrefix("<") ? $0 : "<\($0)>" }
            ?? report.originalMessageID
        report.originalSubject = headers?["subject"] as? String ?? report.originalSubject
        report.originalSender = (mail?["source"] as? String)?.lowercased() ?? report.originalSender
        return report
    }
}
