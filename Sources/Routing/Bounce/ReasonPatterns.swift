import Foundation

/// What servers write for each reason, lower-case. A plain entry is a substring; an entry
/// starting with `~` is a regular expression. Data, not code: add a line when a new server
/// phrase turns up.
enum ReasonPatterns {
    static let table: [BounceReason: [String]] = [
        .mailboxfull: [
            "mailbox full", "mailbox is full", "mailbox is over quota", "over quota", "overquota",
            "quota exceeded", "quota full", "exceeded storage allocation", "mailbox size limit exceeded",
            "mailbox has exceeded", "user is over quota", "disk quota exceeded", "too much mail data",
            "not enough storage space", "account is over quota", "exceeds the mailbox size", "maildir over quota",
            "over the allowed quota", "mail quota exceeded", "full mailbox", "mailbox exceeded the local limit",
            "quota exceed", "exceeded his/her quota", "mailbox too full", "mailfolder is full",
            "mailbox would exceed", "the user's email quota has been exceeded", "storage quota",
            "recipient's mailbox is full", "user has exceeded quota", "no space left for this user",
            "account has exceeded its", "insufficient storage space", "boite du destinataire pleine",
            "~mailbox[^.]{0,30}\\bfull\\b", "would be over the allowed quota", "exceeded the space",
            "has exceeded the max emails per hour",
        ],
        .mesgtoobig: [
            "message too large", "message is too large", "message too big", "message is too big",
            "message size exceeds", "exceeds size limit", "exceeds maximum message size", "size limit exceeded",
            "message exceeds maximum", "message size exceeds fixed", "mail size limit", "message length exceeds",
            "message exceeded max size", "size exceeds the maximum", "the message was too large",
            "exceeded maximum message size", "message is larger than", "taille limite du message",
            "email is too large", "exceeds the size limit",
        ],
        .exceedlimit: [
            "message header size exceeds limit", "message header exceeds limit", "too many recipients for this",
            "exceeded the limit", "exceed the limit",
        ],
        .suspend: [
            "account disabled", "account has been disabled", "account has been suspended", "mailbox disabled",
            "mailbox is disabled", "account is disabled", "recipient suspended", "inactive account",
            "account inactive", "user suspended", "account suspended", "this account has been disabled",
            "account is inactive", "mailbox is inactive", "is not active", "boite du destinataire archivee",
            "account has been locked", "mailbox has been suspended", "has been suspended", "is suspended",
            "account is locked", "user account disabled", "recipient is inactive", "disabled or discontinued",
            "account expired", "mailbox unavailable or access denied", "mailbox currently suspended",
            "user not active", "temporarily disabled", "is temporarily unavailable",
        ],
        .hasmoved: [
            "has been replaced by", "address has moved", "mailbox has moved", "user has moved",
        ],
        .norelaying: [
            "relay access denied", "relaying denied", "relay not permitted", "not permitted to relay",
            "relaying not allowed", "unable to relay", "we do not relay", "relay denied", "no relaying",
            "relaying mail to", "isn't in my list of allowed rcpthosts", "not in my list of allowed rcpthosts",
            "relay not allowed", "insecure mail relay", "relaying is prohibited", "relay prohibited",
            "is not permitted to relay", "relaying to", "cannot relay", "we do not permit relaying",
        ],
        .authfailure: [
            "spf check failed", "spf fail", "spf validation", "sender policy framework", "dmarc", "dkim",
            "not designated as permitted sender", "spf record", "does not pass spf", "spf: ", "spf=fail",
            "authentication failure", "not authorized to send on behalf", "_spf", "spf)", "(spf",
            "sender not authorized", "failed spf", "spf-fail", "sender address has null mx",
        ],
        .userunknown: [
            "user unknown", "unknown user", "no such user", "no such mailbox", "mailbox not found",
            "recipient not found", "invalid recipient", "unknown recipient", "no mailbox here by that name",
            "user not found", "invalid mailbox", "not a valid mailbox", "account does not exist",
            "address does not exist", "unknown address", "bad destination mailbox", "mailbox does not exist",
            "recipient rejected", "no such account", "doesn't have a", "unrouteable address", "does not like recipient",
            "recipient does not exist", "user does not exist", "no such recipient", "mailbox unavailable",
            "recipient address rejected", "address unknown", "user doesn't exist", "mailbox not available",
            "unknown local part", "no such local user", "recipient unknown", "not a known user",
            "addressee unknown", "is not a valid user", "invalid address", "mailbox is unavailable",
            "does not exist here", "user invalid", "invalid user", "no user by that name", "unknown mailbox",
            "user unknown in", "destination address rejected", "email account that you tried to reach does not exist",
            "the email account that you tried to reach", "mailbox not present", "no mailbox", "unknown or illegal alias",
            "no account by that name", "user account is unavailable",
            "recipient is not valid", "userunknown", "not our customer", "this user doesn't have",
            "sorry, user", "said: 550 5.1.1", "<<< 550 5.1.1", "utilisateur inconnu",             "adresse d au moins un destinataire invalide", "unknown in virtual mailbox table",
            "unknown in local recipient table", "unknown in relay recipient table", "no valid recipients",
            "mailbox name not allowed", "not listed in", "no such person",
            "invalid-recipient", "recipient no longer on server", "user not exist", "mailbox unknown",
            "address not present in directory", "not found in directory", 
        ],
        .filtered: [
            "filtered", "refused by recipient", "rejected by recipient", "user refused to receive",
            "recipient has blocked", "this mailbox does not accept", "rejected by user",
            "because the recipient is not accepting mail", "not accepting mail with attachments",
            "not accepting mail from", "blocked by recipient", "delivery not authorized", "recipient's filter",
            "user's filter", "message filtered", "rejected by the filter",
        ],
        .requireptr: [
            "no ptr record", "reverse dns", "ptr record", "cannot find your reverse hostname",
            "cannot find your hostname", "reverse lookup", "no reverse", "does not have a ptr",
            "ip name lookup failed", "has no ptr", "reverse hostname", "cannot resolve your address",
            "unresolvable address", "client host rejected: cannot find your", "ptr lookup",
            "reverse-dns", "reverse dns lookup", "invalid ptr", "rdns", "forward-confirmed", "fcrdns",
            "your reverse", "fail to resolve your", "could not resolve your ip", "ip address has no",
            "no ptr", "missing ptr",
        ],
        .notcompliantrfc: [
            "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "rfc822 ", "duplicate header",
            "not rfc compliant", "non-compliant", "multiple addresses in from", "more than one from",
            "message contains invalid header", "header is not rfc", "headers are not rfc",
        ],
        .badreputation: [
            "ip reputation", "poor reputation", "bad reputation", "low reputation", "sender reputation",
            "reputation of", "because of its reputation", "domain reputation",
        ],
        .contenterror: [
            "improper use of 8-bit data", "header error", "illegal attachment", "message header invalid",
            "invalid message content", "content error", "charset", "invalid mime",
        ],
        .rejected: [
            "sender address rejected", "domain of sender address", "sender rejected", "sender verify failed",
            "sender verification", "bad sender", "sender is not allowed", "envelope sender", "sender address is invalid",
            "sender denied", "envelope from address", "mail from address", "sender domain", "invalid sender",
            "badmailfrom", "you are not allowed to post", "don't have permission to post", "not authorized to post",
            "sender blocked", "sender not allowed", "your address is not allowed", "rejected: sender",
            "unverified address", "sender unknown", "unknown sender", "from address is invalid",
            "address rejected by", "sender address does not exist", "not a member", "reject by envelope sender",
            "your envelope sender", "sender is blacklisted", "sender ip", "message from", "mail from rejected",
            "mail from: rejected", "mail from address must", "you are not permitted to send",
        ],
        .hostunknown: [
            "host unknown", "domain not found", "name or service not known", "unrouteable mail domain",
            "no such domain", "domain does not exist", "host not found", "unknown domain", "domain name not found",
            "nxdomain", "all relevant mx records point to non-existent hosts", "couldn't find any host named",
            "host or domain name not found", "illegal host/domain name found", "unknown host",
            "no mx record", "no mail exchanger", "domain is not", "unrouteable domain", "invalid domain",
            "domain not exist", "host name lookup failure", "no route for", "unable to route",
            "recipient domain", "no valid host", "domain name lookup failed", "domaine inconnu", "dns error: domain",
            "the domain", "domain doesn't exist", "domain is invalid", "no such host", "mx lookup",
            "couldn't find any host", "host lookup did not complete", "name server: ", "mx not found",
        ],
        .spamdetected: [
            "spam content", "identified as spam", "classified as spam", "spam detected", "detected as spam",
            "rejected as spam", "looks like spam", "considered spam", "message is spam", "spam score",
            "appears to be spam", "our spam filter", "suspected spam", "likely spam", "spam message",
            "considered unsolicited", "unsolicited", "junk mail", "bulk mail", "content rejected",
            "scored as spam", "spam-like", "spammy", "high spam", "spam rejected", "marked as spam",
            "spamassassin", "this message was classified", "blocked as spam", "rejected due to spam",
            "spam policy", "appears to be unsolicited", "message content rejected", "spam filter",
            "spam", "detected as bulk",
        ],
        .speeding: [
            "rate limit", "rate-limit", "ratelimit", "too fast", "sending rate", "receiving mail at a rate",
            "too many messages", "throttl", "exceeded the rate",
        ],
        .toomanyconn: [
            "too many connections", "too many simultaneous connections", "connection limit", "too many concurrent",
            "too many smtp sessions", "too many open connections",
        ],
        .blocked: [
            "blacklist", "blocklist", "block list", "black list", "listed in", "rbl", "spamhaus", "dnsbl", "sorbs",
            "spamcop", "client host rejected", "access denied", "your ip", "ip address", "has been blocked",
            "blocked using", "banned", "refused to talk to me", "connection refused", "not allowed to connect",
            "rejected because the sending", "host blocked", "ip blocked", "blocked by", "is blocked",
            "your host", "your server", "mail server", "on our block", "listed at", "listed on",
            "dynamic ip", "dynamic address", "residential", "reject by", "connection rejected", "blocked",
            "bad ip", "service unavailable; client host", "denied", "refused", "hostname", "helo",
        ],
        .virusdetected: [
            "virus", "infected", "malware", "worm", "trojan", "malicious",
        ],
        .policyviolation: [
            "policy violation", "content policy", "violates", "policy reasons", "message not allowed by",
            "prohibited", "not allowed by policy", "attachment type", "executable", "because of policy",
            "local policy", "violation of", "policy", "not allowed",
        ],
        .systemerror: [
            "system error", "server error", "internal error", "temporary failure", "local error",
            "unknown mail transport error", "too many hops", "loops back to myself", "routing loop", "mail loop",
            "configuration error", "misconfigur", "server configuration", "system config error",
            "unable to deliver to", "local configuration", "hop count exceeded", "exceeded maximum hop",
            "loop detected", "mail forwarding loop", "system failure", "unhandled", "internal server error",
            "delivery to this domain has failed", "too many hops", "mail system error",
        ],
        .networkerror: [
            "network error", "connection timed out", "could not connect", "no route to host", "lost connection",
            "dns error", "temporary lookup failure", "unable to connect", "connection reset", "host not reachable",
            "name service error", "dns lookup", "timed out", "conversation with", "network is unreachable",
            "connection closed", "connect to", "could not be contacted", "unreachable", "dns",
        ],
        .systemfull: [
            "mail system full", "insufficient system storage", "disk full", "insufficient disk", "out of disk",
            "system storage", "disk is full", "filesystem full", "no space left on device",
        ],
        .notaccept: [
            "does not accept mail", "not accepting mail", "null mx", "host does not accept", "mail receiving disabled",
            "we do not accept mail", "does not accept any", "no longer accepts mail", "not accept mail",
            "accepts no mail", "mail is not accepted",
        ],
        .expired: [
            "retry time not reached", "retry timeout exceeded", "message expired", "delivery time expired",
            "could not be delivered for", "giving up", "queue timeout", "message timed out", "too long in queue",
            "was not delivered within", "delivery expired", "message has been delayed", "unable to deliver for",
            "has not been delivered", "could not deliver for", "time expired", "expired after",
            "has been in the queue", "delivery attempts will continue", "will keep trying", "delayed",
            "timeout exceeded", "was not delivered", "retry period", "have been failing for", "bounced after",
            "undeliverable for",
        ],
        .failedstarttls: [
            "starttls", "tls is required", "must issue a starttls", "tls required", "requiretls",
            "encryption required", "tls negotiation failed", "tls handshake",
        ],
        .securityerror: [
            "authentication required", "authentication failed", "sasl", "must authenticate", "password",
            "insecure", "not authenticated", "authentication is required", "security",
        ],
        .suppressed: [
            "suppression list", "suppressed", "on the suppression", "address is suppressed",
        ],
        .mailererror: [
            "mailer error", "command died", "pipe to", "x-unix", "exit status", "procmail", "command failed",
            "mailer program", "program exited", "unknown mailer", "permission denied",
        ],
        .syntaxerror: [
            "syntax error", "command unrecognized", "unrecognized command", "invalid command",
            "command not recognized", "bad command",
        ],
        .vacation: [
            "out of office", "auto-reply", "autoreply", "vacation", "away from the office", "on holiday",
            "automatic reply", "out of the office",
        ],
    ].compactMapValues { $0.isEmpty ? nil : $0 }

