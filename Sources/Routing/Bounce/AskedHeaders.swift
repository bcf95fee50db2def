import MIME

/// Which of the header fields the classifier asks about a message carries, found in one pass
/// over its fields. `Message.header` walks the fields for every name asked (some twenty a
/// message, most of them absent): those walks cost more than the rest of an ordinary message's
/// header look. A present field is still read with `Message.header` / `decodedHeader`.
struct AskedHeaders {
    enum Name: Int, CaseIterable {
        case failedRecipients, autoSubmitted, autoreply, autorespond, exchangeNDR, sesOutgoing, feedbackType
        case mlServer, precedence, mailer, messageID

        var field: String {
            switch self {
            case .failedRecipients: "X-Failed-Recipients"
            case .autoSubmitted: "Auto-Submitted"
            case .autoreply: "X-Autoreply"
            case .autorespond: "X-Autorespond"
            case .exchangeNDR: "X-MS-Exchange-Message-Is-Ndr"
            case .sesOutgoing: "X-SES-Outgoing"
            case .feedbackType: "Feedback-Type"
            case .mlServer: "X-MLServer"
            case .precedence: "Precedence"
            case .mailer: "X-Mailer"
            case .messageID: "Message-ID"
            }
        }
    }

    /// The names' bytes, lower-case, by `Name.rawValue`.
    private static let lowered: [[UInt8]] = Name.allCases.map { Array($0.field.lowercased().utf8) }
    private var present: UInt32 = 0

    init(_ m: Message) {
        for f in m.headers {
            let n = f.name.utf8
            // Field names are ASCII: compared byte by byte, folded; the length turns most away.
            for (i, name) in Self.lowered.enumerated() where present & (1 << i) == 0 && name.count == n.count {
                if zip(n, name).allSatisfy({ AhoCorasick<Int>.fold($0) == $1 }) { present |= 1 << i }
            }
        }
    }

    func has(_ name: Name) -> Bool { present & (1 << name.rawValue) != 0 }
}
