import MIME

/// Makes a message read by Odoo (Python's `email` package, `policy=SMTP`) the way Mailgate
/// reads it, before every push (both protocols):
/// - header fields holding undeclared 8-bit text that is not UTF-8 (or that the parser reads
///   as the fallback charset) are transcoded to raw UTF-8, which Python reads correctly —
///   names and `filename=` parameters included (RFC 2047 words are not allowed inside quoted
///   strings and addresses, RFC 2047 §5);
/// - every text body part (not an attachment) with 8-bit content gets `charset=utf-8`, its
///   bytes transcoded from the declared or detected charset (Python forces undeclared text to
///   ASCII/UTF-8 and decodes some labels differently from the WHATWG table Mailgate uses);
/// - a base64 or quoted-printable `message/rfc822` part is decoded and normalised in turn
///   (RFC 2046 §5.2.1 allows only 7bit, 8bit, binary there);
/// - a message without Message-ID gets the one routing made for it, so every resend
///   deduplicates in Odoo.
///
/// The result is valid UTF-8 (the same bytes go as a JSON string and as `<base64>`). A message
/// that needs none of this is returned byte for byte.
struct OdooNormaliser {
    let parser: MIMEParser

    var fallback: String { parser.options.fallbackCharset }

    /// The bytes to push for `raw`; `messageID` is added (as `<id>`) when the mail has none.
    func normalise(_ raw: [UInt8], addingMessageID messageID: String? = nil) -> [UInt8] {
        let message = parser.parse(raw)
        var out = rewrite(raw, headers: message.headers, root: message.root)
        if let messageID, message.messageID == nil {
            let eol: [UInt8] = Self.usesCRLF(raw) ? [13, 10] : [10]
            out = Array("Message-ID: \(messageID)".utf8) + eol + out
        }
        return out
    }

    /// An edit of a buffer: replace `range` with `bytes`.
    private struct Edit {
        var range: Range<Int>
        var bytes: [UInt8]
        /// Of two edits of one range, the higher wins (a rebuilt Content-Type over a transcoded one).
        var priority = 0
    }

    /// One message (top level or embedded) in `buffer`: its header fields and MIME tree.
    private func rewrite(_ buffer: [UInt8], headers: [HeaderField], root: MIMEPart?) -> [UInt8] {
        var edits: [Edit] = []
        let legacy = RawHeaderText.isLegacy(headers)
        headerEdits(buffer, headers, legacy: legacy, into: &edits)
        if let root { partEdits(buffer, root, isMessageRoot: true, legacy: legacy, into: &edits) }
        return Self.apply(edits, to: buffer)
    }

    private func headerEdits(_ buffer: [UInt8], _ fields: [HeaderField], legacy: Bool, into edits: inout [Edit]) {
        for field in fields where field.range.upperBound <= buffer.count {
            let bytes = Array(buffer[field.range])
            guard bytes.contains(where: { $0 >= 0x80 }) else { continue }
            let utf8 = Array(RawHeaderText.decode(bytes, fallback: fallback, legacy: legacy).utf8)
            if utf8 != bytes { edits.append(Edit(range: field.range, bytes: utf8)) }
        }
    }

    /// `legacy`: how the enclosing message's header bytes are read (parts share it).
    private func partEdits(_ buffer: [UInt8], _ part: MIMEPart, isMessageRoot: Bool, legacy: Bool, into edits: inout [Edit]) {
        // The root's fields are the message's own (already handled).
        if !isMessageRoot { headerEdits(buffer, part.headers, legacy: legacy, into: &edits) }
        let type = part.contentType
        if type.type == "message", let child = part.children.first {
            if let encapsulated = part.encapsulated {
                let inner = rewrite(encapsulated, headers: child.headers, root: child)
                edits.append(Edit(range: part.bodyRange, bytes: inner))
                replaceTransferEncoding(buffer, part, with: inner.allSatisfy { $0 < 0x80 } ? "7bit" : "8bit", into: &edits)
            } else {
                // An embedded message: its header fields are a message's, with their own legacy test.
                let innerLegacy = RawHeaderText.isLegacy(child.headers)
                headerEdits(buffer, child.headers, legacy: innerLegacy, into: &edits)
                partEdits(buffer, child, isMessageRoot: true, legacy: innerLegacy, into: &edits)
            }
            return
        }
        if part.isMultipart {
            for child in part.children { partEdits(buffer, child, isMessageRoot: false, legacy: legacy, into: &edits) }
            return
        }
        textEdits(buffer, part, into: &edits)
    }

