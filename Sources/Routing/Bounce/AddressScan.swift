/// Email addresses in text, found by a byte scan (no regular expression): a local part of
/// RFC 5322 atext and dots starting with a letter, digit or `_`, `@`, one or more DNS labels
/// (RFC 1035: letters, digits, inner hyphens) each followed by a dot, and a top-level label of
/// at least two letters. The same matches `[A-Za-z0-9_][atext.]*@(label\.)+[A-Za-z]{2,}`
/// finds, leftmost first, without overlaps.
enum AddressScan {
    private static let localBytes: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+=/!#$&'*?^`{|}~-".utf8) { t[Int(b)] = true }
        return t
    }()

    static func isAlnum(_ b: UInt8) -> Bool { isLetter(b) || (b >= 0x30 && b <= 0x39) }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// Byte ranges of the addresses in `text`, in order.
    static func ranges(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var floor = 0
        var at = 0
        let n = text.count
        while at < n {
            guard text[at] == UInt8(ascii: "@") else { at += 1; continue }
            defer { at += 1 }
            // The local part: the run of local bytes before `@`, from its first letter, digit or `_`.
            var s = at
            while s > floor, localBytes[Int(text[s - 1])] { s -= 1 }
            while s < at, !(isAlnum(text[s]) || text[s] == UInt8(ascii: "_")) { s += 1 }
            guard s < at, let end = domainEnd(text, from: at + 1) else { continue }
            out.append(s..<end)
            floor = end
            at = end - 1
        }
        return out
    }

    /// Where a domain starting at `i` ends: labels each followed by a dot, then the longest run
    /// of at least two letters after the last label that allows one (the regex's backtracking).
    private static func domainEnd(_ t: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        var labelEnds: [Int] = []  // index just after each label's dot
        var p = i
        while p < t.count, isAlnum(t[p]) {
            var q = p
            while q < t.count, isAlnum(t[q]) || t[q] == UInt8(ascii: "-") { q += 1 }
            guard q < t.count, t[q] == UInt8(ascii: "."), isAlnum(t[q - 1]) else { break }
            labelEnds.append(q + 1)
            p = q + 1
        }
        for start in labelEnds.reversed() {
            var e = start
            while e < t.count, isLetter(t[e]) { e += 1 }
            if e - start >= 2 { return e }
        }
        return nil
    }

    /// The addresses in `text` as written.
    static func addresses(in text: String) -> [String] {
        var t = text
        return t.withUTF8 { b in ranges(in: b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) } }
    }
}
