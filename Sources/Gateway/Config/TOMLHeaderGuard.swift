/// toml++ 3.x (inside TOMLKit) asserts, aborting the whole process, on a table header whose name
/// starts with a character no key can start with (`[=]`, `[.a]`, `[#]`, `[ , ]`, `[[=]]`) instead
/// of reporting a syntax error (found by Fuzz/ConfigFuzz). This scan finds such a header before
/// the text reaches toml++, so a typo in mailgate.toml is exit 78 naming the line, not SIGABRT.
/// It only needs to tell headers from values: strings, comments and brackets inside values are
/// skipped; everything else is left to toml++.
enum TOMLHeaderGuard {
    /// The 1-based line of the first table header toml++ would abort on, or nil.
    static func badHeaderLine(in text: String) -> Int? {
        let b = Array(text.utf8)
        var i = 0, line = 1, depth = 0
        var atStatement = true  // at the start of a top-level statement (a header or a key)
        func skipToLineEnd() { while i < b.count && b[i] != 0x0A { i += 1 } }
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x0A:
                line += 1
                if depth == 0 { atStatement = true }
                i += 1
            case 0x20, 0x09, 0x0D:
                i += 1
            case UInt8(ascii: "#"):
                skipToLineEnd()
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString(b, &i, &line)
                atStatement = false
            case UInt8(ascii: "[") where atStatement && depth == 0:
                var j = i + 1
                if j < b.count && b[j] == UInt8(ascii: "[") { j += 1 }
                while j < b.count && (b[j] == 0x20 || b[j] == 0x09) { j += 1 }
                if j < b.count && !(isBareKey(b[j]) || b[j] == UInt8(ascii: "\"") || b[j] == UInt8(ascii: "'")
                                    || b[j] == UInt8(ascii: "]")) {
                    return line
                }
                skipToLineEnd()
            default:
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    depth += 1
                } else if (c == UInt8(ascii: "]") || c == UInt8(ascii: "}")) && depth > 0 {
                    depth -= 1
                }
                atStatement = false
                i += 1
            }
        }
        return nil
    }

    private static func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    /// Skips a basic, literal or multi-line string starting at `i` (an unterminated one ends at
    /// the line end; toml++ reports it).
    private static func skipString(_ b: [UInt8], _ i: inout Int, _ line: inout Int) {
        let quote = b[i]
        let triple = i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote
        i += triple ? 3 : 1
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") { i += 2; continue }
            if c == 0x0A {
                if !triple { return }
                line += 1
            }
            if c == quote && (!triple || (i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote)) {
                i += triple ? 3 : 1
                return
            }
            i += 1
        }
    }
}
