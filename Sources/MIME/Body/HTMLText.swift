/// HTML → plain text for `Message.text` when a message has only an HTML body (as Odoo's
/// `html2plaintext` reads it): block elements become line breaks, links `text [url]`, entities are
/// decoded, scripts, styles and comments dropped, whitespace collapsed (kept inside `<pre>`).
/// A small linear scanner, not a full HTML parser: malformed markup never traps or loops.
public enum HTMLText {
    static let blocks: Set<String> = [
        "p", "div", "br", "li", "tr", "table", "thead", "tbody", "tfoot", "ul", "ol", "dl", "dt", "dd",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
        "footer", "nav", "aside", "main", "address", "figure", "figcaption", "form", "fieldset", "center",
        "title", "body", "html", "caption", "details", "summary",
    ]
    static let dropped: Set<String> = ["script", "style", "head", "template", "noscript", "object", "iframe"]

    public static func render(_ html: String) -> String {
        var h = html
        return h.withUTF8 { render(bytes: $0) }
    }

    /// Works on UTF-8 bytes: all markup is ASCII, so multi-byte characters pass through untouched.
    static func render(bytes s: UnsafeBufferPointer<UInt8>) -> String {
        let n = s.count
        var out: [UInt8] = []
        out.reserveCapacity(n / 2)
        var i = 0
        var pre = 0
        var pendingSpace = false
        var links: [[UInt8]?] = []   // href of each open <a>, written after its text

        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
        func newline(_ count: Int) {
            pendingSpace = false
            while out.last == 0x20 { out.removeLast() }
            if out.isEmpty { return }
            var have = 0
            var k = out.count
            while k > 0, have < 2, out[k - 1] == 0x0A { have += 1; k -= 1 }
            while have < count { out.append(0x0A); have += 1 }
        }
        func emit(_ c: UInt8) {
            if pre > 0 { out.append(c); return }
            if isSpace(c) { pendingSpace = true; return }
            if pendingSpace, let l = out.last, l != 0x0A { out.append(0x20) }
            pendingSpace = false
            out.append(c)
        }
        func emit<S: Sequence>(_ t: S) where S.Element == UInt8 { for c in t { emit(c) } }
        func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

        while i < n {
            let c = s[i]
            if c == 0x3C {   // <
                // Comment
                if i + 3 < n, s[i + 1] == 0x21, s[i + 2] == 0x2D, s[i + 3] == 0x2D {
                    var j = i + 4
                    while j + 2 < n, !(s[j] == 0x2D && s[j + 1] == 0x2D && s[j + 2] == 0x3E) { j += 1 }
                    i = min(n, j + 3)
                    continue
                }
                var j = i + 1
                var closing = false
                if j < n, s[j] == 0x2F { closing = true; j += 1 }
                let nameStart = j
                while j < n, isNameChar(s[j]) { j += 1 }
                if j == nameStart {
                    // Not a tag ("a < b", "<!DOCTYPE", "<?xml"): a declaration is skipped, a bare "<" is text.
                    if j < n, s[j] == 0x21 || s[j] == 0x3F {
                        while j < n, s[j] != 0x3E { j += 1 }
                        i = min(n, j + 1)
                    } else { emit(c); i += 1 }
                    continue
                }
                let name = String(decoding: s[nameStart..<min(j, nameStart + 16)].map(lower), as: UTF8.self)
                // Attributes up to '>' (quoted values may hold '>').
                var quote: UInt8 = 0
                let attrStart = j
                while j < n {
                    let d = s[j]
                    if quote != 0 { if d == quote { quote = 0 } } else if d == 0x22 || d == 0x27 { quote = d } else if d == 0x3E { break }
                    j += 1
                }
                let attrEnd = j
                i = min(n, j + 1)
                if !closing, dropped.contains(name) {
                    // Skip to the matching close tag.
                    let close = Array("</\(name)".utf8)
                    var k = i
                    while k < n {
                        if s[k] == 0x3C, k + close.count <= n, (0..<close.count).allSatisfy({ lower(s[k + $0]) == close[$0] }) { break }
                        k += 1
                    }
                    while k < n, s[k] != 0x3E { k += 1 }
                    i = min(n, k + 1)
                    continue
                }
                switch name {
                case "pre": pre = closing ? max(0, pre - 1) : pre + 1; newline(1)
                case "br":
                    // Always a line break (two in a row make an empty line).
                    pendingSpace = false
                    while out.last == 0x20 { out.removeLast() }
                    if !out.isEmpty { out.append(0x0A) }
                case "a":
                    if closing {
                        if let open = links.popLast(), let href = open { emit(Array(" [".utf8) + href + [0x5D]) }
                    } else {
                        let href = attribute("href", s, attrStart, attrEnd)
                        if let h = href, !h.isEmpty, h.first != 0x23, !h.starts(with: Array("javascript:".utf8)) {
                            links.append(h)
                        } else { links.append(nil) }
                    }
                case "li": if !closing { newline(1); emit(Array("* ".utf8)) }
                case "td", "th": if !closing { pendingSpace = true }
                default:
                    if blocks.contains(name) {
                        let para = name == "p" || name == "blockquote" || name == "table"
                            || (name.utf8.count == 2 && name.hasPrefix("h") && name != "hr")
                        newline(para ? 2 : 1)
                        if name == "hr" { emit(Array("---".utf8)); newline(1) }
                    }
                }
                continue
            }
            if c == 0x26, let (decoded, len) = entity(s, i) {   // &
                for d in decoded { emit(d) }
                i += len
                continue
            }
            emit(c)
            i += 1
        }
        // Trim the ends.
        var lo = 0, hi = out.count
        while lo < hi, out[lo] == 0x0A || out[lo] == 0x20 { lo += 1 }
        while hi > lo, out[hi - 1] == 0x0A || out[hi - 1] == 0x20 { hi -= 1 }
        return String(decoding: out[lo..<hi], as: UTF8.self)
    }

