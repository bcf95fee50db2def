import MailSource

/// A maildrop listing with one seen key per message, even from a server that breaks RFC 1939
/// §7 ("the unique-id of a message … must be unique") by giving several messages one UIDL.
/// Keyed by the UIDL alone, the second of them would look recorded once the first was and be
/// deleted without ever being stored.
enum POP3Listing {
    /// `listing` with the second and later messages of a shared UIDL keyed `"UIDL 2"`, `"UIDL 3"`,
    /// … in maildrop order (message numbers keep arrival order). A UIDL is printable ASCII without
    /// spaces (0x21–0x7E), so these keys never meet a real one. Also returns each shared UIDL
    /// with how many messages carry it, for the poll's report.
    static func distinct(_ listing: [POP3Entry]) -> (entries: [POP3Entry], shared: [(uidl: String, count: Int)]) {
        var seen: [String: Int] = [:]
        var entries: [POP3Entry] = []
        entries.reserveCapacity(listing.count)
        for entry in listing {
            let count = seen[entry.uidl, default: 0] + 1
            seen[entry.uidl] = count
            entries.append(count == 1 ? entry : POP3Entry(number: entry.number, uidl: "\(entry.uidl) \(count)", size: entry.size))
        }
        let shared = seen.filter { $0.value > 1 }.sorted { $0.key < $1.key }.map { (uidl: $0.key, count: $0.value) }
        return (entries, shared)
    }
}
