import Foundation

/// `mailgate doctor`: Odoo's on-premise mail checklist worked through in one command — the
/// alias mailboxes log in, the domains' MX, SPF, DKIM and DMARC records are right, and the
/// Odoo database agrees with the configuration (alias domain, catchall and bounce aliases,
/// alias models, no fetchmail server of its own reading the same mailboxes).
///
/// Nothing is changed on the servers: mailboxes are opened read-only, DNS and Odoo are only
/// read. The local store is neither created nor written, except that an OAuth2 token due for
/// renewal is renewed and saved, as at any login.
public struct Doctor: Sendable {
    /// The groups `--only` selects.
    public enum Group: String, CaseIterable, Sendable {
        case mailbox, dns, odoo
    }

    public let config: Config
    /// The DNS server to ask (`--nameserver`, else `[doctor] nameserver`); nil: the system's.
    public let nameserver: String?
    /// How many mailboxes are tried at once.
    public let workers: Int

    public init(config: Config, nameserver: String? = nil, workers: Int = 8) {
        self.config = config
        self.nameserver = nameserver ?? config.doctor.nameserver
        self.workers = workers
    }

    /// Runs the checks of `groups` (all when empty), in the order mailbox, dns, odoo.
    public func run(only groups: Set<Group> = []) -> DoctorReport {
        let wanted = groups.isEmpty ? Set(Group.allCases) : groups
        var checks: [DoctorCheck] = []
        if wanted.contains(.mailbox) { checks += mailboxChecks() }
        if wanted.contains(.dns) { checks += dnsChecks() }
        if wanted.contains(.odoo) { checks += odooChecks() }
        return DoctorReport(checks: checks)
    }

    /// The domains DNS is checked for: every distinct domain of the aliases' addresses, then
    /// `[defaults] domain` when no alias named it, lower-cased, in first-seen order.
    public var domains: [String] {
        var seen: [String] = []
        for domain in config.aliases.compactMap({ $0.emailAddress?.split(separator: "@").last.map(String.init) })
            + [config.defaults.domain].compactMap({ $0 }) {
            let lower = domain.lowercased()
            if !lower.isEmpty, !seen.contains(lower) { seen.append(lower) }
        }
        return seen
    }

    /// `body` for each of `items`, at most `workers` at a time on threads of their own, results
    /// in the order of `items`.
    func concurrently<T, R>(_ items: [T], _ body: @escaping @Sendable (T) -> R) -> [R] {
        onBoundedThreads(items, workers: workers, name: "mailgate-doctor", body)
    }
}

/// All findings of one `mailgate doctor` run.
public struct DoctorReport: Sendable {
    public var checks: [DoctorCheck]

    /// 1 when any check failed, else 0 — like a linter, not a sysexits code: the run itself worked.
    public var exitCode: Int32 { checks.contains { $0.verdict == .fail } ? 1 : 0 }

    public func count(_ verdict: DoctorCheck.Verdict) -> Int { checks.filter { $0.verdict == verdict }.count }
}
