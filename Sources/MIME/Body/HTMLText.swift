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
        let s = Array(html.unicodeScalars)
        let n = s.count
        var out = String.UnicodeScalarView()
        out.reserveCapacity(n / 2)
        var i = 0
        var pre = 0
        var pendingSpace = false
        var links: [String?] = []   // href of each open <a>, to write after its text

        func newline(_ count: Int = 1) {
            pendingSpace = false
            // Trim trailing spaces on the line, then end it (at most `count` empty lines in a row).
            while let l = out.last, l == " " { out.removeLast() }
            if out.isEmpty { return }
            var have = 0
            var k = out.endIndex
            while k > out.startIndex, have < 2 {
                let p = out.index(before: k)
                if out[p] == "\n" { have += 1; k = p } else { break }
            }
            while have < count { out.append("\n"); have += 1 }
        }
        func emit(_ c: Unicode.Scalar) {
            if pre > 0 { out.append(c); return }
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                pendingSpace = true
                return
            }
            if pendingSpace, let l = out.last, l != "\n" { out.append(" ") }
            pendingSpace = false
            out.append(c)
        }
        func emitString(_ t: String) { for c in t.unicodeScalars { emit(c) } }

        while i < n {
            let c = s[i]
            if c == "<" {
                // Comment
                if i + 3 < n, s[i + 1] == "!", s[i + 2] == "-", s[i + 3] == "-" {
                    var j = i + 4
                    while j + 2 < n, !(s[j] == "-" && s[j + 1] == "-" && s[j + 2] == ">") { j += 1 }
                    i = min(n, j + 3)
                    continue
                }
                // Tag name
                var j = i + 1
                var closing = false
                if j < n, s[j] == "/" { closing = true; j += 1 }
                let nameStart = j
                while j < n, isNameChar(s[j]) { j += 1 }
                if j == nameStart {
                    // Not a tag ("a < b", "<!DOCTYPE", "<?xml"): a declaration is skipped, a bare "<" is text.
                    if j < n, s[j] == "!" || s[j] == "?" {
                        while j < n, s[j] != ">" { j += 1 }
                        i = min(n, j + 1)
                    } else { emit(c); i += 1 }
                    continue
                }
                let name = String(String.UnicodeScalarView(s[nameStart..<j])).lowercased()
                // Attributes up to '>' (quoted values may hold '>').
                var attrs: [(String, String)] = []
                var quote: Unicode.Scalar? = nil
                let attrStart = j
                while j < n {
                    let d = s[j]
                    if let q = quote { if d == q { quote = nil } } else if d == "\"" || d == "'" { quote = d } else if d == ">" { break }
                    j += 1
                }
                if name == "a" || name == "img" { attrs = parseAttributes(s, attrStart, j) }
                i = min(n, j + 1)
                if !closing, dropped.contains(name) {
                    // Skip to the matching close tag.
                    let close = Array("</\(name)".unicodeScalars)
                    var k = i
                    while k < n {
                        if s[k] == "<", k + close.count <= n, matchesCaseless(s, k, close) { break }
                        k += 1
                    }
                    while k < n, s[k] != ">" { k += 1 }
                    i = min(n, k + 1)
                    continue
                }
                if name == "pre" { pre = closing ? max(0, pre - 1) : pre + 1 }
                if name == "br" {
                    // Always a line break (two in a row make an empty line).
                    pendingSpace = false
                    while let l = out.last, l == " " { out.removeLast() }
                    if !out.isEmpty { out.append("\n") }
                    continue
                }
                if name == "a" {
                    if closing {
                        if let open = links.popLast(), let href = open { emitString(" [\(href)]") }
                    } else {
                        let href = attrs.first { $0.0 == "href" }?.1.trimmingSpaces
                        if let h = href, !h.isEmpty, !h.hasPrefix("#"), !h.lowercased().hasPrefix("javascript:") {
                            links.append(h)
                        } else { links.append(nil) }
                    }
                    continue
                }
                if name == "li", !closing { newline(1); emitString("* "); continue }
                if name == "td" || name == "th" { if !closing { pendingSpace = true }; continue }
                if blocks.contains(name) {
                    let para = name == "p" || name.count == 2 && name.hasPrefix("h") && name != "hr" || name == "blockquote" || name == "table"
                    newline(para ? 2 : 1)
                    if name == "hr" { emitString("---"); newline(1) }
                }
                continue
            }
            if c == "&" {
                if let (decoded, len) = entity(s, i) {
                    for d in decoded.unicodeScalars { emit(d == "\u{A0}" ? " " : d) }
                    i += len
                    continue
                }
            }
            emit(c)
            i += 1
        }
        // Trim the ends.
        var text = String(out)
        while let l = text.last, l == "\n" || l == " " { text.removeLast() }
        while let f = text.first, f == "\n" || f == " " { text.removeFirst() }
        return text
    }

    @inline(__always) static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == ":"
    }

    static func matchesCaseless(_ s: [Unicode.Scalar], _ at: Int, _ lowerNeedle: [Unicode.Scalar]) -> Bool {
        for (k, c) in lowerNeedle.enumerated() {
            var h = s[at + k]
            if h >= "A" && h <= "Z" { h = Unicode.Scalar(h.value + 32)! }
            if h != c { return false }
        }
        return true
    }

    /// name="value" / name='value' / name=value pairs between `from` and `to`, entities in values decoded.
    static func parseAttributes(_ s: [Unicode.Scalar], _ from: Int, _ to: Int) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = from
        while i < to {
            while i < to, !isNameChar(s[i]) { i += 1 }
            let ns = i
            while i < to, isNameChar(s[i]) { i += 1 }
            if ns == i { break }
            let name = String(String.UnicodeScalarView(s[ns..<i])).lowercased()
            while i < to, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
            guard i < to, s[i] == "=" else { out.append((name, "")); continue }
            i += 1
            while i < to, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
            var vs = i, ve = i
            if i < to, s[i] == "\"" || s[i] == "'" {
                let q = s[i]; vs = i + 1; i += 1
                while i < to, s[i] != q { i += 1 }
                ve = i; i = min(to, i + 1)
            } else {
                while i < to, s[i] != " " && s[i] != "\t" && s[i] != "\n" && s[i] != ">" { i += 1 }
                ve = i
            }
            out.append((name, decodeEntities(Array(s[vs..<ve]))))
        }
        return out
    }

    static func decodeEntities(_ s: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if s[i] == "&", let (d, len) = entity(s, i) { out.append(contentsOf: d.unicodeScalars); i += len; continue }
            out.append(s[i]); i += 1
        }
        return String(out)
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

    /// The entity at `i` ("&name;", "&#123;", "&#x1F600;"; the ';' may be missing after a known name) and its length.
    static func entity(_ s: [Unicode.Scalar], _ i: Int) -> (String, Int)? {
        var j = i + 1
        let n = s.count
        if j < n, s[j] == "#" {
            j += 1
            var hex = false
            if j < n, s[j] == "x" || s[j] == "X" { hex = true; j += 1 }
            var v: UInt32 = 0
            let ds = j
            while j < n, j - ds < 8 {
                let c = s[j].value
                let d: UInt32
                if c >= 48 && c <= 57 { d = c - 48 } else if hex, c >= 97 && c <= 102 { d = c - 87 } else if hex, c >= 65 && c <= 70 { d = c - 55 } else { break }
                v = v * (hex ? 16 : 10) + d
                j += 1
            }
            if j == ds { return nil }
            if j < n, s[j] == ";" { j += 1 }
            let scalar = Unicode.Scalar(v == 0 ? 0xFFFD : v) ?? "\u{FFFD}"
            return (String(scalar), j - i)
        }
        let ns = j
        while j < n, j - ns < 10, (s[j] >= "a" && s[j] <= "z") || (s[j] >= "A" && s[j] <= "Z") || (s[j] >= "0" && s[j] <= "9") { j += 1 }
        if j == ns { return nil }
        let name = String(String.UnicodeScalarView(s[ns..<j]))
        guard let v = named[name] else { return nil }
        if j < n, s[j] == ";" { j += 1 }
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