    /// A text body part with 8-bit content not declared UTF-8: transcoded to UTF-8 and labelled so.
    private func textEdits(_ buffer: [UInt8], _ part: MIMEPart, into edits: inout [Edit]) {
        guard part.contentType.type == "text", part.filename == nil, !part.isAttachment,
              part.bodyRange.upperBound <= buffer.count else { return }
        let label = part.contentType.parameter("charset")?.lowercased()
        if label == "utf-8" || label == "utf8" { return }
        let body = part.decodedBody(in: buffer)
        guard body.contains(where: { $0 >= 0x80 }) || (label?.hasPrefix("utf-16") ?? false)
                || (label?.hasPrefix("iso-2022") ?? false) || body.contains(0x1B) else { return }
        var defects: [String] = []
        let text = TextDecoder.decode(body, charset: label, fallback: fallback, defects: &defects)
        let utf8 = Array(text.utf8)
        let base64 = part.transferEncoding == "base64"
        let eol: [UInt8] = Self.usesCRLF(buffer) ? [13, 10] : [10]
        let newBody = base64 ? Self.base64Lines(utf8, eol: eol) : utf8
        edits.append(Edit(range: part.bodyRange, bytes: newBody))
        setCharset(buffer, part, eol: eol, into: &edits)
        if !base64 { replaceTransferEncoding(buffer, part, with: "8bit", into: &edits) }
    }

    /// Rewrites (or adds) Content-Type with `charset=utf-8`.
    private func setCharset(_ buffer: [UInt8], _ part: MIMEPart, eol: [UInt8], into edits: inout [Edit]) {
        var value = "\(part.contentType.mimeType)"
        for (name, v) in part.contentType.parameters where name.lowercased() != "charset" {
            value += "; \(name)=\(Self.quoted(v))"
        }
        value += "; charset=utf-8"
        let field = Array("Content-Type: \(value)".utf8) + eol
        if let existing = part.header("Content-Type"), existing.range.upperBound <= buffer.count {
            edits.append(Edit(range: existing.range, bytes: field, priority: 1))
        } else {
            let at = insertionPoint(part)
            edits.append(Edit(range: at..<at, bytes: field))
        }
    }

    private func replaceTransferEncoding(_ buffer: [UInt8], _ part: MIMEPart, with encoding: String, into edits: inout [Edit]) {
        let eol: [UInt8] = Self.usesCRLF(buffer) ? [13, 10] : [10]
        let field = Array("Content-Transfer-Encoding: \(encoding)".utf8) + eol
        if let existing = part.header("Content-Transfer-Encoding") {
            edits.append(Edit(range: existing.range, bytes: field, priority: 1))
        } else {
            let at = insertionPoint(part)
            edits.append(Edit(range: at..<at, bytes: field))
        }
    }

    /// After the part's last header field (or at the start of its header block).
    private func insertionPoint(_ part: MIMEPart) -> Int {
        if let last = part.headers.last { return last.range.upperBound }
        return part.range.lowerBound
    }

    private static func quoted(_ value: String) -> String {
        let special = value.utf8.contains { b in
            b <= 0x20 || b >= 0x7F || "()<>@,;:\\\"/[]?=".utf8.contains(b)
        }
        guard special || value.isEmpty else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }

    static func usesCRLF(_ buffer: [UInt8]) -> Bool {
        guard let lf = buffer.firstIndex(of: 10) else { return true }
        return lf > 0 && buffer[lf - 1] == 13
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64Lines(_ bytes: [UInt8], eol: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4 / 3 + bytes.count / 38 + 4)
        var i = 0, column = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = UInt32(bytes[i]), b1 = n > 1 ? UInt32(bytes[i + 1]) : 0, b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : 61)
            out.append(n > 2 ? alphabet[Int(v & 63)] : 61)
            i += 3
            column += 4
            if column >= 76 { out += eol; column = 0 }
        }
        if column > 0 { out += eol }
        return out
    }

    /// Applies non-overlapping edits (an edit inside an earlier one's range is dropped).
    private static func apply(_ edits: [Edit], to buffer: [UInt8]) -> [UInt8] {
        guard !edits.isEmpty else { return buffer }
        let sorted = edits.sorted { a, b in
            if a.range.lowerBound != b.range.lowerBound { return a.range.lowerBound < b.range.lowerBound }
            if a.range.count != b.range.count { return a.range.count < b.range.count }
            return a.priority > b.priority
        }
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + 256)
        var position = 0
        for edit in sorted where edit.range.lowerBound >= position {
            out.append(contentsOf: buffer[position..<edit.range.lowerBound])
            out.append(contentsOf: edit.bytes)
            position = edit.range.upperBound
        }
        out.append(contentsOf: buffer[position...])
        return out
    }
}
