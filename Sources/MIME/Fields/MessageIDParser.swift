/// Message-ID, In-Reply-To and References. Ids are returned with their angle brackets, as Odoo
/// stores them (`<id@host>`). Tolerated: ids without brackets, folding and whitespace inside an id,
/// comments and junk between ids ("Your message of …", quoted phrases).
enum MessageIDParser {
    static func parseList(_ value: [UInt8], defects: inout [String], field: String) -> [String] {
        var ids: [String] = []
        let n = value.count
        var i = 0
        var depth = 0
        var sawBracket = false
        while i < n {
            let b = value[i]
            if b == 0x28 { depth += 1; i += 1; continue }
            if b == 0x29 { if depth > 0 { depth -= 1 }; i += 1; continue }
            if depth > 0 { i += 1; continue }
            if b == 0x3C {
                sawBracket = true
                var j = i + 1
                var id: [UInt8] = [0x3C]
                while j < n, value[j] != 0x3E, value[j] != 0x3C {
                    let c = value[j]
                    if !(c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A) { id.append(c) }
                    j += 1
                }
                if j < n, value[j] == 0x3E {
                    if id.count > 1 {
                        id.append(0x3E)
                        ids.append(String(decoding: id, as: UTF8.self))
                    }
                    i = j + 1
                } else {
                    defects.append("\(field): unterminated message id")
                    if id.count > 1 { id.append(0x3E); ids.append(String(decoding: id, as: UTF8.self)) }
                    i = j
                }
                continue
            }
            i += 1
        }
        if sawBracket { return ids }
        // No angle brackets: take every whitespace-separated word that looks like an id (has '@'),
        // else the whole value when it is one word.
        let words = value.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x2C || $0 == 0x0D || $0 == 0x0A })
        var found = words.filter { $0.contains(0x40) && $0.first != 0x22 }
        if found.isEmpty, words.count == 1 { found = words }
        if !found.isEmpty { defects.append("\(field): message id without angle brackets") }
        return found.map { "<" + String(decoding: $0, as: UTF8.self) + ">" }
    }
}
