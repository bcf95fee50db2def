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
        var t = text
        return t.withUTF8 { contains($0, needle) }
    }

    /// Whether the bytes hold those of `needle`: memchr for one of its bytes, memcmp for the whole.
    /// The byte memchr looks for is the first that is no lower-case letter or space when there is
    /// one (`T` of "notificationType", CR of CRLF): text is mostly those, and each hit costs a call.
    static func contains(_ tb: UnsafeBufferPointer<UInt8>, _ needle: String) -> Bool {
        var n = needle
        return n.withUTF8 { nb in
            guard !nb.isEmpty else { return true }
            guard tb.count >= nb.count, let base = tb.baseAddress else { return false }
            let j = nb.firstIndex { !($0 >= 0x61 && $0 <= 0x7A) && $0 != 0x20 } ?? 0
            var i = j
            let lastHit = tb.count - nb.count + j
            while i <= lastHit {
                guard let hit = memchr(base + i, Int32(nb[j]), lastHit - i + 1) else { return false }
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - j
                if memcmp(base + at, nb.baseAddress!, nb.count) == 0 { return true }
                i = at + j + 1
            }
            return false
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
                let last = tb.count - nb.count
                func matches(at i: Int) -> Bool {
                    var k = 0
                    while k < nb.count, fold(tb[i + k]) == fold(nb[k]) { k += 1 }
                    return k == nb.count
                }
                // A byte of the needle that is no letter has one case, so memchr finds the candidates
                // by it: an address's `@` (rare in text), else a marker's `>` or line break (a space
                // or a dot is too common to pay for a call each).
                if let j = nb.firstIndex(of: UInt8(ascii: "@")) ?? nb.firstIndex(where: { b in
                    !(fold(b) >= 0x61 && fold(b) <= 0x7A) && b != 0x20 && b != 0x09 && b != UInt8(ascii: ".")
                }), let base = tb.baseAddress {
                    let anchor = Int32(nb[j])
                    var i = from + j
                    let lastHit = last + j
                    while i <= lastHit {
                        guard let hit = memchr(base + i, anchor, lastHit - i + 1) else { return nil }
                        let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - j
                        if matches(at: at) { return at }
                        i = at + j + 1
                    }
                    return nil
                }
                var i = from
                while i <= last {
                    if fold(tb[i]) == lower, matches(at: i) { return i }
                    i += 1
                }
                return nil
            }
        }
    }

    /// `address.split(separator: "@").first` (the first non-empty piece between `@`s, or ""), on
    /// the bytes when the address is ASCII: a split into Characters costs more than the rest of a
    /// header look. Other text is split as Characters as before (an `@` may carry a combining mark).
    static func localPart(_ address: String) -> String {
        guard address.utf8.allSatisfy({ $0 < 0x80 }) else { return address.split(separator: "@").first.map(String.init) ?? "" }
        let u = address.utf8
        let start = u.firstIndex { $0 != UInt8(ascii: "@") } ?? u.endIndex
        let end = u[start...].firstIndex(of: UInt8(ascii: "@")) ?? u.endIndex
        return String(Substring(u[start..<end]))
    }

    /// The text of each byte range found by `scan`, in order.
    static func strings(_ text: String, _ scan: (UnsafeBufferPointer<UInt8>) -> [Range<Int>]) -> [String] {
        var t = text
        return t.withUTF8 { b in scan(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) } }
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

    /// The first enhanced status code (`5.1.1`).
    static func status(in text: String) -> String? {
        // The scan stops at the first one: a status is asked of whole blocks and sections.
        strings(text) { CodeScan.statuses(in: $0, onlyFirst: true) }.first
    }

    /// The status a server gave with its reply code (`550 5.2.2`, `550-'5.2.2`), else the first one
    /// that differs from `other`.
    static func messageStatus(in text: String, other: String?) -> String? {
        strings(text) { CodeScan.repliedStatuses(in: $0) }.first { $0 != other } ?? strings(text) { CodeScan.statuses(in: $0) }.first { $0 != other }
    }

    /// The first SMTP reply code (`550`) written the way servers reply.
    static func replyCode(in text: String) -> String? {
        // A greeting (220) or a number that happens to look like a code is not the answer that failed.
        strings(text) { CodeScan.replyCodes(in: $0, untilFailure: true) }.first { !$0.hasPrefix("2") }
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
        let u = value.utf8
        guard let semi = u.firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let type = trimmedWhitespace(u[..<semi])
        guard !type.isEmpty else { return nil }
        // ASCII (every real type): folded bytes; otherwise Unicode lower-casing as before.
        guard type.allSatisfy({ $0 < 0x80 }) else {
            let t = String(Substring(type)).lowercased()
            return t.count <= 12 && !t.contains(" ") ? t : nil
        }
        guard type.count <= 12, !type.contains(0x20) else { return nil }
        return String(decoding: type.map(AhoCorasick<Int>.fold), as: UTF8.self)
    }

    /// The length of the `CharacterSet.whitespaces` character (tab and Unicode Zs: U+0020, U+00A0,
    /// U+1680, U+2000–U+200A, U+202F, U+205F, U+3000) whose UTF-8 starts at `i`, 0 for none.
    static func whitespaceWidth<C: Collection>(_ u: C, at i: C.Index) -> Int where C.Element == UInt8 {
        let b = u[i]
        if b == 0x20 || b == 0x09 { return 1 }
        guard b == 0xC2 || b == 0xE1 || b == 0xE2 || b == 0xE3 else { return 0 }
        let rest = u[u.index(after: i)...].prefix(2)
        let b1 = rest.first, b2 = rest.dropFirst().first
        switch b {
        case 0xC2: return b1 == 0xA0 ? 2 : 0
        case 0xE1: return b1 == 0x9A && b2 == 0x80 ? 3 : 0
        case 0xE2:
            if b1 == 0x80, let c = b2, (0x80...0x8A).contains(c) || c == 0xAF { return 3 }
            return b1 == 0x81 && b2 == 0x9F ? 3 : 0
        default: return b1 == 0x80 && b2 == 0x80 ? 3 : 0
        }
    }

    /// `trimmingCharacters(in: .whitespaces)` on the bytes: no Foundation, no copy.
    static func trimmedWhitespace(_ text: Substring.UTF8View) -> Substring.UTF8View {
        var lo = text.startIndex, hi = text.endIndex
        while lo < hi {
            let w = whitespaceWidth(text[lo..<hi], at: lo)
            if w == 0 { break }
            lo = text.index(lo, offsetBy: w)
        }
        // From the end: the space character that ends at `hi`, if any (a one-byte space cannot end a
        // longer one, and C2 A0 cannot end a three-byte one: at most one width fits).
        while lo < hi {
            var w = 0
            for n in [1, 2, 3] where text.distance(from: lo, to: hi) >= n {
                let s = text.index(hi, offsetBy: -n)
                if whitespaceWidth(text[s..<hi], at: s) == n { w = n; break }
            }
            if w == 0 { break }
            hi = text.index(hi, offsetBy: -w)
        }
        return text[lo..<hi]
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

    /// ASCII lower-cased with whitespace runs collapsed to one space and trimmed (`masked`
    /// without the address placeholder).
    static func flattened(_ text: String) -> [UInt8] {
        var t = text
        return t.withUTF8 { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var space = false
            for c in b {
                if c == 0x20 || (c >= 0x09 && c <= 0x0D) { space = true; continue }
                if space, !out.isEmpty { out.append(0x20) }
                space = false
                out.append(AhoCorasick<Int>.fold(c))
            }
            return out
        }
    }

    /// Postfix's "in reply to … command", whitespace collapsed and lower-cased.
    static func inReplyTo(_ text: String) -> String? {
        // "reply" has no space to collapse: text without it (most reports) is turned away before
        // a flattened copy of it is made.
        guard offset(of: "reply", in: text) != nil else { return nil }
        let flat = String(decoding: flattened(text), as: UTF8.self)
        guard let start = offset(of: "in reply to ", in: flat),
              let end = offset(of: " command", in: flat, from: start + 12), end - (start + 12) < 30 else { return nil }
        let u = Array(flat.utf8)
        return String(decoding: u[start..<end + 8], as: UTF8.self)
    }

    static let commandMatcher = AhoCorasick(commandPhrases.enumerated().map { ($0.element.0, $0.offset) })

    /// The SMTP command the server answered with the error, when the text says it.
    static func command(in text: String) -> String? {
        // The phrase that starts first, whitespace collapsed; on a tie the one listed first.
        var best: (start: Int, index: Int)?
        var t = text
        t.withUTF8 { b in
            commandMatcher.forEachMatch(flattening: b) { m in
                let index = commandMatcher.patterns[m.pattern].value
                if best.map({ (m.start, index) < ($0.start, $0.index) }) ?? true { best = (m.start, index) }
            }
        }
        if let best { return commandPhrases[best.index].1 }
        // A session transcript: the last command sent (">>> RCPT To:<…>").
        guard offset(of: ">>>", in: text) != nil else { return nil }
        if let last = lastSentCommand(asciiText: text) { return last }
        var last: String?
        for line in text.split(separator: "\n") {
            let t = line.drop { $0 == " " || $0 == "\t" }
            guard t.hasPrefix(">>>") else { continue }
            let cmd = String(t.dropFirst(3).drop { $0 == " " || $0 == "\t" }.prefix(8)).lowercased()
            for (prefix, name) in [("rcpt", "RCPT"), ("data", "DATA"), ("mail", "MAIL"), ("ehlo", "EHLO"),
                                   ("helo", "HELO"), ("starttls", "STARTTLS"), (".", "DATA")] where cmd.hasPrefix(prefix) {
                last = name
                break
            }
        }
        return last
    }

    /// `command`'s transcript reading on the bytes of ASCII text without CR (every transcript
    /// seen): there each byte is a Character, so lines, prefixes and lower-casing are byte
    /// work, and a split into Characters cost more than the rest of the classification. `.some(nil)`
    /// when no line names a command; nil when the text is not such text (read it as Characters).
    static func lastSentCommand(asciiText text: String) -> String?? {
        var t = text
        return t.withUTF8 { b -> String?? in
            guard !b.contains(where: { $0 >= 0x80 || $0 == 0x0D }) else { return nil }
            let names: [(String, String)] = [("rcpt", "RCPT"), ("data", "DATA"), ("mail", "MAIL"), ("ehlo", "EHLO"),
                                             ("helo", "HELO"), ("starttls", "STARTTLS"), (".", "DATA")]
            var last: String?
            var i = 0
            while i < b.count {
                var e = i
                while e < b.count, b[e] != 0x0A { e += 1 }
                var s = i
                while s < e, b[s] == 0x20 || b[s] == 0x09 { s += 1 }
                if e - s >= 3, b[s] == UInt8(ascii: ">"), b[s + 1] == UInt8(ascii: ">"), b[s + 2] == UInt8(ascii: ">") {
                    var c = s + 3
                    while c < e, b[c] == 0x20 || b[c] == 0x09 { c += 1 }
                    let cmd = UnsafeBufferPointer(rebasing: b[c..<min(e, c + 8)])
                    for (prefix, name) in names where cmd.count >= prefix.utf8.count
                        && zip(cmd, prefix.utf8).allSatisfy({ AhoCorasick<Int>.fold($0) == $1 }) {
                        last = name
                        break
                    }
                }
                i = e + 1
            }
            return .some(last)
        }
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
        // Statuses are ASCII (CodeScan's digits and dots): their bytes are searched, not with Foundation.
        let fieldZero = containsBytes(field, ".0"), messageZero = containsBytes(inMessage, ".0")
        if containsBytes(field, ".0.0") { return containsBytes(inMessage, ".0.0") ? field : inMessage }
        if fieldZero && !messageZero { return inMessage }
        if containsBytes(inMessage, ".0.0") { return field }
        if field == "4.4.7" || field == "4.7.0" || field.hasPrefix("5.3.") { return inMessage }
        for p in [".5.1", ".5.2", ".5.4", ".5.5"] where field.dropFirst().hasPrefix(p) { return inMessage }
        if field == "5.1.1" { return messageZero || inMessage.hasPrefix("5.5.") ? field : inMessage }
        if field == "5.1.3", inMessage.hasPrefix("5.7.") { return inMessage }
        return field
    }

    /// Lower-case field names, and their lengths (in bytes) to turn other names away cheaply.
    struct FieldNames {
        let names: Set<String>
        /// Bit n set: some name is n bytes long.
        private let lengths: UInt64
        init(_ names: Set<String>) {
            self.names = names
            lengths = names.reduce(0) { $0 | 1 << min($1.utf8.count, 63) }
        }
        func mayHold(length n: Int) -> Bool { lengths & 1 << min(n, 63) != 0 }
    }

    /// The fields `deliveryStatusFields` reads.
    static let dsnFieldNames = FieldNames(["reporting-mta", "final-recipient", "original-recipient", "action", "status",
                                           "remote-mta", "diagnostic-code", "last-attempt-date"])

    /// RFC 3464 per-recipient fields written as text (a report whose MIME structure could not
    /// be read, or pasted into a text part): each block opened by Final- or Original-Recipient.
    static func deliveryStatusFields(_ text: String) -> [DSNFields] {
        var out: [DSNFields] = []
        var current: DSNFields?
        var reporting: String?
        for f in fields(text, only: dsnFieldNames) {
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
        strings(text) { CodeScan.replyCodes(in: $0) }.filter { !$0.hasPrefix("2") }
    }

    /// `rfc822; a@b` → `a@b`, `smtp; 550 …` → `550 …`.
    static func strippingType(_ value: String) -> String {
        let u = Substring(value).utf8
        guard let semi = u.firstIndex(of: UInt8(ascii: ";")) else { return String(Substring(trimmedWhitespace(u))) }
        let type = u[..<semi]
        // At most 12 characters: 12 bytes or fewer always are; longer ASCII without a CR (CRLF is
        // one character) never is; anything else is counted in characters.
        let short = type.count <= 12
            || (!type.allSatisfy { $0 < 0x80 && $0 != 0x0D } && Substring(type).count <= 12)
        guard short, !type.contains(0x20), !type.contains(UInt8(ascii: "@")) else { return String(Substring(trimmedWhitespace(u))) }
        return String(Substring(trimmedWhitespace(u[u.index(after: semi)...])))
    }

    /// `Name: value` lines with folding undone; names lower-cased. Lines end at LF, CRLF or CR.
    /// `only`, when given, keeps the fields of those names (and their folded lines) and makes no
    /// string of any other: a report's text is mostly lines no reader asks for.
    static func fields(_ text: String, only: FieldNames? = nil) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        var t = text
        t.withUTF8 { b in
            func trimmed(_ r: Range<Int>) -> String {
                var lo = r.lowerBound, hi = r.upperBound
                while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
                while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
            }
            // A folded line continues the last field line (kept or not), once there was one.
            var anyField = false, lastKept = false
            var i = 0
            while i <= b.count {
                var e = i
                while e < b.count, b[e] != 0x0A, b[e] != 0x0D { e += 1 }
                let line = i..<e
                // A name runs to the colon with no space in it: a line of prose is turned away at
                // its first space, not read to its end for a colon.
                var colon = i
                while colon < e, b[colon] != UInt8(ascii: ":"), b[colon] != 0x20 { colon += 1 }
                if let f = line.first.map({ b[$0] }), f == 0x20 || f == 0x09, anyField {
                    if lastKept { out[out.count - 1].value += " " + trimmed(line) }
                } else if colon < e, b[colon] == UInt8(ascii: ":") {
                    anyField = true
                    // A name no reader asks for (most lines) is turned away on its length, before
                    // a string is made of it.
                    lastKept = only?.mayHold(length: colon - i) ?? true
                    if lastKept {
                        let name = String(unsafeUninitializedCapacity: colon - i) { n in
                            for k in i..<colon { n[k - i] = AhoCorasick<Int>.fold(b[k]) }
                            return colon - i
                        }
                        lastKept = only?.names.contains(name) ?? true
                        if lastKept { out.append((name, trimmed(colon + 1..<e))) }
                    }
                }
                if e < b.count, b[e] == 0x0D, e + 1 < b.count, b[e + 1] == 0x0A { e += 1 }
                i = e + 1
            }
        }
        return out
    }

    /// A diagnostic from a block of bounce text: whitespace collapsed, bounded to 1000 bytes
    /// (cut at a character boundary).
    static func diagnostic(_ block: String) -> String {
        var t = block
        let out: [UInt8] = t.withUTF8 { b in
            var out: [UInt8] = []
            out.reserveCapacity(min(b.count, 1004))
            var space = false
            for c in b {
                if c == 0x20 || (c >= 0x09 && c <= 0x0D) { space = true; continue }
                if space, !out.isEmpty { out.append(0x20) }
                space = false
                out.append(c)
                if out.count >= 1000 && c < 0x80 { break }
            }
            return out
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// Tags removed and the commonest entities decoded: enough to read an HTML-only bounce.
    /// Each tag (`<` to the next `>`) becomes a space, `<br`, `</p>`, `</tr>` and `</div>` a line
    /// break and a space; `&lt; &gt; &quot; &#39; &nbsp; &amp;` are decoded once. One pass over the bytes.
    static func strippingHTML(_ html: String) -> String {
        var h = html
        let out: [UInt8] = h.withUTF8 { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var i = 0
            func at(_ i: Int, _ s: StaticString) -> Bool {
                let n = s.utf8CodeUnitCount
                guard i + n <= b.count else { return false }
                for k in 0..<n where AhoCorasick<Int>.fold(b[i + k]) != s.utf8Start[k] { return false }
                return true
            }
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "<") {
                    if at(i, "<br") || at(i, "</p>") || at(i, "</tr>") || at(i, "</div>") { out.append(0x0A) }
                    var j = i + 1
                    while j < b.count, b[j] != UInt8(ascii: ">") { j += 1 }
                    if j < b.count { out.append(0x20); i = j + 1; continue }
                    out.append(c); i += 1; continue
                }
                if c == UInt8(ascii: "&") {
                    var matched = false
                    for (e, r) in Self.entities where at(i, e) {
                        out.append(r); i += e.utf8CodeUnitCount; matched = true
                        break
                    }
                    if matched { continue }
                }
                out.append(c); i += 1
            }
            return out
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let entities: [(StaticString, UInt8)] = [("&lt;", 0x3C), ("&gt;", 0x3E), ("&quot;", 0x22), ("&#39;", 0x27),
                                                     ("&nbsp;", 0x20), ("&amp;", 0x26)]
}
