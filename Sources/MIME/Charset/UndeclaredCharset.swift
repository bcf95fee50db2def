/// The charset a message's undeclared 8-bit text is read with: its raw 8-bit header bytes and the
/// text parts without a charset label, when they are neither ASCII nor UTF-8. One decision per
/// message, in this order:
///   1. a charset declared elsewhere in the same message (another part's label, an encoded word);
///   2. uchardet on the pooled undeclared text, when it has at least
///      `CharsetDetector.minimumNonASCII` non-ASCII bytes and names a usable charset;
///   3. `fallback_charset`.
/// The decision leaves one defect saying what was guessed and why. Nothing runs for a message
/// whose text is all declared, ASCII or UTF-8.
enum UndeclaredCharset {
    static func decide(headers: [HeaderField], root: MIMEPart, buf: UnsafeBufferPointer<UInt8>, fallback: String,
                       legacyHeaders: Bool, defects: inout [String]) -> String {
        var pool: [UInt8] = []
        if legacyHeaders {
            for f in headers {
                guard let k = KnownField.classify(f.name), k.isDecodedText else { continue }
                let raw = f.value.withUnsafeBufferPointer { !TextDecoder.isASCII($0) && !TextDecoder.isValidUTF8($0) }
                if raw { pool += f.value; pool.append(0x0A) }
            }
        }
        collect(root, buf: buf, pool: &pool)
        guard !pool.isEmpty else { return fallback }
        var declared = declaredLabel(root)
        if declared == nil { declared = encodedWordCharset(headers) }
        if let declared {
            defects.append("8-bit text without a declared charset, read as \(declared) (declared elsewhere in the message)")
            return declared
        }
        let count = CharsetDetector.nonASCIICount(pool)
        if count >= CharsetDetector.minimumNonASCII, let detected = CharsetDetector.detect(pool) {
            defects.append("8-bit text without a declared charset, read as \(detected) (detected from \(count) bytes)")
            return detected
        }
        defects.append("8-bit text without a declared charset, read as \(fallback) (fallback_charset)")
        return fallback
    }

    /// Text leaves (not attachments, not inside an attached message): an unlabelled one's 8-bit
    /// non-UTF-8 bytes go to the pool.
    private static func collect(_ p: MIMEPart, buf: UnsafeBufferPointer<UInt8>, pool: inout [UInt8]) {
        if p.isMultipart {
            for c in p.children { collect(c, buf: buf, pool: &pool) }
            return
        }
        // Cheapest first: most parts are labelled, and then there is nothing to look at.
        guard p.contentType.type == "text", p.contentType.parameter("charset")?.isEmpty ?? true,
              !p.isAttachment, p.filename == nil, p.bodyRange.upperBound <= buf.count else { return }
        let body = UnsafeBufferPointer(rebasing: buf[p.bodyRange])
        let decoding = TransferDecoding(p.transferEncoding)
        if decoding == .identity, TextDecoder.isASCII(body) { return }
        let bytes = decoding == .identity ? Array(body) : decoding.decode(body, limit: 1 << 20)
        let foreign = bytes.withUnsafeBufferPointer { !TextDecoder.isASCII($0) && !TextDecoder.isValidUTF8($0) }
        if foreign { pool += bytes.prefix(1 << 16); pool.append(0x0A) }
    }

    /// The first text part's label that is not ASCII or UTF-8, in document order.
    private static func declaredLabel(_ p: MIMEPart) -> String? {
        if p.isMultipart {
            for c in p.children { if let l = declaredLabel(c) { return l } }
            return nil
        }
        guard p.contentType.type == "text", let label = p.contentType.parameter("charset"), !label.isEmpty,
              !TextDecoder.isASCIILabel(label), usable(label) else { return nil }
        return label
    }

    /// A label that reads 8-bit text as something other than UTF-8.
    private static func usable(_ label: String) -> Bool {
        if let k = CharsetLabels.resolve(label) { return k != .utf8 }
        return IconvCache.current.knownName(label) != nil
    }

    /// The first encoded word's charset (`=?iso-8859-1?Q?…?=`) that is not ASCII or UTF-8.
    private static func encodedWordCharset(_ headers: [HeaderField]) -> String? {
        for f in headers {
            let v = f.value
            var i = 0
            while i + 1 < v.count {
                if v[i] == 0x3D, v[i + 1] == 0x3F {
                    var j = i + 2
                    while j < v.count, j - i < 42, v[j] != 0x3F, v[j] > 0x20 { j += 1 }
                    if j < v.count, v[j] == 0x3F, j > i + 2 {
                        var label = String(decoding: v[(i + 2)..<j], as: UTF8.self)
                        if let star = label.firstIndex(of: "*") { label = String(label[..<star]) }
                        if !TextDecoder.isASCIILabel(label), usable(label) { return label }
                    }
                    i = j
                } else { i += 1 }
            }
        }
        return nil
    }
}

extension KnownField {
    /// Fields whose value is decoded text (raw 8-bit bytes in them are read with a charset).
    var isDecodedText: Bool {
        switch self {
        case .subject, .from, .sender, .replyTo, .to, .cc, .bcc, .contentType, .contentDisposition: return true
        default: return false
        }
    }
}
