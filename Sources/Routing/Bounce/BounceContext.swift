import Foundation
import MIME

/// The bounced message as the bounce carries it (attached, headers only, or inline text).
struct OriginalMessage {
    var messageID: String?
    var subject: String?
    var from: String?
    /// Its header section, for `to` and `returnPath`.
    private let header: Message

    init(_ m: Message) {
        header = m
        messageID = m.messageID
        subject = m.subject
        from = m.from.first?.address?.lowercased()
    }

    /// The envelope sender (`Return-Path`) of the bounced message, when it kept one. Read only
    /// when asked: only a bounce read from text needs it (not a recipient), and addresses cost.
    var returnPath: String? { header.addresses(inFields: "Return-Path").first?.address?.lowercased() }

    /// To and Cc, lower-case, read only when asked: few bounces need them (a feedback report
    /// that names no recipient, a text bounce that names none), and addresses cost the most to read.
    var to: [String] {
        // A header section read in full (`parseHeaderSection` fell back to `parse`) has them already.
        let read = header.to + header.cc
        let list = read.isEmpty ? header.addresses(inFields: "To") + header.addresses(inFields: "Cc") : read
        return list.compactMap { $0.address?.lowercased() }
    }

    var isEmpty: Bool { messageID == nil && subject == nil && from == nil && to.isEmpty }

    /// The fields `parseHeaderSection` reads (Return-Path, To and Cc are read from the fields when needed).
    static let fields: Set<String> = ["message-id", "subject", "from"]
}

/// What every recogniser needs from one bounce, computed once. A class: every recogniser and
/// recipient is handed the same one (a struct this size is copied, and its references retained,
/// at each hand-over), and the work recipients share is kept in it the first time it is done.
final class BounceContext {
    let message: Message
    /// The human-readable text of the bounce (every text part outside the attached message).
    let text: String
    /// The delivery-status parts' text.
    let reports: String
    /// `text` up to where the copy of the original message starts.
    let section: String
    let original: OriginalMessage?
    let family: MTAFormat?
    let looksLikeBounce: Bool
    /// Addresses that are not failed recipients: the bounce's own parties, the original sender
    /// (header and envelope) and the configured aliases. Gathered on first use: only a bounce
    /// read from text asks (a delivery-status report names its recipients in fields).
    private(set) lazy var notRecipients: Set<String> = {
        var not = ownAddresses
        for a in message.to + message.cc + message.from + message.replyTo + message.sender {
            if let x = a.address?.lowercased() { not.insert(x) }
        }
        if let f = original?.from { not.insert(f) }
        if let f = original?.returnPath { not.insert(f) }
        return not
    }()
    private let ownAddresses: Set<String>

    /// Text beyond this is not read: a bounce says why early, a returned attachment does not.
    static let maxTextBytes = 256 * 1024

