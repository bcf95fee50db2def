/// RFC 5322 dates, the obsolete forms (two-digit years, zone names, military zones) and the broken
/// forms real mail carries (asctime order, ISO 8601, missing seconds or zone, `GMT+0200`, `+02:00`,
/// dashes, AM/PM). The result is seconds since 1970 in UTC.
enum DateParser {
    struct Result {
        var epochSeconds: Int64
        var hadZone: Bool
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "ist": 330,
        "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
        "akst": -540, "akdt": -480, "hst": -600, "ast": -240, "adt": -180, "nst": -210, "ndt": -150,
        "cet": 60, "cest": 120, "met": 60, "mest": 120, "mez": 60, "mesz": 120, "west": 60, "eet": 120, "eest": 180,
        "msk": 180, "msd": 240, "jst": 540, "kst": 540, "hkt": 480, "sgt": 480, "awst": 480, "acst": 570,
        "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    ]

    /// Words after a valid date's numeric zone (`+0200 junk folded here`), nil when there are
    /// none; a comment and an obsolete zone name after the offset (`-0800 PST`) are no junk.
    static func trailingText(_ value: [UInt8]) -> String? {
        // The common case without allocating: the value ends with the zone, maybe followed by
        // one comment (`+0000`, `-0700 (PDT)`).
        var end = value.count
        func skipSpace() { while end > 0, value[end - 1] == 0x20 || value[end - 1] == 0x09 || value[end - 1] == 0x0D || value[end - 1] == 0x0A { end -= 1 } }
        skipSpace()
        if end > 0, value[end - 1] == 0x29, let open = value[..<end].lastIndex(of: 0x28) { end = open; skipSpace() }
        if end >= 5, value[end - 5] == 0x2B || value[end - 5] == 0x2D,
           value[(end - 4)..<end].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
        var depth = 0
        var words: [[UInt8]] = [[]]
        for b in value.prefix(256) {
            if b == 0x28 { depth += 1; continue }
            if b == 0x29 { if depth > 0 { depth -= 1 }; continue }
            if depth > 0 { continue }
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A { if !words[words.count - 1].isEmpty { words.append([]) } }
            else { words[words.count - 1].append(b) }
        }
        if words.last?.isEmpty == true { words.removeLast() }
        guard let zone = words.lastIndex(where: { w in
            w.count == 5 && (w[0] == 0x2B || w[0] == 0x2D) && w.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        }) else { return nil }
        let rest = words[(zone + 1)...].filter { w in
            let low = String(decoding: w.map { $0 | 0x20 }, as: UTF8.self)
            return zones[low] == nil
        }
        guard !rest.isEmpty else { return nil }
        return String(decoding: Array(rest.joined(separator: [0x20])).prefix(60), as: UTF8.self)
    }

    static func parse(_ value: [UInt8]) -> Result? {
        // Comments out, separators to spaces.
        var s: [UInt8] = []
        s.reserveCapacity(value.count)
        var depth = 0
        // Dates are short; a hostile Date header must not cost more than its first bytes.
        for b in value.prefix(256) {
            if b == 0x28 { depth += 1; s.append(0x20); continue }
            if b == 0x29 { if depth > 0 { depth -= 1 }; s.append(0x20); continue }
            if depth > 0 { continue }
            s.append(b)
        }
        if let iso = parseISO(s) { return iso }

        // Tokens: letters, digit groups with ':' (time), signed numbers, plain numbers.
        var tokens: [[UInt8]] = []
        var i = 0
        let n = s.count
        func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while i < n {
            let b = s[i]
            if isAlpha(b) {
                let st = i
                while i < n, isAlpha(s[i]) { i += 1 }
                tokens.append(Array(s[st..<i]))
                if i < n, s[i] == 0x2E { i += 1 } // "Mon." / "Sept."
            } else if isDigit(b) {
                let st = i
                while i < n, isDigit(s[i]) || s[i] == 0x3A || (s[i] == 0x2E && i > st && s[st..<i].contains(0x3A)) { i += 1 }
                tokens.append(Array(s[st..<i]))
            } else if (b == 0x2B || b == 0x2D), i + 1 < n, isDigit(s[i + 1]), signedZoneAllowed(tokens.last, s, i) {
                // A signed zone after the time or after GMT/UTC.
                let st = i
                i += 1
                while i < n, isDigit(s[i]) || s[i] == 0x3A { i += 1 }
                tokens.append(Array(s[st..<i]))
            } else {
                i += 1
            }
        }

        var day: Int? = nil, month: Int? = nil, year: Int? = nil
        var hour = 0, minute = 0, second = 0
        var haveTime = false
        var zone: Int? = nil
        var namedZone: Int? = nil
        var pm: Bool? = nil
        for t in tokens {
            let c = t[0]
            if isAlpha(c) {
                let low = String(decoding: t.map { $0 | 0x20 }, as: UTF8.self)
                if month == nil, low.count >= 3, low.count <= 9, let m = months.firstIndex(of: String(low.prefix(3))) {
                    month = m + 1
                } else if low == "am" { pm = false }
                else if low == "pm" { pm = true }
                else if let z = zones[low] { namedZone = z }
                else if low.count == 1 { namedZone = namedZone ?? 0 } // military zones: RFC 5322 says treat as -0000
            } else if c == 0x2B || c == 0x2D {
                if let z = parseOffset(t) { zone = z }
            } else if t.contains(0x3A) {
                let parts = t.split(separator: 0x3A, omittingEmptySubsequences: false)
                guard parts.count >= 2, let h = number(parts[0]), let m = number(parts[1]) else { return nil }
                hour = h; minute = m
                if parts.count >= 3 {
                    let secPart = parts[2].prefix { isDigit($0) }
                    second = number(secPart) ?? 0
                }
                haveTime = true
            } else if let v = number(t[...]) {
                if t.count >= 3 || v > 31 {
                    if year == nil { year = v }
                } else if day == nil {
                    day = v
                } else if year == nil {
                    year = v
                }
            }
        }
        guard let d = day, let mo = month, var y = year else { return nil }
        if t2(y) { y += y < 50 ? 2000 : 1900 } else if y < 1000 { y += 1900 }
        if let pm {
            if pm && hour < 12 { hour += 12 }
            if !pm && hour == 12 { hour = 0 }
        }
        if second == 60 { second = 59 }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(mo, y), (0...23).contains(hour), (0...59).contains(minute),
              (0...59).contains(second), (1000...9999).contains(y) else { return nil }
        _ = haveTime
        let offset = zone ?? namedZone
        let local = daysFromCivil(y, mo, d) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        return Result(epochSeconds: local - Int64((offset ?? 0) * 60), hadZone: offset != nil)
    }

