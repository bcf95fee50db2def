#if canImport(Glibc)
import Glibc
#endif

/// From the MIME tree to what Mailgate uses, in Odoo's body model (`mail.thread._message_parse_extract_payload`):
/// walking the leaves in document order (message/* parts are leaves),
///   - a part with a filename or `Content-Disposition: attachment` is an attachment, even if it is text;
///   - text/plain is body text when no multipart/alternative was met yet or there is no text body yet
///     (so inline text parts after the first in a multipart/mixed are appended);
///   - text/html is the HTML body: it replaces an earlier one inside a multipart/alternative, is appended
///     when not in one (or in a multipart/mixed that already has HTML);
///   - every other leaf is an attachment (streamed: size and SHA-256 without holding its bytes).
/// A multipart whose boundary is missing or never found is read as text/plain (with a defect).
/// `text` falls back to the HTML rendered as text.
enum BodyDecoder {
    /// `parser` built `root`; `undeclared` reads unlabelled 8-bit text (`UndeclaredCharset`).
    static func decode(_ m: inout Message, _ buf: UnsafeBufferPointer<UInt8>, options: ParserOptions, parser: BodyParser,
                       root: MIMEPart, undeclared: String) {
        var parser = parser
        let fallback = undeclared

        var alternative = false, mixed = false
        var texts: [String] = [], htmls: [String] = []
        var leaves: [MIMEPart] = []
        collect(root, alternative: &alternative, mixed: &mixed, into: &leaves, isRoot: true) { leaf, alt, mix in
            // Decide body or attachment for each leaf as the walk reaches it (the flags are the walk's so far).
            let ct = leaf.contentType
            // An unsplittable multipart reads as text/plain; one cut by the depth limit is an attachment.
            if leaf.isMultipart, leaf.depth >= options.maxDepth { return false }
            let asText = leaf.isMultipart
            // …unless there is nothing in it (an empty multipart is neither body nor attachment).
            if asText, buf[leaf.bodyRange].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) { return true }
            if leaf.filename != nil || leaf.isAttachment { return false }
            if ct.mimeType == "text/plain" || asText {
                if !alt || texts.isEmpty {
                    texts.append(decodeText(leaf, buf, parser: &parser, fallback: fallback))
                    return true
                }
                return false
            }
            if ct.mimeType == "text/html" {
                let h = decodeText(leaf, buf, parser: &parser, fallback: fallback)
                if !alt || (!htmls.isEmpty && mix) { htmls.append(h) } else { htmls = [h] }
                return true
            }
            // A single-part message of another text type (text/enriched, text/calendar…) is its own body.
            if leaf.depth == 0, ct.type == "text" {
                texts.append(decodeText(leaf, buf, parser: &parser, fallback: fallback))
                return true
            }
            return false
        }
        if !htmls.isEmpty { m.html = htmls.joined(separator: "\n") }
        if !texts.isEmpty { m.text = texts.joined(separator: "\n") } else if let h = m.html { m.text = HTMLText.render(h) }

        for leaf in leaves {
            var hasher = SHA256.Hasher256()
            let size = parser.decode(UnsafeBufferPointer(rebasing: buf[leaf.bodyRange]), TransferDecoding(leaf.transferEncoding)) {
                hasher.update($0)
            }.size
            m.attachments.append(Attachment(filename: leaf.filename, contentType: leaf.contentType.mimeType,
                                            disposition: leaf.contentDisposition?.type, contentID: leaf.contentID,
                                            size: size, sha256: SHA256.hexString(hasher.finish()), partRange: leaf.range))
        }
        if let html = m.html, m.attachments.contains(where: { $0.contentID != nil }) {
            // The cid: URLs of the HTML (on bytes: a String search would go through Foundation).
            let h = Array(html.utf8)
            var cids: Set<String> = []
            var i = 0
            let n = h.count
            while i + 4 <= n {
                if h[i] | 0x20 == 0x63, h[i + 1] | 0x20 == 0x69, h[i + 2] | 0x20 == 0x64, h[i + 3] == 0x3A {
                    var j = i + 4
                    while j < n, h[j] != 0x22, h[j] != 0x27, h[j] != 0x20, h[j] != 0x3E, h[j] != 0x29, h[j] > 0x0D { j += 1 }
                    cids.insert(String(decoding: h[(i + 4)..<j], as: UTF8.self))
                    i = j
                } else { i += 1 }
            }
            for (k, a) in m.attachments.enumerated() {
                guard let cid = a.contentID, m.inlineImages[cid] == nil, cids.contains(cid) else { continue }
                m.inlineImages[cid] = k
            }
        }
        var defects = parser.defects
        m.deliveryStatus = DeliveryStatusParser.reports(in: root, buf, fallback: options.fallbackCharset, defects: &defects)
        if let recipients = m.deliveryStatus {
            m.dsn = DeliveryReport(reportingMTA: DeliveryReport.strippingType(recipients.first?.reportingMTA ?? DeliveryStatusParser.reportingMTA(in: root, buf, fallback: options.fallbackCharset)),
                                   recipients: recipients.map(DeliveryReportRecipient.init),
                                   originalMessageID: DeliveryStatusParser.originalMessageID(in: root, buf))
        }
        m.root = root
        m.defects = defects
    }

    /// Document-order walk: multiparts are containers (the flags say whether a multipart/alternative or
    /// multipart/mixed was met), anything else a leaf; `body` takes a leaf as body or leaves it to be an
    /// attachment.
    static func collect(_ p: MIMEPart, alternative: inout Bool, mixed: inout Bool, into out: inout [MIMEPart], isRoot: Bool,
                        body: (MIMEPart, Bool, Bool) -> Bool) {
        if p.isMultipart && !p.children.isEmpty {
            if p.contentType.subtype == "alternative" { alternative = true }
            if p.contentType.subtype == "mixed" { mixed = true }
            for c in p.children { collect(c, alternative: &alternative, mixed: &mixed, into: &out, isRoot: false, body: body) }
            return
        }
        if !body(p, alternative, mixed) { out.append(p) }
    }

    /// Transfer decoding (within the decoding budget), then the charset (unlabelled 8-bit text: UTF-8 when
    /// valid, else the fallback), line endings normalised to LF.
    static func decodeText(_ p: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, parser: inout BodyParser, fallback: String) -> String {
        let decoded = parser.decode(UnsafeBufferPointer(rebasing: buf[p.bodyRange]), TransferDecoding(p.transferEncoding)).bytes
        let bytes = normaliseLineEndings(decoded)
        return TextDecoder.decode(bytes, charset: p.contentType.parameter("charset"), fallback: fallback, defects: &parser.defects)
    }

    static func normaliseLineEndings(_ b: [UInt8]) -> [UInt8] {
        b.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress, memchr(base, 0x0D, src.count) != nil else { return b }
            return [UInt8](unsafeUninitializedCapacity: src.count) { out, count in
                var i = 0, o = 0
                let n = src.count
                while i < n {
                    let c = base[i]
                    if c == 0x0D {
                        out[o] = 0x0A
                        i += (i + 1 < n && base[i + 1] == 0x0A) ? 2 : 1
                    } else { out[o] = c; i += 1 }
                    o += 1
                }
                count = o
            }
        }
    }
}
