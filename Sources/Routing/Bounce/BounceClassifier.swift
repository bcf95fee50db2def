import Foundation
import MIME

/// Reads a bounce: who failed, with which status, reply code and diagnostic, and why
/// (a `BounceReason`). Sources, in order: ARF feedback reports and RFC 3834 auto-replies
/// (which are no failures), Amazon SES JSON notifications, the RFC 3464 delivery-status
/// part, then the human-readable text read with the MTA family's phrases and the generic
/// reason tables. Pure: no I/O.
public enum BounceClassifier {
    /// The report of a bounce, feedback report or auto-reply; nil for a message that is none.
    /// `ownAddresses` are the configured aliases' addresses (lower-case): a bounce read from
    /// text never names one of them as a failed recipient (they are who sent the mail).
    /// `tables` switches family-specific tables off (the leave-one-family-out measurement).
    public static func classify(_ message: Message, ownAddresses: Set<String> = [], tables: BounceTables = .all) -> BounceReport? {
        guard tables.excludedPhrases.isEmpty else {
            return BounceTables.$inEffect.withValue(tables) { classifyWith(message, ownAddresses: ownAddresses, tables: tables) }
        }
        return classifyWith(message, ownAddresses: ownAddresses, tables: tables)
    }

    private static func classifyWith(_ message: Message, ownAddresses: Set<String>, tables: BounceTables) -> BounceReport? {
        let asked = AskedHeaders(message)
        guard mayBeReport(message, asked: asked) else { return nil }
        let context = BounceContext(message, ownAddresses: ownAddresses, tables: tables, asked: asked)
        if let r = feedbackReport(context) { return r }
        if let r = autoReply(context) { return r }
        if let r = AmazonSESNotice.read(context) { return r }
        if let r = deliveryStatusReport(context) { return r }
        guard context.looksLikeBounce else { return nil }
        let recipients = TextBounce.recipients(context)
        guard !recipients.isEmpty else { return nil }
        return context.report(.failure, format: context.family?.name ?? "text", recipients)
    }

    /// The reason for one failed recipient from its status, reply code and diagnostic text
    /// together; `command` is the SMTP command it failed at (RCPT, DATA, MAIL, …) when known,
    /// `hint` what an MTA family's own phrase said.
    public static func reason(status: String?, replyCode: String?, diagnostic: String?, action: String? = nil,
                              command: String? = nil, hint: BounceReason? = nil) -> BounceReason {
        ReasonJudge(status: status, replyCode: replyCode, text: TextScan.masked(diagnostic ?? ""), diagnosticType: nil,
                    command: command, action: action?.lowercased(), hint: hint).decide()
    }

    /// A complete recipient: status from the text when the report's is generic, a reason, hardness.
    /// `evidence` is the text the reason is read from (default: the diagnostic), `context` the
    /// wider text the SMTP command is looked for in; `contextCommand`, when given, is that command
    /// found once for every recipient that shares the context (the bounce's section).
    static func finish(_ r: inout BounceRecipient, temporary: Bool, hint: BounceReason?, evidence: String? = nil,
                       context: String? = nil, contextCommand: (() -> String?)? = nil, diagnosticType: String? = nil) {
        let diagnostic = evidence ?? r.diagnostic ?? ""
        if r.replyCode == nil { r.replyCode = TextScan.replyCode(in: diagnostic) }
        if r.status == nil || r.status == "" { r.status = TextScan.status(in: diagnostic) }
        if let s = r.status, !s.isEmpty {
            let inMessage = TextScan.messageStatus(in: diagnostic, other: s)
            r.status = TextScan.preferredStatus(s, inMessage: inMessage, replyCode: r.replyCode)
        }
        // A reply code of another class than the status belongs to another attempt (`554 4.4.7 …
        // <421 4.4.2 …>`): take the one that agrees, or none.
        if let s = r.status?.first, let code = r.replyCode, code.first != s {
            r.replyCode = TextScan.replyCodes(in: diagnostic).first { $0.first == s }
        }
        let command = TextScan.command(in: diagnostic) ?? (contextCommand.map { $0() } ?? context.flatMap(TextScan.command(in:)))
        var judge = ReasonJudge(status: r.status, replyCode: r.replyCode, text: TextScan.masked(diagnostic),
                                diagnosticType: diagnosticType, command: command, action: r.action, hint: hint)
        // The last non-empty piece between `@`s (an ASCII address: its bytes; else its characters).
        let domain: String
        if r.address.utf8.allSatisfy({ $0 < 0x80 }) {
            let u = r.address.utf8.reversed().drop { $0 == UInt8(ascii: "@") }
            domain = String(decoding: u.prefix { $0 != UInt8(ascii: "@") }.reversed(), as: UTF8.self)
        } else {
            domain = r.address.split(separator: "@").last.map(String.init) ?? ""
        }
        judge.strictProvider = MTAFormats.isStrictProvider(domain) || r.remoteMTA.map(MTAFormats.isStrictProvider) == true
        let reason = judge.decide()
        r.reason = reason.rawValue
        if r.status == nil || r.status == "" {
            let temp = temporary || r.replyCode?.hasPrefix("4") == true || r.action == "delayed"
            r.status = reason.impliedStatus(temporary: temp) ?? ""
        }
        r.hard = reason.isHard(status: r.status, replyCode: r.replyCode)
    }

