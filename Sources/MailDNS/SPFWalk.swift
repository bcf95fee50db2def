
/// A domain's SPF policy followed the way a receiver evaluates it in the worst case — no
/// directive matches, so every term up to `all` runs, through every `include:` and `redirect=`
/// (RFC 7208 §4.6, §5.2, §6.1) — counting what §4.6.4 limits:
/// - DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`): at most 10;
/// - void lookups (an answer of NXDOMAIN or no records): at most 2;
/// - MX hosts of one `mx` term: at most 10.
/// Past a limit a receiver stops with a permerror; the walk goes on (to `maxLookups`) so the
/// report can say by how much.
public struct SPFWalk {
    /// §4.6.4's limits.
    public static let lookupLimit = 10
    public static let voidLimit = 2
    /// Where the walk stops, whatever the policy: a bound on the questions `doctor` asks.
    public static let maxLookups = 40

    public let resolver: DNSResolver

    /// DNS-querying terms met, in the order a receiver runs them.
    public private(set) var lookups = 0
    /// The names whose look-up was void (`a:ghost.acme.test`).
    public private(set) var voids: [String] = []
    /// Domains reached through `+include:` and `redirect=` from the top, lower-cased: the
    /// senders the policy authorises by reference.
    public private(set) var authorised: [String] = []
    /// `+all` or `?all` that lets anyone pass (or not fail): at the top, or `+all` in an include.
    public private(set) var permissive: [String] = []
    /// Why receivers would return permerror other than the limits: an include of a domain
    /// without (or with several) SPF records, a term that does not parse, a loop.
    public private(set) var permerrors: [String] = []
    /// `include:`/`redirect=` targets without exactly one SPF record that parses.
    public private(set) var broken: [String] = []
    /// Answers that did not come (time-out, SERVFAIL): the counts are then a lower bound.
    public private(set) var unanswered: [DNSError] = []
    /// Terms with macros (`%{i}`), which depend on the message and are counted, not followed.
    public private(set) var macros: [String] = []
    /// The walk stopped at `maxLookups`.
    public private(set) var truncated = false

    public init(resolver: DNSResolver) { self.resolver = resolver }

    /// Walks `record`, the single SPF record published at `domain`.
    public mutating func walk(_ record: SPFRecord, at domain: String) {
        visit(record, at: domain.lowercased(), chain: [domain.lowercased()], top: true, authorising: true)
    }

    private mutating func visit(_ record: SPFRecord, at domain: String, chain: [String], top: Bool, authorising: Bool) {
        let resolver = self.resolver  // the look-up closures must not capture `self`, which `look` mutates
        for directive in record.directives {
            guard !truncated else { return }
            switch directive.mechanism {
            case .all:
                if directive.qualifier == .pass || (top && directive.qualifier == .neutral) {
                    permissive.append(top ? directive.text : "\(directive.text) in \(domain)")
                }
                return  // `all` always matches: nothing after it runs, and redirect= is void
            case .ip4, .ip6:
                continue
            case .include(let target):
                count()
                guard let target = followable(target, directive) else { continue }
                guard !chain.contains(target) else {
                    permerrors.append("include:\(target) loops back (\(chain.joined(separator: " → ")) → \(target))")
                    continue
                }
                guard let child = spfRecord(of: target, via: directive.text) else { continue }
                let authorises = authorising && directive.qualifier == .pass
                if authorises { authorised.append(target) }
                visit(child, at: target, chain: chain + [target], top: false, authorising: authorises)
            case .a(let name):
                count()
                guard let name = followable(name ?? domain, directive) else { continue }
                _ = look { () throws(DNSError) in try resolver.addresses(name) }
            case .mx(let name):
                count()
                guard let name = followable(name ?? domain, directive) else { continue }
                if let hosts = look({ () throws(DNSError) in try resolver.mx(name) }), hosts.count > 10 {
                    permerrors.append("\(directive.text): \(hosts.count) MX hosts, more than the 10 a receiver looks up")
                }
            case .ptr:
                count()  // depends on the sender's address: counted, nothing to ask now
            case .exists(let name):
                count()
                guard let name = followable(name, directive) else { continue }
                _ = look { () throws(DNSError) in try resolver.ipv4(name) }
            }
        }
        guard let redirect = record.redirect, !truncated else { return }
        count()
        guard let target = followable(redirect, nil) else { return }
        guard !chain.contains(target) else {
            permerrors.append("redirect=\(target) loops back (\(chain.joined(separator: " → ")) → \(target))")
            return
        }
        guard let child = spfRecord(of: target, via: "redirect=\(target)") else { return }
        if authorising { authorised.append(target) }
        // The redirect's record replaces this one: its `all` is this level's.
        visit(child, at: target, chain: chain + [target], top: top, authorising: authorising)
    }

    private mutating func count() {
        lookups += 1
        if lookups >= Self.maxLookups { truncated = true }
    }

    /// The lower-cased domain to follow, or nil (noted) when it holds a macro.
    private mutating func followable(_ name: String, _ directive: SPFRecord.Directive?) -> String? {
        if name.contains("%") {
            macros.append(directive?.text ?? "redirect=\(name)")
            return nil
        }
        var lower = name.lowercased()
        if lower.hasSuffix(".") { lower.removeLast() }
        return lower
    }

    /// Runs one look-up, filing a void answer or a missing one.
    private mutating func look<T>(_ lookup: () throws(DNSError) -> T) -> T? {
        do {
            return try lookup()
        } catch where error.isNoRecord {
            voids.append(error.name)
        } catch {
            unanswered.append(error)
        }
        return nil
    }

    /// The one SPF record at an `include:`/`redirect=` target, or nil with the reason filed:
    /// none (also a void lookup) or several is a permerror (§5.2, §6.1), no answer is unknown.
    private mutating func spfRecord(of target: String, via term: String) -> SPFRecord? {
        let records: [String]
        do {
            records = try resolver.txt(target).filter(SPFRecord.isSPF)
        } catch where error.isNoRecord {
            voids.append(target)
            broken.append(target)
            permerrors.append("\(term): \(target) has no SPF record")
            return nil
        } catch {
            unanswered.append(error)
            return nil
        }
        guard records.count == 1 else {
            broken.append(target)
            permerrors.append(records.isEmpty ? "\(term): \(target) has no SPF record"
                                              : "\(term): \(target) has \(records.count) SPF records")
            return nil
        }
        do {
            return try SPFRecord.parse(records[0])
        } catch {
            broken.append(target)
            permerrors.append("\(term): \(target)'s record does not parse: \(error)")
            return nil
        }
    }
}