    /// First pass: a reason a status code or a specific phrase names outright.
    static let firstOrder: [BounceReason] = [
        .mailboxfull, .mesgtoobig, .exceedlimit, .suspend, .hasmoved, .norelaying, .authfailure,
        .userunknown, .filtered, .requireptr, .notcompliantrfc, .badreputation, .contenterror,
        .rejected, .hostunknown, .spamdetected, .speeding, .toomanyconn, .blocked,
    ]
    /// Second pass, when the first found nothing or only a tentative status reason.
    static let secondOrder: [BounceReason] = [
        .mailboxfull, .authfailure, .badreputation, .speeding, .spamdetected, .virusdetected,
        .policyviolation, .norelaying, .systemerror, .networkerror, .suspend, .contenterror,
        .systemfull, .notaccept, .expired, .failedstarttls, .securityerror, .suppressed, .mailererror,
    ]

    /// Whether the lower-cased text says this reason.
    static func matches(_ reason: BounceReason, _ text: String) -> Bool {
        guard !text.isEmpty, let patterns = compiled[reason] else { return false }
        return patterns.contains { $0.matches(text) }
    }

    enum Pattern {
        case substring(String)
        case regex(NSRegularExpression)

        func matches(_ text: String) -> Bool {
            switch self {
            case .substring(let s): return text.contains(s)
            case .regex(let r): return r.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            }
        }
    }

    static func compile(_ list: [String]) -> [Pattern] {
        list.map { p in
            if p.hasPrefix("~"), let r = try? NSRegularExpression(pattern: String(p.dropFirst())) { return .regex(r) }
            return .substring(p)
        }
    }

    nonisolated(unsafe) static let compiled: [BounceReason: [Pattern]] = table.mapValues(compile)
}
