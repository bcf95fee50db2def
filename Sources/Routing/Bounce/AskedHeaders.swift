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

    /// By length in bytes, the names of that length (lower-case bytes, `Name.rawValue`).
    private static let byLength: [[(name: [UInt8], bit: Int)]] = {
        var t = [[(name: [UInt8], bit: Int)]](repeating: [], count: 32)
        for n in Name.allCases { t[n.field.utf8.count].append((Array(n.field.lowercased().utf8), n.rawValue)) }
        return t
    }()
    private var present: UInt32 = 0

    init(_ m: Message) {
        let table = Self.byLength
        for f in m.headers {
            let n = f.name.utf8
            // Field names are ASCII: the length turns most away, the rest are compared folded.
            guard n.count < table.count else { continue }
            for (name, bit) in table[n.count] where zip(n, name).allSatisfy({ AhoCorasick<Int>.fold($0) == $1 }) {
                present |= 1 << bit
            }
        }
    }

    func has(_ name: Name) -> Bool { present & (1 << name.rawValue) != 0 }
}
