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

enum DeliveryStatusParser {
    /// Every delivery-status part of the tree (embedded messages included); nil when there is none.
    static func reports(in root: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, fallback: String,
                        defects: inout [String]) -> [DeliveryStatusRecipient]? {
        var found = false
        var out: [DeliveryStatusRecipient] = []
        root.walk { part in
            let t = part.contentType.mimeType
            guard t == "message/delivery-status" || t == "message/global-delivery-status" else { return }
            found = true
            let body = part.decodedBody(UnsafeBufferPointer(rebasing: buf[part.bodyRange]))
            out += parse(body, fallback: fallback, defects: &defects)
        }
        return found ? out : nil
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
        // Final-Recipient or Status is a recipient, the first Reporting-MTA is the reporter.
        var reporting: String? = nil
        for blk in blocks where reporting == nil { reporting = value(blk, "reporting-mta") }
        var out: [DeliveryStatusRecipient] = []
        for blk in blocks {
            let final = value(blk, "final-recipient"), status = value(blk, "status")
            if final == nil && status == nil { continue }
            out.append(DeliveryStatusRecipient(
                reportingMTA: reporting, finalRecipient: final, originalRecipient: value(blk, "original-recipient"),
                action: value(blk, "action"), status: status, remoteMTA: value(blk, "remote-mta"),
                diagnosticCode: value(blk, "diagnostic-code"), lastAttemptDate: value(blk, "last-attempt-date")))
        }
        return out
    }
}
