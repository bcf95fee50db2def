/// Tokens of an RFC 5322 structured header value (addresses, ids, parameters), read leniently:
/// unterminated quotes, comments and angle brackets run to the end of the value.
struct StructuredToken {
    enum Kind: Equatable {
        /// A run of atext (dots included, so `john.doe` is one atom); raw 8-bit bytes belong to atoms.
        case atom
        /// A quoted string; `bytes` holds its content with the backslash escapes removed.
        case quoted
        /// A comment; `bytes` holds its content (nested parentheses kept, escapes removed).
        case comment
        /// `[...]`, brackets included.
        case domainLiteral
        /// One of `< > @ , ; :`.
        case special(UInt8)
    }
    var kind: Kind
    var bytes: [UInt8]
    var spaceBefore: Bool

    var isWord: Bool { kind == .atom || kind == .quoted }
}

enum StructuredLexer {
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    @inline(__always) static func isSpecialStop(_ b: UInt8) -> Bool {
        switch b {
        case 0x28, 0x29, 0x3C, 0x3E, 0x5B, 0x5D, 0x3A, 0x3B, 0x40, 0x5C, 0x2C, 0x22: return true
        default: return false
        }
    }

    static func tokenize(_ v: [UInt8], defects: inout [String], what: String) -> [StructuredToken] {
        var toks: [StructuredToken] = []
        let n = v.count
        var i = 0
        var space = false
        var scanned = 0
        while i < n {
            let b = v[i]
            if isSpace(b) { space = true; i += 1; continue }
            switch b {
            case 0x22: // quoted string
                var content: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    let c = v[i]
                    if c == 0x5C, i + 1 < n { content.append(v[i + 1]); i += 2; continue }
                    if c == 0x22 { closed = true; i += 1; break }
                    if c == 0x0D || c == 0x0A { i += 1; continue }
                    content.append(c); i += 1
                }
                if !closed { defects.append("\(what): unterminated quoted string") }
                toks.append(StructuredToken(kind: .quoted, bytes: content, spaceBefore: space))
            case 0x28: // comment, nested
                var depth = 1
                var content: [UInt8] = []
                i += 1
                while i < n {
                    let c = v[i]
                    if c == 0x5C, i + 1 < n { content.append(v[i + 1]); i += 2; continue }
                    if c == 0x28 { depth += 1 }
                    if c == 0x29 { depth -= 1; if depth == 0 { i += 1; break } }
                    content.append(c); i += 1
                }
                if depth > 0 { defects.append("\(what): unterminated comment") }
                toks.append(StructuredToken(kind: .comment, bytes: content, spaceBefore: space))
            case 0x5B: // domain literal
                let start = i
                i += 1
                while i < n, v[i] != 0x5D { i += 1 }
                if i < n { i += 1 }
                toks.append(StructuredToken(kind: .domainLiteral, bytes: Array(v[start..<i]), spaceBefore: space))
            case 0x3C, 0x3E, 0x40, 0x2C, 0x3B, 0x3A:
                toks.append(StructuredToken(kind: .special(b), bytes: [b], spaceBefore: space))
                i += 1
            case 0x29, 0x5D, 0x5C:
                // Stray closer or backslash: keep it as text of an atom.
                toks.append(StructuredToken(kind: .atom, bytes: [b], spaceBefore: space))
                i += 1
            default:
                let start = i
                // An encoded word is one atom even when its text holds specials (broken mailers do that).
                if b == 0x3D, i + 1 < n, v[i + 1] == 0x3F,
                   let w = v.withUnsafeBufferPointer({ EncodedWords.parseWord($0, at: start, scanned: &scanned) }) {
                    i = w.end
                }
                while i < n, !isSpace(v[i]), !isSpecialStop(v[i]) {
                    if v[i] == 0x3D, i + 1 < n, v[i + 1] == 0x3F,
                       let w = v.withUnsafeBufferPointer({ EncodedWords.parseWord($0, at: i, scanned: &scanned) }) {
                        i = w.end
                        continue
                    }
                    i += 1
                }
                toks.append(StructuredToken(kind: .atom, bytes: Array(v[start..<i]), spaceBefore: space))
            }
            space = false
        }
        return toks
    }
}
