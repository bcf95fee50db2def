/// The MTA and provider families whose bounce wording is known. Each row says how to tell the
/// family (lower-case substrings of the bounce's From, Subject, a few headers and its
/// human-readable text) and the phrases that name a reason in that family's own words; the
/// generic tables of `ReasonPatterns` apply after them. Data, not code.
struct MTAFormat: Sendable {
    let name: String
    let markers: [String]
    let reasons: [(String, BounceReason)]
    /// The corpus families (`lhost-NAME`, `rhost-NAME`) this row was written from, for the
    /// leave-one-family-out measurement; the row's own name is always one.
    var families: Set<String> = []
    /// The family's own words for giving up on a recipient that kept failing temporarily
    /// (Exim's retry rules): such a recipient expired on temporary errors (`4.0.947`).
    var retryGiveUps: [String] = []

    func belongs(to excluded: Set<String>) -> Bool {
        !excluded.isEmpty && (excluded.contains(name) || !families.isDisjoint(with: excluded))
    }
}

/// Which family-specific phrase tables the classifier may use. The default uses all of them;
/// the leave-one-family-out measurement switches one family's reason phrases (its row's
/// `reasons`, its provider phrases) off to see how the verdicts hold on mail whose wording the
/// tables never saw. The family is still recognised by its markers: that tells where its
/// report keeps its fields, not why the mail failed.
public struct BounceTables: Sendable {
    /// Corpus family names (`postfix`, `franceptt`, …) whose own rows and phrases are not used.
    public var excludedFamilies: Set<String>
    /// Entries of the generic reason table (`ReasonPatterns.entries` indexes) not used: the
    /// stricter measurement switches off, with a family, the generic phrases only its mail
    /// contains, since those were written from it too (`ReasonPatterns.entriesPresent`).
    public var excludedPhrases: Set<Int>

    public init(excludedFamilies: Set<String> = [], excludedPhrases: Set<Int> = []) {
        self.excludedFamilies = excludedFamilies
        self.excludedPhrases = excludedPhrases
    }

    public static let all = BounceTables()

    /// The tables of the classification in progress on this thread, for the generic phrase
    /// lookups deep in the judge that are not handed a context (only a measurement sets it).
    @TaskLocal static var inEffect = BounceTables.all
}

