import Foundation
import MIME

/// One recipient block of a delivery-status report, whoever read it (the MIME parser, or
/// `TextScan.deliveryStatusFields` when the report is only text).
struct DSNFields {
    var reportingMTA: String?
    var finalRecipient: String?
    var originalRecipient: String?
    var action: String?
    var status: String?
    var remoteMTA: String?
    var diagnosticCode: String?
    var lastAttemptDate: String?

    init() {}

    init(_ d: DeliveryStatusRecipient) {
        reportingMTA = d.reportingMTA; finalRecipient = d.finalRecipient; originalRecipient = d.originalRecipient
        action = d.action; status = d.status; remoteMTA = d.remoteMTA; diagnosticCode = d.diagnosticCode
        lastAttemptDate = d.lastAttemptDate
    }
}

/// Small text readers shared by the recognisers: addresses, status and reply codes, fields.
enum TextScan {
    /// Whether the UTF-8 bytes of `text` hold those of `needle` (a byte scan: memchr for the
    /// first byte, memcmp for the rest; no Foundation string search).
    static func containsBytes(_ text: String, _ needle: String) -> Bool {
        var t = text, n = needle
        return t.withUTF8 { tb in
            n.withUTF8 { nb in
                guard let first = nb.first else { return true }
                guard tb.count >= nb.count, let base = tb.baseAddress else { return false }
                var i = 0
                let last = tb.count - nb.count
                while i <= last {
                    guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return false }
                    let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + at, nb.baseAddress!, nb.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }

    /// The UTF-8 offset of the first occurrence of `needle` in `text` at or after `from`, ASCII
    /// letters matched in any case (memchr for the first byte in either case, then a folded compare).
    static func offset(of needle: String, in text: String, from: Int = 0) -> Int? {
        var t = text, n = needle
        return t.withUTF8 { tb -> Int? in
            n.withUTF8 { nb -> Int? in
                guard let first = nb.first else { return from }
                guard tb.count - from >= nb.count, from >= 0 else { return nil }
                let fold = AhoCorasick<Int>.fold
                let lower = fold(first)
                var i = from
                let last = tb.count - nb.count
                while i <= last {
                    let b = fold(tb[i])
                    if b == lower {
                        var k = 1
                        while k < nb.count, fold(tb[i + k]) == fold(nb[k]) { k += 1 }
                        if k == nb.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    static let addressRegex = try! NSRegularExpression(
        pattern: "[A-Za-z0-9_][A-Za-z0-9._%+=/!#$&'*?^`{|}~-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z]{2,}")
    static let statusRegex = try! NSRegularExpression(
        pattern: "(?<![0-9.])([245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?!\\.?[0-9])")
    static let replyRegex = try! NSRegularExpression(
        pattern: "(?:^|[\\s:;(\\[<>#\"'])([245][0-5][0-9])(?:(?=[ -]+(?:[245]\\.[0-9]|[A-Za-z<\\[(\"'#]))|(?=[,:] )|(?= +: )|(?=\\s*$))",
        options: [.anchorsMatchLines])

    static func matches(_ regex: NSRegularExpression, _ text: String, group: Int = 0) -> [(String, Range<String.Index>)] {
        regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            guard let r = Range(m.range(at: group), in: text) else { return nil }
            return (String(text[r]), r)
        }
    }

    /// Every email address in the text, lower-cased, in order (repeats kept).
    static func addresses(in text: String) -> [String] {
        AddressScan.addresses(in: text).map { trimmingAddress($0.lowercased()) }
    }

    static func trimmingAddress(_ a: String) -> String {
        var s = Substring(a)
        while let l = s.last, ".-_'".contains(l) { s = s.dropLast() }
        return String(s)
    }

    static let repliedStatusRegex = try! NSRegularExpression(
        pattern: "[245][0-9][0-9][ -]['\"]?([245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?!\\.?[0-9])")

    /// The first enhanced status code (`5.1.1`).
    static func status(in text: String) -> String? {
        matches(statusRegex, text, group: 1).first?.0
    }

    /// The status a server gave with its reply code (`550 5.2.2`, `550-'5.2.2`), else the first one
    /// that differs from `other`.
    static func messageStatus(in text: String, other: String?) -> String? {
        matches(repliedStatusRegex, text, group: 1).map(\.0).first { $0 != other }
            ?? matches(statusRegex, text, group: 1).map(\.0).first { $0 != other }
    }

    /// The first SMTP reply code (`550`) written the way servers reply.
    static func replyCode(in text: String) -> String? {
        // A greeting (220) or a number that happens to look like a code is not the answer that failed.
        matches(replyRegex, text, group: 1).map(\.0).first { !$0.hasPrefix("2") }
    }

    /// Addresses replaced by a placeholder, ASCII lower-cased, whitespace runs (ASCII and
    /// no-break spaces) collapsed to one space and trimmed: a mailbox named `spam@…` says
    /// nothing. One pass over the bytes; the tables' phrases are ASCII.
    static func masked(_ text: String) -> String {
        var t = text
        let flat: [UInt8] = t.withUTF8 { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var i = 0
            var space = false
            while i < b.count {
                let c = b[i]
                let width = c == 0xC2 && i + 1 < b.count && b[i + 1] == 0xA0 ? 2 : (c == 0x20 || (c >= 0x09 && c <= 0x0D) ? 1 : 0)
                if width > 0 {
                    space = true
                    i += width
                    continue
                }
                if space, !out.isEmpty { out.append(0x20) }
                space = false
                out.append(AhoCorasick<Int>.fold(c))
                i += 1
            }
            return out
        }
        return flat.withUnsafeBufferPointer { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var from = 0
            for r in AddressScan.ranges(in: b) {
                out += b[from..<r.lowerBound]
                out += Array("mailbox@address".utf8)
                from = r.upperBound
            }
            out += b[from...]
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `smtp` of `smtp; 550 …`, lower-cased; nil when the value has no type.
    static func diagnosticType(_ value: String) -> String? {
        guard let semi = value.firstIndex(of: ";") else { return nil }
        let type = value[..<semi].trimmingCharacters(in: .whitespaces).lowercased()
        guard !type.isEmpty, type.count <= 12, !type.contains(" ") else { return nil }
        return type
    }

    static let commandPhrases: [(String, String)] = [
        ("in reply to rcpt to command", "RCPT"), ("after rcpt command", "RCPT"), ("rcpt to response", "RCPT"),
        ("[rcpt_to]", "RCPT"), ("does not like recipient", "RCPT"), ("does not like sender", "MAIL"),
        ("didn't like the recipient", "RCPT"), ("rcpt to:", "RCPT"), ("after mail command", "MAIL"), ("after data command", "DATA"), ("after rcpt to", "RCPT"), ("in reply to rcpt command", "RCPT"),
        ("in reply to end of data command", "DATA"), ("in reply to data command", "DATA"), ("after end of data", "DATA"),
        ("after data", "DATA"), ("in reply to mail from command", "MAIL"), ("after mail from", "MAIL"),
        ("in reply to ehlo command", "EHLO"), ("in reply to helo command", "HELO"), ("after ehlo", "EHLO"),
        ("after helo", "HELO"), ("in reply to starttls command", "STARTTLS"), ("after starttls", "STARTTLS"),
        ("after initial connection", "CONN"), ("while connected to", "CONN"),
    ]

    /// Postfix's "in reply to … command", whitespace collapsed and lower-cased.
    static func inReplyTo(_ text: String) -> String? {
        let flat = text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard let start = flat.range(of: "in reply to "),
              let end = flat.range(of: " command", range: start.upperBound..<flat.endIndex),
              flat.distance(from: start.upperBound, to: end.lowerBound) < 30 else { return nil }
        return String(flat[start.lowerBound..<end.upperBound])
    }

    /// The SMTP command the server answered with the error, when the text says it.
    static func command(in text: String) -> String? {
        let lower = text.lowercased()
        let flat = lower.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        var best: (String.Index, String)?
        for (phrase, command) in commandPhrases {
            if let r = flat.range(of: phrase), best == nil || r.lowerBound < best!.0 { best = (r.lowerBound, command) }
        }
        if let best { return best.1 }
        // A session transcript: the last command sent (">>> RCPT To:<…>").
        var last: String?
        for line in lower.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix(">>>") else { continue }
            let cmd = t.dropFirst(3).trimmingCharacters(in: .whitespaces)
            for (prefix, name) in [("rcpt", "RCPT"), ("data", "DATA"), ("mail", "MAIL"), ("ehlo", "EHLO"),
                                   ("helo", "HELO"), ("starttls", "STARTTLS"), (".", "DATA")] where cmd.hasPrefix(prefix) {
                last = name
                break
            }
        }
        return last
    }

    /// Which of the report's status and the one in the server's message to believe (sisimai's
    /// rule): the one agreeing with the reply code's class, else the more specific one.
    static func preferredStatus(_ field: String?, inMessage: String?, replyCode: String?) -> String? {
        guard let field, field.count >= 5 else { return inMessage ?? field }
        guard let inMessage, inMessage.count >= 5 else { return field }
        if let reply = replyCode?.first, field.first != inMessage.first {
            if reply == field.first { return field }
            if reply == inMessage.first { return inMessage }
        }
        if field == inMessage { return field }
        let fieldZero = field.contains(".0"), messageZero = inMessage.contains(".0")
        if field.contains(".0.0") { return inMessage.contains(".0.0") ? field : inMessage }
        if fieldZero && !messageZero { return inMessage }
        if inMessage.contains(".0.0") { return field }
        if field == "4.4.7" || field == "4.7.0" || field.hasPrefix("5.3.") { return inMessage }
        for p in [".5.1", ".5.2", ".5.4", ".5.5"] where field.dropFirst().hasPrefix(p) { return inMessage }
        if field == "5.1.1" { return messageZero || inMessage.hasPrefix("5.5.") ? field : inMessage }
        if field == "5.1.3", inMessage.hasPrefix("5.7.") { return inMessage }
        return field
    }

    /// RFC 3464 per-recipient fields written as text (a report whose MIME structure could not
    /// be read, or pasted into a text part): each block opened by Final- or Original-Recipient.
    static func deliveryStatusFields(_ text: String) -> [DSNFields] {
        var out: [DSNFields] = []
        var current: DSNFields?
        var reporting: String?
        for f in fields(text) {
            switch f.name {
            case "reporting-mta": reporting = f.value
            case "final-recipient", "original-recipient":
                if var c = current, (f.name == "final-recipient" ? c.finalRecipient : c.originalRecipient) != nil
                    || (c.status != nil || c.action != nil) {
                    c.reportingMTA = c.reportingMTA ?? reporting
                    out.append(c)
                    current = nil
                }
                var c = current ?? DSNFields()
                if f.name == "final-recipient" { c.finalRecipient = f.value } else { c.originalRecipient = f.value }
                current = c
            case "action": current?.action = f.value
            case "status": current?.status = f.value
            case "remote-mta": current?.remoteMTA = f.value
            case "diagnostic-code": current?.diagnosticCode = f.value
            case "last-attempt-date": current?.lastAttemptDate = f.value
            default: break
            }
        }
        if var c = current { c.reportingMTA = c.reportingMTA ?? reporting; out.append(c) }
        return out.filter { $0.status != nil || $0.action != nil || $0.diagnosticCode != nil }
    }

    /// Every SMTP reply code in the text, in order.
    static func replyCodes(in text: String) -> [String] {
        matches(replyRegex, text, group: 1).map(\.0).filter { !$0.hasPrefix("2") }
    }

    /// `rfc822; a@b` → `a@b`, `smtp; 550 …` → `550 …`.
    static func strippingType(_ value: String) -> String {
        guard let semi = value.firstIndex(of: ";") else { return value.trimmingCharacters(in: .whitespaces) }
        let type = value[..<semi]
        guard type.count <= 12, !type.contains(" "), !type.contains("@") else { return value.trimmingCharacters(in: .whitespaces) }
        return value[value.index(after: semi)...].trimmingCharacters(in: .whitespaces)
    }

    /// `Name: value` lines with folding undone; names lower-cased.
    static func fields(_ text: String) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let f = line.first, f == " " || f == "\t", !out.isEmpty {
                out[out.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":"), !line[..<colon].contains(" ") {
                out.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return out
    }

    /// A diagnostic from a block of bounce text: whitespace collapsed, bounded.
    static func diagnostic(_ block: String) -> String {
        let collapsed = block.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return collapsed.count > 1000 ? String(collapsed.prefix(1000)) : collapsed
    }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// Tags removed and the commonest entities decoded: enough to read an HTML-only bounce.
    static func strippingHTML(_ html: String) -> String {
        var out = html.replacingOccurrences(of: "<br", with: "\n<br", options: .caseInsensitive)
            .replacingOccurrences(of: "</p>", with: "\n</p>", options: .caseInsensitive)
            .replacingOccurrences(of: "</tr>", with: "\n</tr>", options: .caseInsensitive)
            .replacingOccurrences(of: "</div>", with: "\n</div>", options: .caseInsensitive)
        out = out.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        for (e, c) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: e, with: c)
        }
        return out
    }
}
