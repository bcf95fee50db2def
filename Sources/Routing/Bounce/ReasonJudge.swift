import Foundation

/// Decides a reason from the status, the reply code, the diagnostic text and the SMTP
/// command a recipient failed at, together. The order and the per-reason rules follow the
/// way sisimai judges (its expected tables are the corpus this is measured on): a phrase
/// that names a reason outright wins over a generic status, "user unknown" words count as
/// an unknown user only when the server said them to RCPT (after DATA they are a filter),
/// and a generic status is refined from the text.
struct ReasonJudge {
    let status: String?
    let replyCode: String?
    /// Lower-cased, addresses masked.
    let text: String
    /// The Diagnostic-Code type (`smtp`, `x-unix`, `x-postfix`, …), lower-cased.
    var diagnosticType: String?
    /// RCPT, DATA, MAIL, EHLO, HELO, CONN, STARTTLS.
    var command: String?
    var action: String?
    /// What an MTA family's own phrase said.
    var hint: BounceReason?
    /// The remote host is a mailbox provider that refuses unknown users at RCPT.
    var strictProvider = false
    /// The reasons the text's phrases name, found once.
    let named: Set<BounceReason>
    /// The text says the recipient is not in the reporting system's directory.
    let directoryMiss: Bool
    /// What the words of the trade say (`ReasonKeywords`), read once.
    let words: ReasonKeywords.Found

    init(status: String?, replyCode: String?, text: String, diagnosticType: String?, command: String?, action: String?,
         hint: BounceReason?) {
        self.status = status; self.replyCode = replyCode; self.text = text; self.diagnosticType = diagnosticType
        statusReason = status.flatMap { BounceReason.fromStatus($0, replyCode: replyCode) }
        self.command = command; self.action = action; self.hint = hint
        let findings = ReasonPatterns.findings(in: text)
        words = ReasonKeywords.scan(text)
        named = words.namesABlocklist ? findings.reasons.union([.blocked]) : findings.reasons
        directoryMiss = findings.directoryMiss
    }