enum MTAFormats {
    static let all: [MTAFormat] = [
        MTAFormat(name: "amazonses", markers: ["amazonses.com", "x-ses-outgoing"], reasons: [
            ("suppression list", .suppressed),
        ], families: ["receivingses"]),
        MTAFormat(name: "googlegroups", markers: ["google groups", "groups.google.com"], reasons: [
            ("permission to post", .rejected), ("not have permission", .rejected),
            ("group you tried to contact", .rejected), ("*", .rejected),
        ]),
        MTAFormat(name: "gmail", markers: ["delivery to the following recipient failed",
                                           "technical details of permanent failure",
                                           "technical details of temporary failure",
                                           "delivery to the following recipients failed"], reasons: [
            ("the email account that you tried to reach does not exist", .userunknown),
            ("the email account that you tried to reach is over quota", .mailboxfull),
            ("the recipient server did not accept our requests to connect", .expired),
            ("dns error: domain name not found", .hostunknown),
            ("dns error: dns server returned answer with no data", .hostunknown),
            ("message rejected", .filtered),
            ("delivery to the following recipient has been delayed", .expired),
            ("tls is required", .failedstarttls),
        ], families: ["googleworkspace"]),
        MTAFormat(name: "qmail", markers: ["hi. this is the qmail-send program", "qmail-send",
                                           "this is the qmail", "qmail"], reasons: [
            ("no mailbox here by that name", .userunknown),
            ("sorry, i couldn't find any host named", .hostunknown),
            ("couldn't find any host by that name", .hostunknown),
            ("sorry, i couldn't find a mail exchanger or ip address", .notaccept),
            ("sorry, i wasn't able to establish an smtp connection", .networkerror),
            ("unable to set up the connection", .networkerror),
            ("unable to contact ldap server", .systemerror),
            ("sorry, that domain isn't in my list of allowed rcpthosts", .norelaying),
            ("account is disabled", .suspend),
            ("this mailbox is over quota", .mailboxfull),
            ("sorry, i don't accept messages larger than", .mesgtoobig),
            ("this message has been in the queue too long", .expired),
        ]),
        MTAFormat(name: "dragonfly", markers: ["this is the dragonfly mail agent"], reasons: [
            ("dns lookup failure", .hostunknown), ("could not deliver for the last", .expired), ("giving up", .expired),
        ]),
        MTAFormat(name: "opensmtpd", markers: ["this is the mailer-daemon, please do not reply", "opensmtpd"], reasons: [
            ("envelope expired", .expired), ("no mx found for domain", .notaccept), ("invalid domain name", .hostunknown),
            ("domain not found", .hostunknown), ("delivery loop detected", .networkerror),
        ]),
        MTAFormat(name: "exchange2003", markers: ["msexch:ims", "did not reach the following recipient"], reasons: [
            ("unknown recipient", .userunknown),
            ("(000c05a6)", .userunknown), ("(00000402)", .filtered), ("(0000052d)", .filtered),
        ]),
        MTAFormat(name: "interscanmss", markers: ["interscan messaging security suite"], reasons: [
            ("unable to deliver message to", .userunknown), ("user unknown", .userunknown),
        ]),
        MTAFormat(name: "zoho", markers: ["zoho"], reasons: [
            ("host not reachable", .expired), ("message will be retried", .expired),
        ]),
        MTAFormat(name: "imailserver", markers: ["imail server", "ipswitch"], reasons: [
            ("delivery failed", .expired), ("mailbox full", .mailboxfull), ("user not found", .userunknown),
        ]),
        MTAFormat(name: "exim", markers: ["this message was created automatically by mail delivery software",
                                          "x-failed-recipients", "exim"], reasons: [
            ("retry timeout exceeded", .expired),
            ("retry time not reached for any host after a long failure period", .expired),
            ("all relevant mx records point to non-existent hosts", .hostunknown),
            ("unrouteable mail domain", .hostunknown),
            ("mailbox is full", .mailboxfull),
            ("message is frozen", .onhold),
            ("were incorrectly constructed", .syntaxerror),
            ("too many \"received\" headers", .contenterror),
        ], retryGiveUps: ["retry timeout exceeded", "have been failing for a long time"]),
        MTAFormat(name: "sendmail", markers: ["----- transcript of session follows -----",
                                              "the original message was received at"], reasons: [
            ("host unknown (name server", .hostunknown),
            ("cannot send message for", .expired),
            ("message could not be delivered for", .expired),
            ("service unavailable", .blocked),
        ], families: ["v5sendmail"]),
        MTAFormat(name: "postfix", markers: ["this is the mail system at host", "postfix"], reasons: [
            ("host or domain name not found", .hostunknown),
            ("domain not found", .hostunknown),
        ]),
        MTAFormat(name: "exchange", markers: ["microsoft exchange", "exchange server", "outlook.com",
                                              "protection.outlook.com", "delivery has failed to these recipients"], reasons: [
            ("recipientnotfound", .userunknown), ("resolver.adr.recipnotfound", .userunknown),
            ("resolver.adr.exrecipnotfound", .userunknown), ("resolver.adr.recipientnotfound", .userunknown),
            ("mailbox unavailable", .userunknown),
            ("resolver.rst.authrequired", .securityerror), ("rejected by recipient", .filtered),
            ("mailbox has exceeded", .mailboxfull), ("access denied", .blocked),
        ], families: ["exchange2007", "outlook"]),
        MTAFormat(name: "yahoo", markers: ["yahoo"], reasons: [
            ("delivery error: dd this user doesn't have a", .userunknown),
            ("this user doesn't have a", .userunknown),
            ("not accepting mail at this time", .notaccept),
        ]),
        MTAFormat(name: "courier", markers: ["courier mail server", "courier-mta"], reasons: [
            ("no such user", .userunknown), ("no such domain", .hostunknown),
        ]),
        MTAFormat(name: "domino", markers: ["lotus domino", "domino"], reasons: [
            // "Not listed in Domino Directory" is a directory miss of the generic table.
            ("user not listed", .userunknown),
        ], families: ["notes"]),
    ]

