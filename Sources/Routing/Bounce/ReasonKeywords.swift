/// The last resort of the reason judge, for a diagnostic that neither its codes nor any phrase
/// of the tables explain: the words of the trade that servers of every family use for a reason
/// ("spam", "relay", "quota", "reverse DNS", "rate limit", …), each a whole word or words. A
/// phrase table grows with the mail it was written from and misses wording it never saw (the
/// leave-one-family-out measurement, issue 14); these words are few and shared, so they carry
/// over. They decide only where the judge would otherwise keep a code's bare class
/// (`securityerror` for X.7.X, `systemerror`) or say `onhold`: never over a code that names a
/// reason, nor over a phrase. One exception: a DNS blocklist named (`blocklists`) counts as a
/// phrase for `blocked`.
enum ReasonKeywords {
    /// In order: the first reason one of whose words occurs wins. Narrow words before broad ones
    /// ("spam" before "blocked", "relay" before "denied").
    static let table: [(BounceReason, [String])] = [
        (.virusdetected, ["virus", "malware", "infected"]),
        (.requireptr, ["reverse dns", "rdns", "ptr", "reverse lookup"]),
        (.toomanyconn, ["too many", "rate limit", "rate limited", "frequency", "too fast", "throttled", "throttling"]),
        // A sending IP's reputation is what a spam filter judged: the reputation, not the spam.
        (.badreputation, ["reputation"]),
        // An "open relay" is what the sending server was listed as, not a relay refused.
        (.blocked, ["blocked", "open relay", "banned"] + blocklists.sorted()),
        (.spamdetected, ["spam"]),
        (.norelaying, ["relay", "relaying"]),
        (.mailboxfull, ["quota", "mailbox full", "mailbox is full", "folder is full", "mailfolder is full",
                        "mailbox exceeds", "insufficient storage", "out of storage"]),
        (.mesgtoobig, ["too large", "too big", "size limit", "line limit"]),
        (.suspend, ["suspended", "deactivated", "frozen", "inactive", "disabled"]),
        (.notaccept, ["no mx", "null mx"]),
        (.hostunknown, ["domain does not exist", "no such domain", "domain not found", "unknown domain", "host not found",
                        "host unknown", "unknown host", "domain is not reachable", "nxdomain", "dns lookup failure", "unrouteable address",
                        "unroutable address"]),
        (.userunknown, ["user unknown", "unknown user", "no such user", "user not found", "no such mailbox",
                        "mailbox not found", "invalid recipient", "unknown recipient", "recipient unknown", "does not exist"]),
        // The sender may not send there: Exchange's RESOLVER.RST.NotAuthorized ("not authorized",
        // sisimai's `rejected` too), a list's "no permission to post". Localised notices (Google's,
        // Microsoft's) speak the account's language, so the word is here in the languages of
        // Mailgate's users and the most written others. Not the bare English "permission": local
        // delivery agents say "permission denied" of a file's mode.
        (.rejected, ["not authorized", "not authorised", "permission to post", "permission to send",
                     "not allowed to post", "not allowed to send", "sender address", "invalid sender", "unroutable sender",
                     "nicht berechtigt", "berechtigung", "berechtigungen",      // de
                     "pas autorisé", "non autorisé", "pas l'autorisation",    // fr
                     "no autorizado", "permiso", "permisos",                   // es
                     "não autorizado", "permissão",                            // pt
                     "non autorizzato", "autorizzazione",                      // it
                     "нет прав", "недостаточно прав", "нет разрешения",        // ru
                     "权限", "權限", "権限", "권한",                                 // zh-Hans, zh-Hant, ja, ko
                     "غير مصرح", "अनुमति"]),                                   // ar, hi
        (.networkerror, ["hop count", "routing loop", "mail loop", "loop detected"]),
        (.notcompliantrfc, ["rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "duplicate header"]),
        (.expired, ["expired", "timed out", "timeout", "too long", "giving up", "gave up"]),
        (.systemerror, ["service unavailable", "currently unavailable", "temporarily unavailable", "internal error",
                        "try again later"]),
    ]

    /// DNS blocklists and the words for a listing. A listing is of the sending IP, so it names the
    /// reason even over an address status (`553 5.1.3 …spamhaus.org/query/bl?ip=…`): the judge
    /// counts these as a phrase naming `blocked`.
    static let blocklists: Set<String> = ["blacklist", "blacklisted", "blocklist", "blocklisted", "block list", "dnsbl", "rbl",
                                          "spamhaus", "spamcop", "barracudacentral", "sorbs"]

    /// What the words of a text say, read in one pass.
    struct Found {
        /// The reason of the first row one of whose words occurs.
        var reason: BounceReason?
        /// Whether one of the words is a blocklist's (`blocklists`).
        var namesABlocklist = false
    }

    /// Each word's row, and whether it is a blocklist's.
    private static let matcher = AhoCorasick(table.enumerated().flatMap { i, row in
        row.1.map { ($0, (row: i, blocklist: blocklists.contains($0))) }
    })

    /// The reason the first row names whose word occurs in `text` (lower-cased, addresses
    /// masked) as a whole word: not inside a longer one ("spam" is not in "spamming").
    static func reason(in text: String) -> BounceReason? { scan(text).reason }

    /// The rows' words in `text` (lower-cased, addresses masked), as whole words.
    static func scan(_ text: String) -> Found {
        var best: Int?
        var found = Found()
        var t = text
        t.withUTF8 { b in
            matcher.forEachMatch(in: b) { m in
                let word = matcher.patterns[m.pattern].value
                if let best, best <= word.row, !word.blocklist || found.namesABlocklist { return }
                // A word's non-ASCII edge is not checked: unspaced scripts (CJK) have no boundary
                // there, and an accented Latin ending ("autorisé") may take an inflection.
                let before = m.start == 0 || b[m.start] >= 0x80 ? 0x20 : b[m.start - 1]
                let after = m.end == b.count || b[m.end - 1] >= 0x80 ? 0x20 : b[m.end]
                guard !isWordByte(before), !isWordByte(after) else { return }
                best = min(best ?? word.row, word.row)
                if word.blocklist { found.namesABlocklist = true }
            }
        }
        found.reason = best.map { table[$0].0 }
        return found
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c >= 0x80
    }
}
