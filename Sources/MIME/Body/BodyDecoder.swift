/// The body of a single-part text/plain or text/html message: transfer encoding undone, charset
/// decoded, line endings normalised to LF. Multipart bodies are the next issue's work.
enum BodyDecoder {
    static func decodeSinglePart(_ m: inout Message, _ buf: UnsafeBufferPointer<UInt8>, options: ParserOptions) {
        let ct = m.contentType ?? ContentType(type: "text", subtype: "plain")
        guard ct.type == "text", ct.subtype == "plain" || ct.subtype == "html" || ct.type.isEmpty else { return }
        if let disp = m.contentDisposition, disp.type == "attachment" { return }
        let body = UnsafeBufferPointer(rebasing: buf[m.bodyRange])
        var bytes: [UInt8]
        let cte = m.header("Content-Transfer-Encoding").map { String(decoding: $0.value, as: UTF8.self).lowercased() } ?? ""
        if cte.hasPrefix("base64") {
            bytes = Base64.decodeLenient(body)
        } else if cte.hasPrefix("quoted-printable") {
            bytes = QuotedPrintable.decode(body)
        } else {
            bytes = Array(body)
        }
        bytes = normaliseLineEndings(bytes)
        var defects = m.defects
        let text = TextDecoder.decode(bytes, charset: ct.parameter("charset"), fallback: options.fallbackCharset, defects: &defects)
        m.defects = defects
        if ct.subtype == "html" { m.html = text } else { m.text = text }
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
