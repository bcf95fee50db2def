/// Why a message bounced. The names are the ones mail admins know from sisimai and from
/// Odoo's bounce tooling; `delivered` is a success report that happened to be sent.
public enum BounceReason: String, CaseIterable, Sendable {
    case authfailure, badreputation, blocked, contenterror, exceedlimit, expired, failedstarttls
    case feedback, filtered, hasmoved, hostunknown, mailboxfull, mailererror, mesgtoobig, networkerror
    case norelaying, notaccept, notcompliantrfc, onhold, policyviolation, rejected, requireptr
    case securityerror, spamdetected, speeding, suppressed, suspend, syntaxerror, systemerror
    case systemfull, toomanyconn, userunknown, vacation, virusdetected, undefined, delivered

    /// Hard bounces say the address itself is bad: retrying will not help.
    /// `notaccept` is hard only when the server said so permanently (5xx).
    public func isHard(status: String?, replyCode: String?) -> Bool {
        switch self {
        case .userunknown, .hostunknown, .hasmoved: return true
        case .notaccept:
            if let s = status, !s.isEmpty { return s.hasPrefix("5") }
            return replyCode?.hasPrefix("5") ?? false
        default: return false
        }
    }

    /// Reasons a delivery status code only suggests: the diagnostic text may know better.
    var isTentative: Bool {
        switch self {
        case .undefined, .onhold, .systemerror, .securityerror, .expired, .networkerror, .hostunknown, .userunknown:
            return true
        default: return false
        }
    }

    /// The enhanced status code that stands for this reason when the bounce gave none
    /// (`5.0.911` for a permanent userunknown), as sisimai reports it.
    func impliedStatus(temporary: Bool) -> String? {
        let detail: Int
        switch self {
        case .authfailure: detail = 926
        case .badreputation: detail = 975
        case .blocked: detail = 971
        case .contenterror: detail = 960
        case .exceedlimit: detail = 923
        case .expired: detail = 947
        case .failedstarttls: detail = 976
        case .filtered: detail = temporary ? 924 : 910
        case .hasmoved: detail = 916
        case .hostunknown: detail = 912
        case .mailboxfull: detail = 922
        case .mailererror: detail = 939
        case .mesgtoobig: detail = 934
        case .networkerror: detail = 944
        case .norelaying: detail = 909
        case .notaccept: detail = 932
        case .notcompliantrfc: detail = 974
        case .onhold: detail = 901
        case .policyviolation: detail = 972
        case .rejected: detail = 918
        case .requireptr: detail = 973
        case .securityerror: detail = 970
        case .spamdetected: detail = 980
        case .speeding: detail = 946
        case .suppressed: detail = 903
        case .suspend: detail = 921
        case .systemerror: detail = 930
        case .systemfull: detail = 931
        case .syntaxerror: detail = 902
        case .toomanyconn: detail = 945
        case .userunknown: detail = 911
        case .undefined: detail = 900
        case .virusdetected: detail = 981
        case .feedback, .vacation, .delivered: return nil
        }
        if temporary, [.hasmoved, .hostunknown, .userunknown].contains(self) { return "5.0.\(detail)" }
        return "\(temporary ? 4 : 5).0.\(detail)"
    }

    /// The reason an RFC 3463 enhanced status code stands for, nil for generic ones. The reply
    /// code tells X.1.10 apart: RFC 7505's null MX is `556 5.1.10`; Microsoft's `550 5.1.10`
    /// is RESOLVER.ADR.RecipientNotFound, an unknown recipient.
    static func fromStatus(_ status: String, replyCode: String? = nil) -> BounceReason? {
        if status.hasPrefix("2.") { return .delivered }
        if status == "5.1.10" || status == "4.1.10" {
            return replyCode == nil || replyCode == "556" ? .notaccept : .userunknown
        }
        return statusTable[status]
    }

    static let statusTable: [String: BounceReason] = [
        "4.1.6": .hasmoved, "4.1.7": .rejected, "4.1.8": .rejected, "4.1.9": .systemerror,
        "4.2.1": .blocked, "4.2.2": .mailboxfull, "4.2.3": .exceedlimit, "4.2.4": .filtered,
        "4.3.1": .systemfull, "4.3.2": .notaccept, "4.3.3": .systemerror, "4.3.5": .systemerror,
        "4.4.1": .expired, "4.4.2": .networkerror, "4.4.3": .systemerror, "4.4.4": .networkerror,
        "4.4.5": .systemfull, "4.4.6": .networkerror, "4.4.7": .expired, "4.4.8": .networkerror,
        "4.5.3": .systemerror, "4.5.5": .systemerror,
        "4.6.0": .contenterror, "4.6.2": .contenterror, "4.6.5": .contenterror,
        "4.7.1": .blocked, "4.7.2": .blocked, "4.7.5": .securityerror, "4.7.6": .securityerror,
        "4.7.7": .securityerror, "4.7.12": .securityerror, "4.7.15": .securityerror, "4.7.16": .mesgtoobig,
        "4.7.24": .authfailure, "4.7.25": .requireptr, "4.7.26": .authfailure,
        "5.1.0": .userunknown, "5.1.1": .userunknown, "5.1.2": .hostunknown, "5.1.3": .userunknown,
        "5.1.4": .filtered, "5.1.6": .hasmoved, "5.1.7": .rejected, "5.1.8": .rejected,
        "5.1.9": .systemerror, "5.1.10": .notaccept,
        "5.2.0": .filtered, "5.2.1": .filtered, "5.2.2": .mailboxfull, "5.2.3": .exceedlimit, "5.2.4": .filtered,
        "5.3.0": .systemerror, "5.3.1": .systemfull, "5.3.2": .notaccept, "5.3.3": .systemerror,
        "5.3.4": .mesgtoobig, "5.3.5": .systemerror,
        "5.4.0": .networkerror, "5.4.3": .systemerror, "5.4.4": .hostunknown,
        "5.5.2": .syntaxerror, "5.5.3": .toomanyconn, "5.5.4": .systemerror, "5.5.5": .systemerror,
        "5.5.6": .syntaxerror,
        "5.6.0": .contenterror, "5.6.1": .contenterror, "5.6.2": .contenterror, "5.6.3": .contenterror,
        "5.6.5": .contenterror, "5.6.6": .contenterror, "5.6.7": .contenterror, "5.6.8": .contenterror,
        "5.6.9": .contenterror,
        "5.7.0": .securityerror, "5.7.1": .securityerror, "5.7.2": .securityerror, "5.7.3": .securityerror,
        "5.7.4": .securityerror, "5.7.5": .securityerror, "5.7.6": .securityerror, "5.7.7": .securityerror,
        "5.7.8": .securityerror, "5.7.9": .securityerror, "5.7.10": .securityerror, "5.7.11": .securityerror,
        "5.7.13": .suspend, "5.7.14": .securityerror, "5.7.15": .securityerror, "5.7.16": .mesgtoobig,
        "5.7.17": .hasmoved, "5.7.18": .hasmoved, "5.7.19": .securityerror,
        "5.7.20": .authfailure, "5.7.21": .authfailure, "5.7.22": .authfailure, "5.7.23": .authfailure,
        "5.7.24": .authfailure, "5.7.25": .requireptr, "5.7.26": .authfailure, "5.7.27": .notaccept,
        "5.7.28": .spamdetected, "5.7.29": .authfailure, "5.7.30": .failedstarttls,
    ]
}