    static func isGeneric(_ status: String) -> Bool { status.hasSuffix(".0.0") }

    static let autoReplySubjects = ["automatic reply", "auto:", "out of office", "autoreply", "auto-reply",
                                    "auto reply", "abwesenheitsnotiz", "réponse automatique", "vacation"]

    /// Every daemon-like local part, strong or weak, in one pass.
    static let daemonLocalMatcher = AhoCorasick((BounceContext.daemonLocals + BounceContext.weakDaemonLocals).map { ($0, ()) })

    /// A cheap look at the headers (no body text is read): ordinary mail skips the text scans.
    /// It must never turn a bounce away (BouncePretestTests: the whole shared corpus, case 23,
    /// the fixtures); a false alarm only costs the full look.
    static func mayBeReport(_ m: Message, asked: AskedHeaders? = nil) -> Bool {
        if m.deliveryStatus != nil || m.contentType?.type == "multipart" && m.contentType?.subtype == "report" { return true }
        let h = asked ?? AskedHeaders(m)
        // X-MLServer: fml's error notices (loop alerts, refusals) come from the list's admin
        // address with no other mark; its list traffic only costs the full look.
        if [.failedRecipients, .autoSubmitted, .autoreply, .autorespond, .exchangeNDR, .sesOutgoing, .feedbackType,
            .mlServer].contains(where: h.has) { return true }
        if h.has(.precedence), m.decodedHeader("Precedence")?.lowercased() == "auto_reply" { return true }
        let from = m.from.first?.address?.lowercased() ?? ""
        let local = TextScan.localPart(from)
        if from.isEmpty || daemonLocalMatcher.containsAny(in: local) { return true }
        let subject = (m.subject ?? "").lowercased()
        return BounceContext.bounceSubjectMatcher.containsAny(in: subject)
            || autoReplySubjects.contains { subject.hasPrefix($0) }
    }

    // MARK: - Feedback reports and auto-replies

    static func feedbackReport(_ c: BounceContext) -> BounceReport? {
        var report: MIMEPart?
        c.message.root?.walk { p in
            // The type compared in its two pieces: `mimeType` would build a string for every part.
            if report == nil, Self.isFeedbackReport(p.contentType) { report = p }
        }
        let isARF = c.message.contentType?.parameter("report-type")?.lowercased() == "feedback-report"
        guard isARF || report != nil else { return nil }
        var addresses: [String] = []
        if let part = report {
            let fields = TextScan.fields(String(decoding: part.decodedBody(in: c.message.raw), as: UTF8.self))
            for name in ["original-rcpt-to", "removal-recipient"] where addresses.isEmpty {
                addresses = fields.filter { $0.name == name }.compactMap { TextScan.addresses(in: $0.value).first }
            }
        }
        if addresses.isEmpty { addresses = c.original?.to ?? [] }
        if addresses.isEmpty { addresses = [""] }
        let recipients = TextScan.unique(addresses).map {
            BounceRecipient(address: $0, status: "", replyCode: "", diagnostic: nil, reason: BounceReason.feedback.rawValue,
                            hard: false)
        }
        return c.report(.feedback, format: "arf", recipients)
    }

    /// `type.mimeType == "message/feedback-report"`, without building the string.
    static func isFeedbackReport(_ type: ContentType) -> Bool {
        type.subtype.isEmpty ? type.type == "message/feedback-report" : type.type == "message" && type.subtype == "feedback-report"
    }