    @inline(__always) static func isNameChar(_ c: UInt8) -> Bool {
        (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x3A
    }

    /// The value of attribute `wanted` (lower-case) between `from` and `to`, entities decoded.
    static func attribute(_ wanted: String, _ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> [UInt8]? {
        let w = Array(wanted.utf8)
        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        var i = from
        while i < to {
            while i < to, !isNameChar(s[i]) { i += 1 }
            let ns = i
            while i < to, isNameChar(s[i]) { i += 1 }
            if ns == i { break }
            let match = i - ns == w.count && (0..<w.count).allSatisfy { (s[ns + $0] | 0x20) == w[$0] }
            while i < to, isSpace(s[i]) { i += 1 }
            guard i < to, s[i] == 0x3D else { if match { return [] }; continue }
            i += 1
            while i < to, isSpace(s[i]) { i += 1 }
            var vs = i, ve = i
            if i < to, s[i] == 0x22 || s[i] == 0x27 {
                let q = s[i]; vs = i + 1; i += 1
                while i < to, s[i] != q { i += 1 }
                ve = i; i = min(to, i + 1)
            } else {
                while i < to, !isSpace(s[i]), s[i] != 0x3E { i += 1 }
                ve = i
            }
            if match {
                var v: [UInt8] = []
                var k = vs
                while k < ve {
                    if s[k] == 0x26, let (d, len) = entity(s, k) { v += d; k += len } else { v.append(s[k]); k += 1 }
                }
                while let f = v.first, isSpace(f) { v.removeFirst() }
                while let l = v.last, isSpace(l) { v.removeLast() }
                return v
            }
        }
        return nil
    }

    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "laquo": "«", "raquo": "»", "lsquo": "‘",
        "rsquo": "’", "ldquo": "“", "rdquo": "”", "sbquo": "‚", "bdquo": "„", "bull": "•", "middot": "·",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§", "para": "¶", "deg": "°", "plusmn": "±",
        "times": "×", "divide": "÷", "frac12": "½", "frac14": "¼", "frac34": "¾", "shy": "\u{AD}", "zwnj": "\u{200C}",
        "zwj": "\u{200D}", "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}", "iexcl": "¡", "iquest": "¿",
        "agrave": "à", "aacute": "á", "acirc": "â", "atilde": "ã", "auml": "ä", "aring": "å", "aelig": "æ", "ccedil": "ç",
        "egrave": "è", "eacute": "é", "ecirc": "ê", "euml": "ë", "igrave": "ì", "iacute": "í", "icirc": "î", "iuml": "ï",
        "ntilde": "ñ", "ograve": "ò", "oacute": "ó", "ocirc": "ô", "otilde": "õ", "ouml": "ö", "oslash": "ø",
        "ugrave": "ù", "uacute": "ú", "ucirc": "û", "uuml": "ü", "yacute": "ý", "yuml": "ÿ", "szlig": "ß",
        "Agrave": "À", "Aacute": "Á", "Acirc": "Â", "Atilde": "Ã", "Auml": "Ä", "Aring": "Å", "AElig": "Æ", "Ccedil": "Ç",
        "Egrave": "È", "Eacute": "É", "Ecirc": "Ê", "Euml": "Ë", "Igrave": "Ì", "Iacute": "Í", "Icirc": "Î", "Iuml": "Ï",
        "Ntilde": "Ñ", "Ograve": "Ò", "Oacute": "Ó", "Ocirc": "Ô", "Otilde": "Õ", "Ouml": "Ö", "Oslash": "Ø",
        "Ugrave": "Ù", "Uacute": "Ú", "Ucirc": "Û", "Uuml": "Ü", "Yacute": "Ý", "oelig": "œ", "OElig": "Œ",
        "scaron": "š", "Scaron": "Š", "rarr": "→", "larr": "←", "uarr": "↑", "darr": "↓", "hearts": "♥", "check": "✓",
    ]

    static let namedBytes: [[UInt8]: [UInt8]] = {
        var t: [[UInt8]: [UInt8]] = [:]
        for (k, v) in named { t[Array(k.utf8)] = Array((v == "\u{A0}" ? " " : v).utf8) }
        return t
    }()

    /// The entity at `i` ("&name;", "&#123;", "&#x1F600;"; the ';' may be missing after a known name):
    /// its UTF-8 bytes (a no-break space as a space) and its length.
    static func entity(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> ([UInt8], Int)? {
        var j = i + 1
        let n = s.count
        if j < n, s[j] == 0x23 {
            j += 1
            var hex = false
            if j < n, s[j] | 0x20 == 0x78 { hex = true; j += 1 }
            var v: UInt32 = 0
            let ds = j
            while j < n, j - ds < 8 {
                let c = UInt32(s[j])
                let d: UInt32
                if c >= 48 && c <= 57 { d = c - 48 } else if hex, c | 0x20 >= 97 && c | 0x20 <= 102 { d = (c | 0x20) - 87 } else { break }
                v = v * (hex ? 16 : 10) + d
                j += 1
            }
            if j == ds { return nil }
            if j < n, s[j] == 0x3B { j += 1 }
            let scalar = v == 0xA0 ? " " : (Unicode.Scalar(v == 0 ? 0xFFFD : v) ?? "\u{FFFD}")
            return (Array(String(Character(scalar)).utf8), j - i)
        }
        let ns = j
        while j < n, j - ns < 10, isNameChar(s[j]), s[j] != 0x2D, s[j] != 0x3A { j += 1 }
        if j == ns { return nil }
        guard let v = namedBytes[Array(s[ns..<j])] else { return nil }
        if j < n, s[j] == 0x3B { j += 1 }
        return (v, j - i)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
