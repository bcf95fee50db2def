/// The SPF records `doctor` proposes in a `fix`: written from the published terms, so the
/// admin can paste them (RFC 7208 §4.5: one record, terms separated by single spaces).
enum SPFFix {
    /// A first record for a domain without one: its MX may send, and the configured senders.
    static func fresh(including senders: [String]) -> String {
        (["v=spf1", "mx"] + senders.map { "include:\($0)" } + ["~all"]).joined(separator: " ")
    }

    /// One record with the terms of all of `records` (each once), ending with the strictest of
    /// their `all` terms (`-all` over `~all` over the rest; `~all` when none has one). The
    /// records are taken in sorted order, so the proposal does not depend on the order a DNS
    /// server happens to answer them in.
    static func merged(_ records: [String]) -> String {
        var terms: [String] = []
        var ending: String? = nil
        for record in records.sorted() {
            for term in Self.terms(record) {
                if isAll(term) {
                    if ending.map({ strictness($0) < strictness(term) }) ?? true { ending = term }
                } else if !terms.contains(where: { $0.lowercased() == term.lowercased() }) {
                    terms.append(term)
                }
            }
        }
        return (["v=spf1"] + terms + [ending ?? "~all"]).joined(separator: " ")
    }

    /// How much an `all` term rejects: `-all` 3, `~all` 2, `?all` 1, `+all`/`all` 0.
    static func strictness(_ all: String) -> Int {
        switch all.first {
        case "-": 3
        case "~": 2
        case "?": 1
        default: 0
        }
    }

    /// `record` with `include:` of each of `senders` added before its `all` (or `redirect=`).
    static func adding(_ senders: [String], to record: String) -> String {
        var before: [String] = []
        var after: [String] = []
        for term in terms(record) {
            if isAll(term) || term.lowercased().hasPrefix("redirect=") || !after.isEmpty { after.append(term) } else { before.append(term) }
        }
        if after.isEmpty { after = ["~all"] }
        return (["v=spf1"] + before + senders.map { "include:\($0)" } + after).joined(separator: " ")
    }

    /// `record` with its `+all`/`?all` made `~all` (soft fail: unlisted senders are marked).
    static func softened(_ record: String) -> String {
        (["v=spf1"] + terms(record).map { isAll($0) && ($0.hasPrefix("+") || $0.hasPrefix("?") || $0.lowercased() == "all") ? "~all" : $0 })
            .joined(separator: " ")
    }

    /// The record's terms without `v=spf1`.
    static func terms(_ record: String) -> [String] {
        record.split(separator: " ").dropFirst().map(String.init)
    }

    static func isAll(_ term: String) -> Bool {
        let lower = term.lowercased()
        return lower == "all" || (lower.count == 4 && lower.hasSuffix("all") && "+-~?".contains(lower.first!))
    }
}