    private static func t2(_ y: Int) -> Bool { y < 100 }

    /// A `+`/`-` starts a zone after the time, after GMT/UTC, or as a free-standing four-digit offset.
    private static func signedZoneAllowed(_ last: [UInt8]?, _ s: [UInt8], _ i: Int) -> Bool {
        if let last {
            if last.contains(0x3A) { return true }
            let low = String(decoding: last.map { $0 | 0x20 }, as: UTF8.self)
            if low == "gmt" || low == "utc" || low == "ut" { return true }
        }
        guard i > 0, s[i - 1] == 0x20 || s[i - 1] == 0x09 else { return false }
        var e = i + 1
        while e < s.count, s[e] >= 0x30 && s[e] <= 0x39 { e += 1 }
        return e - i - 1 == 4
    }

    static func number<C: Collection>(_ digits: C) -> Int? where C.Element == UInt8 {
        if digits.isEmpty || digits.count > 9 { return nil }
        var v = 0
        for b in digits {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }

    /// `+0200`, `-05:30`, `+2`, `+02` → minutes east of UTC.
    static func parseOffset(_ t: [UInt8]) -> Int? {
        let sign = t[0] == 0x2D ? -1 : 1
        let body = t.dropFirst()
        var h = 0, m = 0
        if let colon = body.firstIndex(of: 0x3A) {
            guard let hh = number(body[..<colon]), let mm = number(body[(colon + 1)...]) else { return nil }
            h = hh; m = mm
        } else {
            guard let v = number(body) else { return nil }
            if body.count <= 2 { h = v } else { h = v / 100; m = v % 100 }
        }
        guard h <= 23, m <= 59 else { return nil }
        return sign * (h * 60 + m)
    }

    /// 2026-11-26T08:00:00Z, 2026-11-26 08:00:00+01:00 and the like.
    static func parseISO(_ s: [UInt8]) -> Result? {
        var i = 0
        while i < s.count, s[i] == 0x20 || s[i] == 0x09 { i += 1 }
        let t = Array(s[i...])
        func num(_ lo: Int, _ len: Int) -> Int? { lo + len <= t.count ? number(t[lo..<(lo + len)]) : nil }
        guard t.count >= 10, let y = num(0, 4), t[4] == 0x2D, let mo = num(5, 2), t[7] == 0x2D, let d = num(8, 2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var p = 10
        if p < t.count, t[p] == 0x54 || t[p] == 0x20 || t[p] == 0x74 {
            guard let h = num(p + 1, 2), p + 3 < t.count, t[p + 3] == 0x3A, let m = num(p + 4, 2) else { return nil }
            hour = h; minute = m; p += 6
            if p < t.count, t[p] == 0x3A, let sec = num(p + 1, 2) { second = sec; p += 3 }
            if p < t.count, t[p] == 0x2E || t[p] == 0x2C { p += 1; while p < t.count, t[p] >= 0x30 && t[p] <= 0x39 { p += 1 } }
        }
        while p < t.count, t[p] == 0x20 { p += 1 }
        var offset: Int? = nil
        if p < t.count {
            if t[p] == 0x5A || t[p] == 0x7A { offset = 0 }
            else if t[p] == 0x2B || t[p] == 0x2D {
                var e = p + 1
                while e < t.count, (t[e] >= 0x30 && t[e] <= 0x39) || t[e] == 0x3A { e += 1 }
                offset = parseOffset(Array(t[p..<e]))
            }
        }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(mo, y), hour <= 23, minute <= 59, second <= 60 else { return nil }
        let local = daysFromCivil(y, mo, d) * 86400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
        return Result(epochSeconds: local - Int64((offset ?? 0) * 60), hadZone: offset != nil)
    }

    static func daysIn(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `2026-11-26T08:00:00Z` for seconds since 1970.
    static func iso8601(_ epoch: Int64) -> String {
        var days = epoch / 86400
        var secs = epoch % 86400
        if secs < 0 { secs += 86400; days -= 1 }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func p2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var ys = String(y)
        while ys.count < 4 { ys = "0" + ys }
        return "\(ys)-\(p2(m))-\(p2(d))T\(p2(secs / 3600)):\(p2(secs % 3600 / 60)):\(p2(secs % 60))Z"
    }
}
