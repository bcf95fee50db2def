/// From the MIME tree to what Mailgate uses: the text and HTML bodies (chosen as Python's
/// `get_body(('plain',))` / `get_body(('html',))`, which is what Odoo reads), the attachments (every
/// other leaf, message/rfc822 counted as one leaf) and the delivery-status reports.
enum BodyDecoder {
    static func decode(_ m: inout Message, _ buf: UnsafeBufferPointer<UInt8>, options: ParserOptions, raw: RawCharset) {
        var parser = BodyParser(options: options, raw: raw, buf: buf, defects: m.defects)
        let root = parser.makePart(headers: m.headers, range: 0..<buf.count, bodyRange: m.bodyRange, depth: 0,
                                   defaultType: ContentType(type: "text", subtype: "plain"))
        var defects = parser.defects
        let fallback = options.fallbackCharset

        let textPart = findBody(root, subtype: "plain")
        let htmlPart = findBody(root, subtype: "html")
        if let p = textPart { m.text = decodeText(p, buf, fallback: fallback, defects: &defects) }
        if let p = htmlPart { m.html = decodeText(p, buf, fallback: fallback, defects: &defects) }

        var leaves: [MIMEPart] = []
        collectLeaves(root, into: &leaves)
        let chosen = Set([textPart?.range.lowerBound, htmlPart?.range.lowerBound].compactMap { $0 })
        for leaf in leaves where !chosen.contains(leaf.range.lowerBound) {
            let data = leaf.decodedBody(UnsafeBufferPointer(rebasing: buf[leaf.bodyRange]))
            m.attachments.append(Attachment(filename: leaf.filename, contentType: leaf.contentType.mimeType,
                                            disposition: leaf.contentDisposition?.type, contentID: leaf.contentID,
                                            size: data.count, sha256: SHA256.hex(data), partRange: leaf.range))
        }
        m.deliveryStatus = DeliveryStatusParser.reports(in: root, buf, fallback: fallback, defects: &defects)
        m.root = root
        m.defects = defects
    }

    /// Python's `_find_body`: attachments are skipped; text parts of the wanted subtype are candidates;
    /// multiparts are searched in order, multipart/related only through its start part.
    static func findBody(_ part: MIMEPart, subtype: String) -> MIMEPart? {
        if part.isAttachment { return nil }
        let ct = part.contentType
        if ct.type == "text" { return ct.subtype == subtype ? part : nil }
        guard ct.type == "multipart" else { return nil }
        if ct.subtype != "related" {
            for c in part.children { if let hit = findBody(c, subtype: subtype) { return hit } }
            return nil
        }
        var candidate: MIMEPart? = nil
        if let start = ct.parameter("start") {
            let id = start.hasPrefix("<") && start.hasSuffix(">") ? String(start.dropFirst().dropLast()) : start
            candidate = part.children.first { $0.contentID == id }
        }
        guard let c = candidate ?? part.children.first else { return nil }
        return findBody(c, subtype: subtype)
    }

    static func collectLeaves(_ p: MIMEPart, into out: inout [MIMEPart]) {
        // A multipart whose boundary was not found is a leaf, as Python's email reads it.
        if p.isMultipart && !p.children.isEmpty { p.children.forEach { collectLeaves($0, into: &out) } } else { out.append(p) }
    }

    /// Transfer decoding, then the charset (unlabelled 8-bit text: UTF-8 when valid, else the fallback),
    /// line endings normalised to LF.
    static func decodeText(_ p: MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, fallback: String, defects: inout [String]) -> String {
        let bytes = normaliseLineEndings(p.decodedBody(UnsafeBufferPointer(rebasing: buf[p.bodyRange])))
        return TextDecoder.decode(bytes, charset: p.contentType.parameter("charset"), fallback: fallback, defects: &defects)
    }

    static func normaliseLineEndings(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(0x0D) else { return b }
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x0D {
                out.append(0x0A)
                i += (i + 1 < b.count && b[i + 1] == 0x0A) ? 2 : 1
            } else { out.append(b[i]); i += 1 }
        }
        return out
    }
}
