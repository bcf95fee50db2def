import Foundation

/// One recipient of an RFC 3464 delivery status notification (message/delivery-status, or RFC 6533
/// message/global-delivery-status). Values are as written, whitespace collapsed.
public struct DeliveryStatusRecipient: Sendable, Equatable {
    public var reportingMTA: String?
    public var finalRecipient: String?
    public var originalRecipient: String?
    public var action: String?
    public var status: String?
    public var remoteMTA: String?
    public var diagnosticCode: String?
    public var lastAttemptDate: String?

    public var jsonValue: JSONValue {
        .object([("reporting_mta", .string(reportingMTA)), ("final_recipient", .string(finalRecipient)),
                 ("original_recipient", .string(originalRecipient)), ("action", .string(action)),
                 ("status", .string(status)), ("remote_mta", .string(remoteMTA)),
                 ("diagnostic_code", .string(diagnosticCode)), ("last_attempt_date", .string(lastAttemptDate))])
    }
}

/// An RFC 3464 delivery status notification as Mailgate reads it (`Message.dsn`, the `dsn` object of
/// `mailgate parse --json`). Values have their type prefix removed: `rfc822; x@y` → `x@y`,
/// `smtp; 550 …` → `550 …`, `dns; mx.example.com` → `mx.example.com`.
public struct DeliveryReport: Sendable, Equatable {
    public var reportingMTA: String?
    /// In the report's order (all delivery-status parts of the message, in document order).
    public var recipients: [DeliveryReportRecipient]
    /// The Message-ID (`<id@host>`) of the returned message, from the report's message/rfc822 or
    /// text/rfc822-headers part; nil when neither carries one.
    public var originalMessageID: String?

    public init(reportingMTA: String?, recipients: [DeliveryReportRecipient], originalMessageID: String?) {
        self.reportingMTA = reportingMTA
        self.recipients = recipients
        self.originalMessageID = originalMessageID
    }

    public var jsonValue: JSONValue {
        .object([("reporting_mta", .string(reportingMTA)), ("recipients", .array(recipients.map(\.jsonValue))),
                 ("original_message_id", .string(originalMessageID))])
    }
}

public struct DeliveryReportRecipient: Sendable, Equatable {
    public var finalRecipient: String?
    public var originalRecipient: String?
    public var action: String?
    public var status: String?
    public var diagnosticCode: String?
    public var remoteMTA: String?
    public var lastAttemptDate: String?

    public init(finalRecipient: String?, originalRecipient: String?, action: String?, status: String?,
                diagnosticCode: String?, remoteMTA: String?, lastAttemptDate: String? = nil) {
        self.finalRecipient = finalRecipient
        self.originalRecipient = originalRecipient
        self.action = action
        self.status = status
        self.diagnosticCode = diagnosticCode
        self.remoteMTA = remoteMTA
        self.lastAttemptDate = lastAttemptDate
    }

    /// From the raw reading (`Message.deliveryStatus`).
    public init(_ r: DeliveryStatusRecipient) {
        self.init(finalRecipient: DeliveryReport.strippingType(r.finalRecipient),
                  originalRecipient: DeliveryReport.strippingType(r.originalRecipient),
                  action: r.action?.lowercased(), status: r.status,
                  diagnosticCode: DeliveryReport.strippingType(r.diagnosticCode),
                  remoteMTA: DeliveryReport.strippingType(r.remoteMTA), lastAttemptDate: r.lastAttemptDate)
    }

    public var jsonValue: JSONValue {
        .object([("final_recipient", .string(finalRecipient)), ("original_recipient", .string(originalRecipient)),
                 ("action", .string(action)), ("status", .string(status)), ("diagnostic_code", .string(diagnosticCode)),
                 ("remote_mta", .string(remoteMTA))])
    }
}