    /// Remote providers' own wording and error codes: specific enough to apply whatever MTA
    /// wrote the bounce (Orange/La Poste codes, Google's DNS notes, Tencent, Yahoo, …).
    static let providers: [(String, BounceReason, family: String)] = [
        ("ofr006_102", .blocked, "franceptt"), ("ofr004_104", .blocked, "franceptt"), ("lpn006_107", .blocked, "franceptt"),
        ("lpn007_416", .userunknown, "franceptt"), ("_416", .userunknown, "franceptt"), ("_418", .userunknown, "franceptt"),
        ("ofr005_505", .systemerror, "franceptt"), ("_505", .systemerror, "franceptt"), ("_510", .blocked, "franceptt"),
        ("_506", .spamdetected, "franceptt"), ("client host blocked for spamming issues", .blocked, "franceptt"),
        ("responded with code nxdomain", .networkerror, "gsuite"), ("had no relevant answers", .networkerror, "gsuite"),
        ("doesn't receive email according to the administrator: returned null mx", .notaccept, "gsuite"),
        ("connection frequency limited", .toomanyconn, "tencent"),
        ("this user doesn't have a yahoo.com account", .userunknown, "yahooinc"),
        ("mcspamsignature", .virusdetected, "mimecast"),
        ("recipientnotfound", .userunknown, "microsoft"), ("resolver.adr.recipnotfound", .userunknown, "exchange2007"),
        ("www.cox.com/residential/support/email-error-codes", .blocked, "cox"),
        ("is not a registered gateway user", .rejected, "googlegroups"),
        ("because the address couldn't be found", .userunknown, "gsuite"),
    ]

    /// Mailbox providers whose "user unknown" always means the address does not exist
    /// (they refuse unknown recipients at RCPT even when the report does not say so),
    /// matched against the remote MTA and the recipient's domain.
    static let strictProviders = [
        "google.com", "gmail.com", "googlemail.com", "outlook.com", "hotmail.", "live.com", "msn.com",
        "yahoo.", "aol.com", "ezweb.ne.jp", "au.com", "kddi.com", "messagelabs.com", "icloud.com", "me.com",
        "mail.ru", "gmx.", "web.de", "orange.fr", "wanadoo.fr", "laposte.net", "protection.outlook.com",
    ]

    static func isStrictProvider(_ host: String) -> Bool {
        // A host name is ASCII: its folded bytes, looked for in one pass; Unicode lower-casing
        // only for another name.
        guard host.utf8.allSatisfy({ $0 < 0x80 }) else {
            let h = host.lowercased()
            return strictProviders.contains { h.hasSuffix($0) || h.hasPrefix($0) || TextScan.containsBytes(h, "." + $0) }
        }
        var found = false
        var h = host
        h.withUTF8 { b in
            strictProviderMatcher.forEachMatch(in: b) { m in
                // At the start, at the end, or right after a dot.
                if m.start == 0 || m.end == b.count || b[m.start - 1] == UInt8(ascii: ".") { found = true }
            }
        }
        return found
    }

    static let strictProviderMatcher = AhoCorasick(strictProviders.map { ($0, ()) })

    /// The first family (in table order) whose marker appears in the signature text, any case.
    /// The family whose marker is listed first among those in the pieces of text (no marker holds
    /// a line break, so the pieces read alone are the pieces joined by line breaks).
    static func detect(_ pieces: [String]) -> MTAFormat? {
        pieces.compactMap { markerMatcher.firstListed(in: $0) }.min().map { all[$0] }
    }

    /// Every family's markers, valued by the family's index: one pass finds them all.
    static let markerMatcher = AhoCorasick(all.enumerated().flatMap { i, f in f.markers.map { ($0, i) } })
    /// The providers' phrases, valued by their index.
    static let providerMatcher = AhoCorasick(providers.enumerated().map { ($0.element.0, $0.offset) })
    /// Each family's reason phrases, valued by their index in its row (`*` rows need none).
    static let reasonMatchers: [String: AhoCorasick<Int>] = Dictionary(all.map { f in
        (f.name, AhoCorasick(f.reasons.enumerated().filter { $0.element.0 != "*" }.map { ($0.element.0, $0.offset) }))
    }, uniquingKeysWith: { a, _ in a })
}
