/// One SPF record (RFC 7208 §4.5–§6) read into its terms: the directives in order, and the
/// `redirect=` modifier. Only what `doctor` needs to follow and count is kept; `exp=` and
/// unknown modifiers are accepted and ignored, as receivers do (§6).
public struct SPFRecord: Equatable, Sendable {
    /// A directive's qualifier (§4.6.2); `+` when none is written.
    public enum Qualifier: Character, Sendable {
        case pass = "+", fail = "-", softfail = "~", neutral = "?"
    }

    /// The mechanisms of §5. A domain is as written (it may hold macros, `%{d}`); nil for `a`,
    /// `mx` and `ptr` without one (the current domain).
    public enum Mechanism: Equatable, Sendable {
        case all
        case include(String)
        case a(String?)
        case mx(String?)
        case ptr(String?)
        case ip4(String)
        case ip6(String)
        case exists(String)

        /// `include`, `a`, `mx`, `ptr` and `exists` cost a DNS lookup (§4.6.4); `redirect=`
        /// does too, counted by the walk.
        public var queriesDNS: Bool {
            switch self {
            case .include, .a, .mx, .ptr, .exists: true
            case .all, .ip4, .ip6: false
            }
        }
    }

    public struct Directive: Equatable, Sendable {
        public var qualifier: Qualifier
        public var mechanism: Mechanism
        /// The term as written, e.g. `~all`, `include:_spf.odoo.com`.
        public var text: String
    }

    public var directives: [Directive]
    /// `redirect=` (§6.1): the domain whose record applies when no directive matched.
    public var redirect: String?

    /// The `all` directive, if any (evaluation never goes past it, and it voids `redirect=`).
    public var all: Directive? { directives.first { $0.mechanism == .all } }

    /// A TXT record is an SPF record when it is `v=spf1` alone or followed by a space
    /// (§4.5; the version is case-insensitive). `v=spf10` and `v=spf1x` are not.
    public static func isSPF(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower == "v=spf1" || lower.hasPrefix("v=spf1 ")
    }

    /// Reads `text`, an SPF record starting with `v=spf1`.
    /// - Throws: `SPFSyntaxError` naming the first term a receiver would reject (a permerror,
    ///   §4.6): an unknown mechanism, a missing domain or address, a repeated `redirect=`.
    public static func parse(_ text: String) throws(SPFSyntaxError) -> SPFRecord {
        guard isSPF(text) else { throw SPFSyntaxError(term: text, reason: "does not start with v=spf1") }
        var record = SPFRecord(directives: [], redirect: nil)
        var seenExp = false
        for term in text.split(whereSeparator: { $0 == " " }).dropFirst().map(String.init) {
            if let modifier = Modifier(term) {
                switch modifier.name {
                case "redirect":
                    guard record.redirect == nil else { throw SPFSyntaxError(term: term, reason: "redirect= appears twice") }
                    guard !modifier.value.isEmpty else { throw SPFSyntaxError(term: term, reason: "redirect= names no domain") }
                    record.redirect = modifier.value
                case "exp":
                    guard !seenExp else { throw SPFSyntaxError(term: term, reason: "exp= appears twice") }
                    seenExp = true
                default:
                    break  // unknown modifiers are ignored (§6)
                }
                continue
            }
            record.directives.append(try directive(term))
        }
        return record
    }

    /// `[qualifier] name [":" domain-or-address] ["/" cidr]`.
    private static func directive(_ term: String) throws(SPFSyntaxError) -> Directive {
        var rest = Substring(term)
        var qualifier = Qualifier.pass
        if let first = rest.first, let q = Qualifier(rawValue: first) {
            qualifier = q
            rest = rest.dropFirst()
        }
        let nameEnd = rest.firstIndex { $0 == ":" || $0 == "/" } ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        var argument: String? = nil
        if nameEnd < rest.endIndex, rest[nameEnd] == ":" {
            argument = String(rest[rest.index(after: nameEnd)...])
        }
        // The domain of a, mx (and the address of ip4/ip6) may carry a CIDR length; a domain
        // is cut there (a domain-spec never holds "/" outside a macro, which is kept whole).
        func domain() -> String? {
            guard let argument else { return nil }
            if argument.contains("%") { return argument }
            return String(argument.prefix { $0 != "/" })
        }
        func required(_ value: String?) throws(SPFSyntaxError) -> String {
            guard let value, !value.isEmpty else { throw SPFSyntaxError(term: term, reason: "\(name) needs a value after \":\"") }
            return value
        }
        let mechanism: Mechanism
        switch name {
        case "all":
            guard nameEnd == rest.endIndex else { throw SPFSyntaxError(term: term, reason: "all takes no argument") }
            mechanism = .all
        case "include": mechanism = .include(try required(argument))
        case "exists": mechanism = .exists(try required(argument))
        case "a": mechanism = .a(domain())
        case "mx": mechanism = .mx(domain())
        case "ptr": mechanism = .ptr(argument)
        case "ip4": mechanism = .ip4(try required(argument))
        case "ip6": mechanism = .ip6(try required(argument))
        default: throw SPFSyntaxError(term: term, reason: "unknown mechanism \"\(name)\"")
        }
        if let domain = mechanism.domain, domain.isEmpty {
            throw SPFSyntaxError(term: term, reason: "\(name): names an empty domain")
        }
        return Directive(qualifier: qualifier, mechanism: mechanism, text: term)
    }

    /// A `name=value` term (§6, `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`).
    private struct Modifier {
        var name: String
        var value: String

        init?(_ term: String) {
            guard let equals = term.firstIndex(of: "="), let first = term.first, first.isASCII, first.isLetter else { return nil }
            let name = term[..<equals]
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
            self.name = name.lowercased()
            value = String(term[term.index(after: equals)...])
        }
    }
}

extension SPFRecord.Mechanism {
    /// The domain a DNS-querying mechanism names, if written.
    public var domain: String? {
        switch self {
        case .include(let d), .exists(let d): d
        case .a(let d), .mx(let d), .ptr(let d): d
        case .all, .ip4, .ip6: nil
        }
    }
}

/// A term receivers reject, making the whole record a permerror (RFC 7208 §4.6).
public struct SPFSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var term: String
    public var reason: String
    public var description: String { "\"\(term)\": \(reason)" }
}