extension DeliveryReport {
    /// `type; value` → `value` when `type` is one token (rfc822, smtp, dns, x-unix, utf-8, …); an
    /// empty value becomes nil.
    public static func strippingType(_ v: String?) -> String? {
        guard let v else { return nil }
        // On the UTF-8 bytes (ASCII delimiters only): no Foundation string search on the hot path.
        let u = Array(v.utf8)
        var lo = 0
        if let semi = u.firstIndex(of: 0x3B) {
            var a = 0, b = semi
            while a < b, u[a] == 0x20 || u[a] == 0x09 { a += 1 }
            while b > a, u[b - 1] == 0x20 || u[b - 1] == 0x09 { b -= 1 }
            let isToken = a < b && u[a..<b].allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x2D || c == 0x2E || c == 0x5F
            }
            if isToken { lo = semi + 1 }
        }
        var hi = u.count
        while lo < hi, u[lo] == 0x20 || u[lo] == 0x09 { lo += 1 }
        while hi > lo, u[hi - 1] == 0x20 || u[hi - 1] == 0x09 { hi -= 1 }
        if lo == hi { return nil }
        if lo == 0 && hi == u.count { return v }
        return String(decoding: u[lo..<hi], as: UTF8.self)
    }
}

enum DeliveryStatusParser {
    /// Every delivery-status part of the message (not those of an embedded message: a forwarded bounce is
    /// no bounce); nil when there is none.
    static func reports(in root: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, fallback: String,
                        defects: inout [String]) -> [DeliveryStatusRecipient]? {
        var found = false
        var out: [DeliveryStatusRecipient] = []
        root.walkOwnParts { part in
            let t = part.contentType.mimeType
            guard t == "message/delivery-status" || t == "message/global-delivery-status" else { return }
            found = true
            let body = part.decodedBody(UnsafeBufferPointer(rebasing: buf[part.bodyRange]))
            out += parse(body, fallback: fallback, defects: &defects)
        }
        return found ? out : nil
    }

    /// The Reporting-MTA of the first delivery-status part (for a report without recipients).
    static func reportingMTA(in root: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, fallback: String) -> String? {
        var found: String? = nil
        root.walkOwnParts { part in
            let t = part.contentType.mimeType
            guard found == nil, t == "message/delivery-status" || t == "message/global-delivery-status" else { return }
            var d: [String] = []
            let body = part.decodedBody(UnsafeBufferPointer(rebasing: buf[part.bodyRange]))
            body.withUnsafeBufferPointer { b in
                var pos = 0
                while pos < b.count, b[pos] == 0x0D || b[pos] == 0x0A { pos += 1 }
                let r = HeaderSplitter.split(UnsafeBufferPointer(rebasing: b[pos...]), maxHeaderBytes: 64 << 10, skipEnvelope: false, defects: &d)
                if let f = r.fields.first(where: { $0.name.caseInsensitiveEquals("reporting-mta") }) {
                    found = f.value.withUnsafeBufferPointer { TextDecoder.decodeRaw($0, fallback: fallback, defects: &d) }
                }
            }
        }
        return found
    }

    /// The Message-ID of the returned message: the first message/rfc822 (or message/global) or
    /// text/rfc822-headers (or message/global-headers) part after the first delivery-status part.
    static func originalMessageID(in root: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>) -> String? {
        var seenReport = false
        var found: String? = nil
        var done = false
        root.walkOwnParts { part in
            guard !done else { return }
            let t = part.contentType.mimeType
            if t == "message/delivery-status" || t == "message/global-delivery-status" { seenReport = true; return }
            guard seenReport else { return }
            var headers: [HeaderField] = []
            if t == "message/rfc822" || t == "message/global" {
                headers = part.children.first?.headers ?? []
            } else if t == "text/rfc822-headers" || t == "message/global-headers" {
                var d: [String] = []
                let body = part.decodedBody(UnsafeBufferPointer(rebasing: buf[part.bodyRange]))
                headers = body.withUnsafeBufferPointer {
                    HeaderSplitter.split($0, maxHeaderBytes: 1 << 20, skipEnvelope: true, defects: &d).fields
                }
            } else { return }
            done = true
            var ignored: [String] = []
            if let f = headers.first(where: { $0.name.caseInsensitiveEquals("message-id") }) {
                found = MessageIDParser.parseList(f.value, defects: &ignored, field: "Message-ID").first
            }
        }
        return found
    }