    static let beforeDATA: Set<String> = ["CONN", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT"]

    func has(_ r: BounceReason) -> Bool { named.contains(r) }

    /// The reason the status names, looked up once (every probe asks).
    let statusReason: BounceReason?

    /// The reply code and the enhanced status code are of the same class (or one is missing).
    var codesAgree: Bool {
        guard let s = status?.utf8.first, let r = replyCode?.utf8.first else { return true }
        return s == r
    }

    func probe(_ r: BounceReason) -> Bool {
        if hint == r { return true }
        let s = statusReason
        switch r {
        case .mailboxfull, .exceedlimit, .authfailure, .requireptr, .toomanyconn, .blocked:
            return s == r || has(r)
        case .mesgtoobig:
            if s == .mesgtoobig { return true }
            if s == .exceedlimit || status == "5.2.3" { return false }
            return has(r)
        case .suspend:
            return replyCode == "525" || has(r)
        case .norelaying:
            if let c = command, ["CONN", "EHLO", "HELO"].contains(c) { return false }
            return has(r)
        case .userunknown:
            if s == .suspend { return false }
            if s == .userunknown {
                return ![.norelaying, .blocked, .mailboxfull, .hasmoved, .rejected, .notaccept].contains { has($0) }
            }
            // The reporting system's own directory did not know the recipient: no filter says so.
            if s == nil && directoryMiss { return true }
            // A mailbox provider that refuses unknown users means the address whenever it says so:
            // Yahoo answers "no such user" only after DATA (unless its code names another reason).
            let providerSaid = command == nil || command == "DATA" && s == nil
            return (command == "RCPT" || strictProvider && providerSaid) && has(.userunknown)
        case .filtered:
            if s == .suspend { return false }
            if s == .filtered { return has(.userunknown) || has(.filtered) }
            if let c = command, Self.beforeDATA.contains(c) { return false }
            return has(.filtered) || has(.userunknown)
        case .contenterror:
            if probe(.spamdetected) { return false }
            return s == r || has(r)
        case .rejected:
            if s == .rejected { return true }
            if command == "MAIL" { return has(r) }
            if command == "DATA" { return s != .userunknown && has(r) }
            // A code that names only its subject (`5.1.0`, other address status) is silent on why.
            if s == nil || s == .onhold || s == .undefined || s == .securityerror || s == .systemerror
                || (status ?? "").hasSuffix(".0") { return has(r) }
            return false
        case .hostunknown:
            // X.4.4 ("unable to route") only says no route was found: a domain with no or a null
            // MX is one that exists but takes no mail (notaccept), X.1.2 a host that does not exist.
            if s == .hostunknown { return !has(.networkerror) && !((status ?? "").hasSuffix(".4.4") && has(.notaccept)) }
            return has(r)
        case .spamdetected:
            if (status ?? "").isEmpty { return false }
            if s == .spamdetected { return true }
            if let c = command, Self.beforeDATA.contains(c) { return false }
            return has(r)
        case .virusdetected:
            if let c = command, Self.beforeDATA.contains(c) { return false }
            return has(r)
        case .failedstarttls:
            return command == "STARTTLS" || ["523", "524", "538"].contains(replyCode ?? "") || has(r)
        case .notaccept:
            return ["521", "556"].contains(replyCode ?? "") || has(r)
        case .syntaxerror:
            return ["501", "503"].contains(replyCode ?? "") && (status ?? "").hasPrefix("5.5") || has(r)
        default:
            return has(r)
        }
    }

    func decide() -> BounceReason {
        // The enhanced status code rests first: an MTA family's phrase decides over it only when
        // the code is silent (none, generic, or a reason a code only suggests) or agrees.
        if let hint, !hint.isTentative {
            if let s = statusReason, !s.isTentative, s != hint, codesAgree, !(status ?? "").hasSuffix(".0") { return s }
            return hint
        }
        if statusReason == .delivered { return .delivered }
        let type = diagnosticType ?? "smtp"
        if type == "smtp" {
            for r in ReasonPatterns.firstOrder where probe(r) { return r }
        }
        if let hint { return hint }
        if let r = anotherOne(type) { return r }
        if let a = action, a == "delayed" { return .expired }
        if has(.vacation) { return .vacation }
        return text.isEmpty ? .undefined : .onhold
    }

    private func anotherOne(_ type: String) -> BounceReason? {
        let s = statusReason
        guard s == nil || s!.isTentative || type != "smtp" else { return s }
        for r in ReasonPatterns.secondOrder where has(r) {
            if r == .virusdetected, let c = command, Self.beforeDATA.contains(c) { continue }
            return r
        }
        // Nothing named the reason: the words of the trade may, over a code's bare class (a virus
        // is found in the data, so not before DATA, as for the phrases).
        if s == nil || s == .securityerror || s == .systemerror || s == .onhold || s == .undefined,
           let r = words.reason,
           !(r == .virusdetected && command.map(Self.beforeDATA.contains) == true) {
            return r
        }
        if let s { return s }
        if let st = status, st.count > 3 {
            let head = st.prefix(3)
            if head == "5.6" || head == "4.6" { return .contenterror }
            if head == "5.7" || head == "4.7" { return .securityerror }
        }
        if type.hasPrefix("x-unix") || type.hasPrefix("x-postfix") { return .mailererror }
        if probe(.syntaxerror) { return .syntaxerror }
        if let a = action, a == "delayed" || a == "expired" { return .expired }
        // RFC 5321's 421: the server's service is not available (it closes the channel); 451: the
        // action was aborted by a local error in processing.
        if replyCode == "421" || replyCode == "451" { return .systemerror }
        if command == "EHLO" || command == "HELO" { return .blocked }
        // RFC 3463 subjects with nothing more specific: the mail system (X.3) or the protocol
        // (X.5) failed at the remote end.
        if let st = status, st.count > 3 {
            let head = st.prefix(3)
            if head == "5.3" || head == "4.3" || head == "5.5" || head == "4.5" { return .systemerror }
        }
        return nil
    }
}
