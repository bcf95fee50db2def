import Foundation

/// The Public Suffix List (publicsuffix.org), which DMARC uses to find a domain's
/// organizational domain (RFC 7489 §3.2). Both its ICANN and private sections are read, as
/// DMARC receivers (OpenDMARC) do.
public struct PublicSuffixList: Sendable {
    /// Debian's copy (package `publicsuffix`).
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// The list at `debianPath`, read once; nil when the file is missing or empty.
    public static let system: PublicSuffixList? = PublicSuffixList(path: debianPath)

    private var rules: Set<String> = []
    /// `*.ck` is kept as `ck`: any one label below it is a public suffix.
    private var wildcards: Set<String> = []
    /// `!www.ck` is kept as `www.ck`: not a public suffix, despite a wildcard.
    private var exceptions: Set<String> = []

    /// Reads the list's text: one rule per line, `//` comments, the rule ends at whitespace.
    public init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let rule = line.split(whereSeparator: \.isWhitespace).first, !rule.hasPrefix("//") else { continue }
            let lower = rule.lowercased()
            if lower.hasPrefix("!") {
                exceptions.insert(String(lower.dropFirst()))
            } else if lower.hasPrefix("*.") {
                wildcards.insert(String(lower.dropFirst(2)))
            } else {
                rules.insert(lower)
            }
        }
    }

    public init?(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(text: text)
        if rules.isEmpty && wildcards.isEmpty { return nil }
    }

    /// The longest public suffix of `domain` (lower-case, no trailing dot), by the list's
    /// algorithm: an exception rule wins, else the longest rule, else the last label (`*`).
    public func publicSuffix(of domain: String) -> String {
        let labels = domain.split(separator: ".").map(String.init)
        for start in labels.indices {
            let candidate = labels[start...].joined(separator: ".")
            if exceptions.contains(candidate) { return labels[(start + 1)...].joined(separator: ".") }
            if rules.contains(candidate) { return candidate }
            if start + 1 < labels.count, wildcards.contains(labels[(start + 1)...].joined(separator: ".")) { return candidate }
        }
        return labels.last ?? domain
    }
}

/// A domain's organizational domain (RFC 7489 §3.2): its public suffix plus one label
/// (`mail.sales.acme.co.uk` → `acme.co.uk`). The domain itself when it is a public suffix.
public enum OrganizationalDomain {
    /// `list` nil (no Public Suffix List installed): the last two labels, which is right for
    /// every domain under a one-label suffix (`.com`, `.de`, `.test`), and says so in `guessed`.
    public static func of(_ domain: String, list: PublicSuffixList? = PublicSuffixList.system) -> (domain: String, guessed: Bool) {
        var lower = domain.lowercased()
        if lower.hasSuffix(".") { lower.removeLast() }
        let labels = lower.split(separator: ".")
        guard let list else { return (labels.suffix(2).joined(separator: "."), true) }
        let suffix = list.publicSuffix(of: lower)
        let suffixLabels = suffix.split(separator: ".").count
        guard labels.count > suffixLabels else { return (lower, false) }
        return (labels.suffix(suffixLabels + 1).joined(separator: "."), false)
    }
}