    /// Blocks of header fields separated by empty lines: the per-message block, then one per recipient.
    static func parse(_ body: [UInt8], fallback: String, defects: inout [String]) -> [DeliveryStatusRecipient] {
        var blocks: [[HeaderField]] = []
        body.withUnsafeBufferPointer { b in
            var pos = 0
            while pos < b.count {
                // Skip empty lines between blocks.
                while pos < b.count, b[pos] == 0x0D || b[pos] == 0x0A { pos += 1 }
                if pos >= b.count { break }
                var d: [String] = []
                let r = HeaderSplitter.split(UnsafeBufferPointer(rebasing: b[pos...]), maxHeaderBytes: 1 << 20,
                                             skipEnvelope: false, defects: &d)
                if !r.fields.isEmpty { blocks.append(r.fields) }
                if r.bodyStart == 0 {
                    // A line that is no field: skip it.
                    while pos < b.count, b[pos] != 0x0A, b[pos] != 0x0D { pos += 1 }
                } else {
                    pos += r.bodyStart
                }
            }
        }
        guard !blocks.isEmpty else { return [] }
        func value(_ fields: [HeaderField], _ name: String) -> String? {
            guard let f = fields.first(where: { $0.name.caseInsensitiveEquals(name) }) else { return nil }
            // Whitespace runs (folding included) collapse to one space.
            var collapsed: [UInt8] = []
            collapsed.reserveCapacity(f.value.count)
            for b in f.value {
                if b == 0x20 || b == 0x09 {
                    if let l = collapsed.last, l != 0x20 { collapsed.append(0x20) }
                } else { collapsed.append(b) }
            }
            if collapsed.last == 0x20 { collapsed.removeLast() }
            return collapsed.withUnsafeBufferPointer { TextDecoder.decodeRaw($0, fallback: fallback, defects: &defects) }
        }
        // The per-message block is normally first, but some MTAs leave it out: any block with a
        // recipient field (Final-/Original-Recipient, Action, Status, Diagnostic-Code) is a recipient, the first Reporting-MTA is the reporter.
        var reporting: String? = nil
        for blk in blocks where reporting == nil { reporting = value(blk, "reporting-mta") }
        var out: [DeliveryStatusRecipient] = []
        for blk in blocks {
            let final = value(blk, "final-recipient"), status = value(blk, "status")
            // Some MTAs leave out Final-Recipient and Status (McAfee): any recipient field makes a recipient.
            if final == nil && status == nil && value(blk, "original-recipient") == nil && value(blk, "action") == nil
                && value(blk, "diagnostic-code") == nil { continue }
            let next = DeliveryStatusRecipient(
                reportingMTA: reporting, finalRecipient: final, originalRecipient: value(blk, "original-recipient"),
                action: value(blk, "action"), status: status, remoteMTA: value(blk, "remote-mta"),
                diagnosticCode: value(blk, "diagnostic-code"), lastAttemptDate: value(blk, "last-attempt-date"))
            // Exchange writes a blank line before Diagnostic-Code: a block naming no recipient
            // whose fields the recipient before it lacks is the rest of that recipient.
            if next.finalRecipient == nil, next.originalRecipient == nil, var previous = out.last,
               previous.finalRecipient != nil || previous.originalRecipient != nil,
               next.action == nil || previous.action == nil, next.status == nil || previous.status == nil,
               next.remoteMTA == nil || previous.remoteMTA == nil,
               next.diagnosticCode == nil || previous.diagnosticCode == nil {
                previous.action = previous.action ?? next.action
                previous.status = previous.status ?? next.status
                previous.remoteMTA = previous.remoteMTA ?? next.remoteMTA
                previous.diagnosticCode = previous.diagnosticCode ?? next.diagnosticCode
                previous.lastAttemptDate = previous.lastAttemptDate ?? next.lastAttemptDate
                out[out.count - 1] = previous
                continue
            }
            out.append(next)
        }
        return out
    }
}