    /// The header section of a message (up to its first empty line): the bounced message's
    /// body is never needed.
    static func headerSection<C: RandomAccessCollection>(_ bytes: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0A { return Array(bytes[...(i + 1)]) }
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0D, i + 2 < bytes.endIndex, bytes[i + 2] == 0x0A {
                return Array(bytes[...(i + 2)])
            }
            i += 1
        }
        return Array(bytes)
    }

    static let envelopeLine = Array("From ".utf8)

    static let copyMarkers = [
        "--- below this line is a copy of the message", "------ this is a copy of the message",
        "this is a copy of the message", "this is a copy of your message", "----- original message -----",
        "-----original message-----", "original message follows", "----- unsent message below -----",
        "the header of the original message", "----- the following is a copy", "------- returned mail follows",
        "----- returned message", "original message headers", "original message header follows",
        "--- original message ---", "----- message header follows", "------ original message",
        "----- original message header", "received message headers", "---- message header follows",
        "the original message was:", "----- headers of the original message", "original message headers:",
        "--- original message headers", "----- unsent message header", "undelivered message attached",
        "a copy of the original message", "content-type: message/rfc822", "content-type: text/rfc822-headers",
        "----- message header", "------ original headers", "headers of the message follow",
    ]

    /// `copyMarkers` and the header lines a pasted copy starts with, case-insensitive.
    static let copyMarkerMatcher = AhoCorasick(
        (copyMarkers + ["\nreceived: from ", "\nreturn-path: <", "\nreturn-path:<"]).map { ($0, ()) })

    static let bounceSubjects = [
        "undeliver", "delivery status", "mail delivery failed", "failure notice",
        "returned mail", "delivery failure", "mail system error", "delivery notification", "could not be delivered",
        "non remis", "unzustellbar", "delivery failed", "nondeliverable", "non-deliverable", "not delivered",
        "delivery problem", "message delivery", "mail delivery", "bounce", "rejected", "delayed mail",
        "warning: could not send", "delivery has failed", "nicht zustellbar", "mail failure", "error sending",
        "failed delivery", "delivery report", "delivery error", "message not delivered", "permanent error",
        "returned to sender", "can't be delivered", "cannot be delivered", "mail could not", "delivery failure",
    ]

    /// `bounceSubjects` in one pass over a (lower-cased) subject.
    static let bounceSubjectMatcher = AhoCorasick(bounceSubjects.map { ($0, ()) })

    static let daemonLocals = ["mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon",
                               "mail.delivery.system", "mail-delivery-system", "mdaemon", "microsoftexchange", "post_master"]

    /// Senders that also send ordinary notifications: their message is a bounce only when it
    /// carries a copy of another message and says why it failed.
    static let weakDaemonLocals = ["no-reply", "noreply", "bounce"]

    /// The family tables in use (all but a left-out family's).
    let tables: BounceTables
    /// Which of the header fields the classifier asks about are present.
    let asked: AskedHeaders

    init(_ message: Message, ownAddresses: Set<String> = [], tables: BounceTables = .all, asked: AskedHeaders? = nil) {
        let asked = asked ?? AskedHeaders(message)
        self.asked = asked
        self.message = message
        self.tables = tables
        self.ownAddresses = ownAddresses
        var texts: [String] = []
        var reports: [String] = []
        var originalPart: MIMEPart?
        func visit(_ p: MIMEPart, top: Bool) {
            let t = p.contentType.mimeType
            if p.isMultipart { p.children.forEach { visit($0, top: false) }; return }
            // The type is read once (each read builds its string).
            if Self.holdsAMessage(p, type: t) {
                if originalPart == nil, Self.isAttachedMessage(p, type: t) { originalPart = p }
                return
            }
            if t == "message/delivery-status" || t == "message/global-delivery-status" {
                reports.append(String(decoding: p.decodedBody(in: message.raw), as: UTF8.self))
                return
            }
            guard p.contentType.type == "text" || top else { return }
            if t == "message/feedback-report" { return }
            // The first text read is the parser's charset-decoded text when it has one: that part
            // is not decoded (nor stripped of HTML) again.
            if texts.isEmpty, let parsed = message.text, !parsed.isEmpty {
                texts.append(parsed)
                return
            }
            let bytes = p.decodedBody(in: message.raw).prefix(Self.maxTextBytes)
            var s = String(decoding: bytes, as: UTF8.self)
            if t == "text/html" { s = TextScan.strippingHTML(s) }
            texts.append(s)
        }
        if let root = message.root { visit(root, top: true) }
        if texts.isEmpty {
            // No readable part (a multipart whose boundary the parser did not find): the parser's
            // text, else the raw body.
            if let parsed = message.text, !parsed.isEmpty { texts.append(parsed) }
            else { texts.append(String(decoding: message.body.prefix(Self.maxTextBytes), as: UTF8.self)) }
        }
        var text = texts.joined(separator: "\n")
        if TextScan.containsBytes(text, "\r\n") {
            // CRLF → LF; a lone CR stays. Written straight into the new string (no byte arrays).
            text = text.withUTF8 { u in
                String(unsafeUninitializedCapacity: u.count) { out in
                    var n = 0
                    for i in 0..<u.count where !(u[i] == 0x0D && i + 1 < u.count && u[i + 1] == 0x0A) {
                        out[n] = u[i]
                        n += 1
                    }
                    return n
                }
            }
        }
        self.text = text
        self.reports = reports.joined(separator: "\n\n")

        // Where the copy of the original message starts: the first marker, found in one pass.
        var cut = Int.max
        var t = text
        t.withUTF8 { b in cut = Self.copyMarkerMatcher.firstStart(in: b) ?? Int.max }
        let sectionEnd = cut == Int.max ? text.endIndex : text.utf8.index(text.utf8.startIndex, offsetBy: cut)
        section = String(text[..<sectionEnd])

        var original: OriginalMessage?
        if let part = originalPart {
            // Only the fields a verdict uses are read from the attached message: from the fields the
            // parse split already (`readHeaderFields`), else out of its header section's bytes (no
            // MIME tree, no body text: `parseHeaderSection`). The bytes are read again when they start
            // with an mbox `From ` line, after a byte order mark or not (a parse of the section alone
            // skips it, the attached part's did not), and for an encoded attachment (the part's ranges index its decoded bytes).
            var header: Message?
            if let child = part.children.first, part.encapsulated == nil, child.range.upperBound <= message.raw.count,
               !message.raw[child.range].starts(with: Self.envelopeLine), message.raw[child.range].first != 0xEF {
                header = MIMEParser().readHeaderFields(child.headers, reading: OriginalMessage.fields)
            }
            if header == nil {
                let bytes = part.children.first.map { Self.headerSection(message.raw[$0.range]) }
                    ?? Self.headerSection(part.decodedBody(in: message.raw)[...])
                header = MIMEParser().parseHeaderSection(bytes, reading: OriginalMessage.fields)
            }
            let o = OriginalMessage(header!)
            if !o.isEmpty { original = o }
        }
        if original == nil, sectionEnd < text.endIndex {
            var rest = Substring(text[sectionEnd...])
            // Skip the marker line and blank lines to reach the header block. On bytes: with CRLF
            // undone an LF is always a Character of its own, and so is a space an ASCII byte follows
            // (before any other byte the Characters are read, as a combining mark joins a space).
            let u = rest.utf8
            if let nl = u.firstIndex(of: 0x0A), u.first != 0x0A { rest = rest[u.index(after: nl)...] }
            var i = rest.utf8.startIndex
            while i < rest.utf8.endIndex, rest.utf8[i] == 0x0A || rest.utf8[i] == 0x20 {
                let next = rest.utf8.index(after: i)
                if next < rest.utf8.endIndex, rest.utf8[next] >= 0x80 { break }
                i = next
            }
            rest = rest[i...]
            while let f = rest.first, f == "\n" || f == " " { rest = rest.dropFirst() }
            // Only the header block is copied out of the text (not the rest of it, byte by byte).
            let header = rest.utf8.withContiguousStorageIfAvailable { Self.headerSection($0) }
                ?? Self.headerSection(Array(rest.utf8))
            let o = OriginalMessage(MIMEParser().parseHeaderSection(header, reading: OriginalMessage.fields))
            if !o.isEmpty { original = o }
        }
        self.original = original

        let from = (message.from.first?.address ?? "").lowercased()
        let subject = (message.subject ?? "").lowercased()
        let fromLocal = TextScan.localPart(from)
        let headerSig = [AskedHeaders.Name.mailer, .failedRecipients, .sesOutgoing, .messageID, .exchangeNDR]
            .filter(asked.has).compactMap { n in message.decodedHeader(n.field).map { "\(n.field.lowercased()) \($0)" } }
        // From, Subject, a few headers and the report section: what families are told by. Markers
        // are matched case-insensitively (ASCII) and none holds a line break, so each piece is
        // read on its own: no lower-cased or joined copy of the section is made.
        family = MTAFormats.detect([from, subject] + headerSig + [section])

        let fromName = (message.from.first?.name ?? "").lowercased()
        looksLikeBounce = message.contentType?.mimeType == "multipart/report"
            || Self.daemonLocals.contains { TextScan.containsBytes(fromLocal, $0) }
            // The null sender, or a daemon by name ("Mailer Daemon <postmaster@…>").
            || from.isEmpty || ["mailer-daemon", "mailer daemon", "mail delivery"].contains { TextScan.containsBytes(fromName, $0) }
            || asked.has(.failedRecipients)
            || asked.has(.exchangeNDR)
            // Weaker signs (a no-reply sender, a subject that says "undeliverable") need the
            // returned message or a known MTA's wording, and a reason in the text.
            || (Self.weakDaemonLocals.contains { TextScan.containsBytes(fromLocal, $0) } || Self.bounceSubjectMatcher.containsAny(in: subject))
                && (original != nil || family != nil) && TextBounce.hasEvidence(section)
    }

    /// A part that holds a message or its headers (message/rfc822 and kin): not the bounce's own text.
    static func holdsAMessage(_ p: MIMEPart, type: String? = nil) -> Bool {
        let t = type ?? p.contentType.mimeType
        return messageTypes.contains(t) || (t.hasPrefix("message/") && !p.children.isEmpty)
    }

    /// The types of parts that hold a message or its headers (a set made once, not per part).
    static let messageTypes: Set<String> = ["message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
                                            "text/rfc822", "message/partial", "text/rfc822-header"]

    /// A part that holds the bounced message (a report part holds none).
    static func isAttachedMessage(_ p: MIMEPart, type: String? = nil) -> Bool {
        let t = type ?? p.contentType.mimeType
        return holdsAMessage(p, type: t) && t != "message/delivery-status" && t != "message/feedback-report"
    }

    /// The readable text of the attached message (its text/plain parts, CRLF as LF). Read only
    /// when the bounce's own words say nothing: a gateway may pass another MTA's report on. The
    /// part is looked for again here so that the context every bounce builds stays small.
    func attachedText() -> String {
        var found: MIMEPart?
        message.root?.walk { p in if found == nil, Self.isAttachedMessage(p) { found = p } }
        guard let part = found else { return "" }
        var out: [UInt8] = []
        func visit(_ p: MIMEPart, _ raw: [UInt8]) {
            let inner = p.encapsulated ?? raw
            if p.contentType.mimeType == "text/plain" {
                out += p.decodedBody(in: raw).prefix(Self.maxTextBytes - out.count).filter { $0 != 0x0D }
                out.append(0x0A)
            }
            for c in p.children where out.count < Self.maxTextBytes { visit(c, inner) }
        }
        visit(part, message.raw)
        return String(decoding: out, as: UTF8.self)
    }

    /// Work that recipients share, done at most once per bounce.
    private var sectionCommandMemo: String??
    private var sectionInReplyToMemo: String??

    private var summaryLineMemo: [String: String?] = [:]

    /// The section's sendmail summary line for the address (`TextBounce.summaryLine`), found once:
    /// a recipient's block and its verdict both ask.
    func sectionSummaryLine(_ address: String) -> String? {
        if let known = summaryLineMemo[address] { return known }
        let line = TextBounce.summaryLine(section, address: address)
        summaryLineMemo[address] = .some(line)
        return line
    }

    /// The SMTP command the section names (`TextScan.command`), found once.
    func sectionCommand() -> String? {
        if let known = sectionCommandMemo { return known }
        let command = TextScan.command(in: section)
        sectionCommandMemo = .some(command)
        return command
    }

    /// Postfix's "in reply to … command" in the section (`TextScan.inReplyTo`), found once.
    func sectionInReplyTo() -> String? {
        if let known = sectionInReplyToMemo { return known }
        let phrase = TextScan.inReplyTo(section)
        sectionInReplyToMemo = .some(phrase)
        return phrase
    }

    /// The reason an MTA family's own phrase gives for this text.
    func familyHint(_ diagnostic: String) -> BounceReason? {
        let excluded = tables.excludedFamilies
        if let p = MTAFormats.providerMatcher.firstListed(in: diagnostic, where: { !excluded.contains(MTAFormats.providers[$0].family) }) {
            return MTAFormats.providers[p].1
        }
        guard let family, !family.belongs(to: excluded) else { return nil }
        // A `*` row applies to anything its earlier rows did not name.
        let star = family.reasons.firstIndex { $0.0 == "*" }
        let phrase = MTAFormats.reasonMatchers[family.name]?.firstListed(in: diagnostic, where: { star == nil || $0 < star! })
        return (phrase ?? star).map { family.reasons[$0].1 }
    }

    func report(_ kind: BounceReport.Kind, format: String, _ recipients: [BounceRecipient]) -> BounceReport {
        BounceReport(kind: kind, format: format, recipients: recipients, originalMessageID: original?.messageID,
                     originalSubject: original?.subject, originalSender: original?.from)
    }
}
