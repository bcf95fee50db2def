/// One finding of `mailgate doctor`: which check, about what, its verdict, what was found and
/// how to fix it. The ids are the table: `mailbox.login`, `dns.mx`, `dns.spf.single`,
/// `dns.spf.include`, `dns.spf.lookups`, `dns.dkim`, `dns.dmarc`, `odoo.aliases`,
/// `odoo.fetchmail`, `odoo.models`, `odoo.protocol`.
public struct DoctorCheck: Equatable, Sendable {
    public enum Verdict: String, Sendable, Comparable {
        case ok, warn, fail, skip

        /// The order a reader cares about: a failure outweighs a warning outweighs the rest.
        var severity: Int {
            switch self {
            case .skip: 0
            case .ok: 1
            case .warn: 2
            case .fail: 3
            }
        }

        public static func < (a: Verdict, b: Verdict) -> Bool { a.severity < b.severity }
    }

    /// The check's id, e.g. `dns.spf.single`.
    public var id: String
    /// What was checked: an alias name, a domain, an Odoo server (`odoo` / its `[odoo.NAME]`).
    public var subject: String
    public var verdict: Verdict
    /// What was found, in one sentence; for `skip`, why the check does not apply.
    public var found: String
    /// What to do about it; nil when the verdict is `ok` (and usually for `skip`).
    public var fix: String?

    public init(id: String, subject: String, verdict: Verdict, found: String, fix: String? = nil) {
        self.id = id
        self.subject = subject
        self.verdict = verdict
        self.found = found
        self.fix = verdict == .ok ? nil : fix
    }

    public static func ok(_ id: String, _ subject: String, _ found: String) -> DoctorCheck {
        DoctorCheck(id: id, subject: subject, verdict: .ok, found: found)
    }

    public static func warn(_ id: String, _ subject: String, _ found: String, fix: String?) -> DoctorCheck {
        DoctorCheck(id: id, subject: subject, verdict: .warn, found: found, fix: fix)
    }

    public static func fail(_ id: String, _ subject: String, _ found: String, fix: String?) -> DoctorCheck {
        DoctorCheck(id: id, subject: subject, verdict: .fail, found: found, fix: fix)
    }

    public static func skip(_ id: String, _ subject: String, _ why: String) -> DoctorCheck {
        DoctorCheck(id: id, subject: subject, verdict: .skip, found: why)
    }
}
