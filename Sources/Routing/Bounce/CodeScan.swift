import Foundation

/// SMTP reply codes (RFC 5321 4.2: `550`) and enhanced status codes (RFC 3463: `5.1.1`) in
/// report text, and the remote host a report names (`host mx.example.com[192.0.2.1]`), found
/// by byte scans (no regular expression), in order of appearance.
enum CodeScan {
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isClass(_ b: UInt8) -> Bool { b == 0x32 || b == 0x34 || b == 0x35 }  // 2, 4, 5
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Enhanced status codes `class.subject.detail` (class 2, 4 or 5; one to three digits each),
    /// not part of a longer dotted number (a version, an IP address): byte ranges. `onlyFirst`
    /// stops at the first (all a caller asking for the first one needs).
    static func statuses(in b: UnsafeBufferPointer<UInt8>, onlyFirst: Bool = false) -> [Range<Int>] {
        var out: [Range<Int>] = []
        guard let base = b.baseAddress else { return out }
        var i = 0
        while i + 4 < b.count {
            // A status's class is followed by a dot: memchr finds the dots (up to the last that can
            // follow a class), each a candidate the byte before it, instead of a test at every byte.
            guard let dot = memchr(base + i + 1, Int32(UInt8(ascii: ".")), b.count - 4 - i) else { break }
            i = base.distance(to: dot.assumingMemoryBound(to: UInt8.self)) - 1
            defer { i += 1 }
            guard isClass(b[i]), b[i + 1] == UInt8(ascii: "."),
                  i == 0 || !(isDigit(b[i - 1]) || b[i - 1] == UInt8(ascii: ".")) else { continue }
            var j = i + 2
            while j < b.count, j - (i + 2) < 4, isDigit(b[j]) { j += 1 }
            let subject = j - (i + 2)
            guard (1...3).contains(subject), j < b.count, b[j] == UInt8(ascii: ".") else { continue }
            var k = j + 1
            while k < b.count, k - (j + 1) < 4, isDigit(b[k]) { k += 1 }
            let detail = k - (j + 1)
            guard (1...3).contains(detail) else { continue }
            // Not followed by a digit, nor by a dot and a digit.
            if k < b.count, isDigit(b[k]) { continue }
            if k + 1 < b.count, b[k] == UInt8(ascii: "."), isDigit(b[k + 1]) { continue }
            out.append(i..<k)
            if onlyFirst { return out }
            i = k - 1
        }
        return out
    }

    /// Statuses a server gave right after its reply code (`550 5.2.2`, `550-'5.2.2`).
    static func repliedStatuses(in b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        statuses(in: b).filter { r in
            var p = r.lowerBound
            if p > 0, b[p - 1] == UInt8(ascii: "'") || b[p - 1] == UInt8(ascii: "\"") { p -= 1 }
            guard p >= 4, b[p - 1] == 0x20 || b[p - 1] == UInt8(ascii: "-") else { return false }
            return isClass(b[p - 4]) && isDigit(b[p - 3]) && isDigit(b[p - 2])
        }
    }

    private static let before: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in Array(":;([<>#\"'".utf8) + [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D] { t[Int(c)] = true }
        return t
    }()

    private static let afterDash: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in Array("<[(\"'#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8) { t[Int(c)] = true }
        return t
    }()

    /// Reply codes (`[245][0-5][0-9]`) written the way servers reply: at a line start or after a
    /// space or punctuation, and followed by spaces or dashes and a status or a word, by `, `/`: `,
    /// by ` : `, or by the end of the line. `untilFailure` stops after the first code that is no
    /// success (2xx): all a caller asking for the failing reply needs.
    static func replyCodes(in b: UnsafeBufferPointer<UInt8>, untilFailure: Bool = false) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i + 2 < b.count {
            defer { i += 1 }
            guard isClass(b[i]), b[i + 1] >= 0x30 && b[i + 1] <= 0x35, isDigit(b[i + 2]),
                  i == 0 || before[Int(b[i - 1])] else { continue }
            let e = i + 3
            if follows(b, e) {
                out.append(i..<e)
                if untilFailure, b[i] != UInt8(ascii: "2") { return out }
                i = e - 1
            }
        }
        return out
    }

    private static func follows(_ b: UnsafeBufferPointer<UInt8>, _ e: Int) -> Bool {
        // End of the line: only spaces and tabs before it.
        var k = e
        while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
        if k == b.count || b[k] == 0x0A || b[k] == 0x0D { return true }
        // `, ` or `: `
        if e + 1 < b.count, b[e] == UInt8(ascii: ",") || b[e] == UInt8(ascii: ":"), b[e + 1] == 0x20 { return true }
        // ` : `
        if k > e, k + 1 < b.count, b[k] == UInt8(ascii: ":"), b[k + 1] == 0x20 { return true }
        // Spaces or dashes, then a status or a word.
        var d = e
        while d < b.count, b[d] == 0x20 || b[d] == UInt8(ascii: "-") { d += 1 }
        guard d > e, d < b.count else { return false }
        if afterDash[Int(b[d])] { return true }
        return isClass(b[d]) && d + 2 < b.count && b[d + 1] == UInt8(ascii: ".") && isDigit(b[d + 2])
    }

    /// The host of `host NAME[` / `host NAME. [` (Postfix and Exim name the remote server so), lower-cased.
    static func remoteHost(in text: String) -> String? {
        var t = text
        return t.withUTF8 { b -> String? in
            var from = 0
            while let at = TextScan.offset(of: "host ", in: text, from: from) {
                from = at + 1
                let s = at + 5
                var e = s
                while e < b.count, AddressScan.isAlnum(b[e]) || b[e] == UInt8(ascii: ".") || b[e] == UInt8(ascii: "-") { e += 1 }
                guard e > s, AddressScan.isAlnum(b[s]) else { continue }
                var k = e
                while k < b.count, isSpace(b[k]) { k += 1 }
                guard k < b.count, b[k] == UInt8(ascii: "[") else { continue }
                // The name ends with a dot and two letters or more; a final dot is not part of it.
                var end = e
                if b[end - 1] == UInt8(ascii: ".") { end -= 1 }
                var l = end
                while l > s, AddressScan.isLetter(b[l - 1]) { l -= 1 }
                guard end - l >= 2, l - 1 > s, b[l - 1] == UInt8(ascii: ".") else { continue }
                return String(decoding: b[s..<end].map(AhoCorasick<Int>.fold), as: UTF8.self)
            }
            return nil
        }
    }
}