    static func autoReply(_ c: BounceContext) -> BounceReport? {
        let m = c.message
        let h = c.asked
        let submitted = h.has(.autoSubmitted) ? m.decodedHeader("Auto-Submitted")?.lowercased() ?? "" : ""
        let flagged = submitted.hasPrefix("auto-replied")
            || h.has(.autoreply) || h.has(.autorespond)
            || (h.has(.precedence) && m.decodedHeader("Precedence")?.lowercased() == "auto_reply")
        let subject = (m.subject ?? "").lowercased()
        let vacationSubject = autoReplySubjects.contains { subject.hasPrefix($0) }
        // Exim marks its bounces auto-replied too: a bounce is no vacation notice.
        guard (flagged || vacationSubject), !c.looksLikeBounce else { return nil }
        guard m.deliveryStatus == nil else { return nil }
        let who = m.from.first?.address?.lowercased() ?? ""
        let r = BounceRecipient(address: who, status: "", replyCode: "", diagnostic: m.subject,
                                reason: BounceReason.vacation.rawValue, hard: false)
        return c.report(.autoReply, format: "rfc3834", [r])
    }

    // MARK: - RFC 3464

    static func deliveryStatusReport(_ c: BounceContext) -> BounceReport? {
        var dsn = (c.message.deliveryStatus ?? []).map(DSNFields.init)
        // Read the fields again from the text when the parser found fewer recipients: a report
        // whose recipient blocks are not separated by blank lines, one with Original-Recipient
        // only, or a report whose MIME structure could not be read.
        let fromText = TextScan.deliveryStatusFields(c.reports.isEmpty ? c.text : c.reports)
        if fromText.count > dsn.count || !dsn.contains(where: { $0.finalRecipient != nil }) && !fromText.isEmpty {
            dsn = fromText
        } else if fromText.count == dsn.count {
            // Same recipients: a field the parser left in a block of its own (Exchange writes a
            // blank line before Diagnostic-Code) is taken from the text.
            for i in dsn.indices where dsn[i].finalRecipient == fromText[i].finalRecipient {
                dsn[i].diagnosticCode = dsn[i].diagnosticCode ?? fromText[i].diagnosticCode
                dsn[i].remoteMTA = dsn[i].remoteMTA ?? fromText[i].remoteMTA
                dsn[i].status = dsn[i].status ?? fromText[i].status
                dsn[i].action = dsn[i].action ?? fromText[i].action
            }
        }
        guard !dsn.isEmpty else { return nil }
        let addresses = dsn.compactMap { d in
            (d.finalRecipient ?? d.originalRecipient).flatMap { TextScan.addresses(in: TextScan.strippingType($0)).first }
        }
        let blocks = TextBounce.blocks(c, for: addresses)
        var out: [BounceRecipient] = []
        for d in dsn {
            let raw = d.finalRecipient ?? d.originalRecipient ?? ""
            guard let address = TextScan.addresses(in: TextScan.strippingType(raw)).first ?? TextScan.addresses(in: raw).first
            else { continue }
            let diagnostic = d.diagnosticCode.map(TextScan.strippingType).flatMap { $0.isEmpty ? nil : $0 }
            var r = BounceRecipient(address: address, status: d.status.flatMap(TextScan.status(in:)),
                                    replyCode: diagnostic.flatMap(TextScan.replyCode(in:)),
                                    diagnostic: diagnostic ?? blocks[address].flatMap {
                                        TextBounce.hasEvidence($0) ? TextScan.diagnostic(TextBounce.focus($0)) : nil },
                                    remoteMTA: d.remoteMTA.map(TextScan.strippingType), action: d.action?.lowercased())
            let hint = c.familyHint(r.diagnostic ?? blocks[address] ?? "")
            var type = d.diagnosticCode.flatMap(TextScan.diagnosticType)
            // Postfix's own type still carries a remote server's answer when it quotes one.
            if type == "x-postfix", r.replyCode != nil { type = "smtp" }
            let block = blocks[address]
            // The command the text names ("… (in reply to MAIL FROM command)") belongs to the diagnostic.
            let evidence = (r.diagnostic ?? "") + ((block.map(TextScan.inReplyTo(_:)) ?? c.sectionInReplyTo()).map { " (\($0))" } ?? "")
            finish(&r, temporary: d.action?.lowercased() == "delayed", hint: hint, evidence: evidence, context: block,
                   contextCommand: block == nil ? c.sectionCommand : nil, diagnosticType: type)
            out.append(r)
        }
        guard !out.isEmpty else { return nil }
        return c.report(.failure, format: "dsn", out)
    }
}
