/// One mailbox of an address header. Members of a group carry the group's name; an empty group
/// (`undisclosed-recipients:;`) contributes no Address at all.
public struct Address: Equatable, Hashable, Sendable {
    public var name: String?
    public var address: String?
    public var group: String?

    public init(name: String?, address: String?, group: String? = nil) {
        self.name = name
        self.address = address
        self.group = group
    }

    public var jsonValue: JSONValue {
        .object([("name", .string(name)), ("address", .string(address)), ("group", .string(group))])
    }
}

/// RFC 5322 address lists with the obsolete syntax and the garbage real mail carries.
///
/// Garbage is recovered rather than dropped. In particular a mailbox without `@` and without angle
/// brackets, such as `From: Whomever`, is taken as a display name with no address (as mail-parser
/// does): a bare word is far more often a name that lost its address than a local mailbox, and
/// treating it as an address would make routing match a partner called "Whomever". `<moderator>`
/// in angle brackets is kept as an address, as written.
enum AddressParser {
    static func parse(_ value: [UInt8], fallback: RawCharset, defects: inout [String], field: String) -> [Address] {
        let toks = StructuredLexer.tokenize(value, defects: &defects, what: field)
        var result: [Address] = []
        var group: String? = nil
        var phrase: [StructuredToken] = []
        var angle: [StructuredToken]? = nil
        var comments: [StructuredToken] = []
        var junkAfterAngle = false

        func decodePhrase(_ words: ArraySlice<StructuredToken>) -> String? {
            var bytes: [UInt8] = []
            for (k, t) in words.enumerated() {
                if k > 0 && (t.spaceBefore || t.kind == .quoted || words[words.index(words.startIndex, offsetBy: k - 1)].kind == .quoted) {
                    bytes.append(0x20)
                }
                bytes.append(contentsOf: t.bytes)
            }
            return clean(EncodedWords.decode(bytes, fallback: fallback, defects: &defects))
        }
        func decodeComment(_ t: StructuredToken) -> String? {
            // `user@host ("Real Name")`: the quotes inside the comment are not part of the name.
            var b = t.bytes[...]
            while let f = b.first, f == 0x20 || f == 0x09 { b = b.dropFirst() }
            while let l = b.last, l == 0x20 || l == 0x09 { b = b.dropLast() }
            if b.count >= 2, b.first == 0x22, b.last == 0x22 { b = b.dropFirst().dropLast() }
            return clean(EncodedWords.decode(Array(b), fallback: fallback, defects: &defects))
        }

        func finishMailbox() {
            defer { phrase = []; angle = nil; comments = []; junkAfterAngle = false }
            var name: String? = nil
            var address: String? = nil
            if let angle {
                address = addrSpec(angle[...], fallback: fallback, defects: &defects)
                if address == nil { defects.append("\(field): empty address <>") }
                name = phrase.isEmpty ? comments.last.flatMap(decodeComment) : decodePhrase(phrase[...])
            } else if let at = phrase.firstIndex(where: { $0.kind == .special(0x40) }) {
                var lo = at, hi = at + 1
                if at > 0, phrase[at - 1].isWord { lo = at - 1 }
                if at + 1 < phrase.count, phrase[at + 1].kind == .atom || phrase[at + 1].kind == .domainLiteral { hi = at + 2 }
                // Obsolete spacing around the dots: `john . doe @ example . com`.
                func dotJoined(_ a: StructuredToken, _ b: StructuredToken) -> Bool {
                    b.isWord && a.isWord && (a.bytes.last == 0x2E || b.bytes.first == 0x2E)
                }
                while lo > 0, phrase[lo - 1].kind == .atom, lo < at, dotJoined(phrase[lo - 1], phrase[lo]) { lo -= 1 }
                while hi > at + 1, hi < phrase.count, phrase[hi].kind == .atom, dotJoined(phrase[hi - 1], phrase[hi]) { hi += 1 }
                address = addrSpec(phrase[lo..<hi], fallback: fallback, defects: &defects)
                let rest = Array(phrase[..<lo]) + Array(phrase[hi...])
                let words = rest.filter { $0.isWord }
                if !words.isEmpty {
                    defects.append("\(field): display name without angle brackets around the address")
                    name = decodePhrase(words[...])
                } else {
                    name = comments.last.flatMap(decodeComment)
                }
            } else if !phrase.isEmpty {
                // `From: Whomever`: a name without an address (see the type's comment).
                name = decodePhrase(phrase.filter { $0.isWord }[...])
                if name != nil { defects.append("\(field): mailbox without an address: \(name!)") }
            } else {
                return
            }
            if junkAfterAngle { defects.append("\(field): text after the angle-bracketed address") }
            if name == nil && address == nil { return }
            result.append(Address(name: name, address: address, group: group))
        }

        var i = 0
        while i < toks.count {
            let t = toks[i]
            switch t.kind {
            case .comment:
                comments.append(t)
            case .special(0x3C): // <
                var inner: [StructuredToken] = []
                i += 1
                var closed = false
                while i < toks.count {
                    if toks[i].kind == .special(0x3E) { closed = true; break }
                    if toks[i].kind == .special(0x3C) { i += 1; continue }
                    inner.append(toks[i]); i += 1
                }
                if !closed { defects.append("\(field): unterminated angle address") }
                if angle != nil {
                    // A second <...> in one mailbox: keep the first, note the junk.
                    junkAfterAngle = true
                } else {
                    angle = inner
                }
            case .special(0x3E):
                defects.append("\(field): stray '>'")
            case .special(0x3A): // :
                if angle == nil, group == nil, !phrase.contains(where: { $0.kind == .special(0x40) }) {
                    group = decodePhrase(phrase.filter { $0.isWord }[...]) ?? ""
                    phrase = []; comments = []
                } else if angle == nil {
                    phrase.append(StructuredToken(kind: .atom, bytes: [0x3A], spaceBefore: t.spaceBefore))
                }
            case .special(0x3B): // ;
                finishMailbox()
                if group != nil { group = nil } else { defects.append("\(field): ';' used as a separator") }
            case .special(0x2C): // ,
                finishMailbox()
            default:
                if angle != nil {
                    junkAfterAngle = true
                } else {
                    phrase.append(t)
                }
            }
            i += 1
        }
        finishMailbox()
        if group != nil { defects.append("\(field): group not terminated by ';'") }
        return result
    }

    /// local-part "@" domain from the tokens of an addr-spec (angle content or a bare address).
    /// An obsolete route (`@a,@b:`) is dropped; whitespace and comments are ignored.
    static func addrSpec(_ toks: ArraySlice<StructuredToken>, fallback: RawCharset, defects: inout [String]) -> String? {
        var ts = toks.filter { if case .comment = $0.kind { return false }; return true }
        if let colon = ts.lastIndex(where: { $0.kind == .special(0x3A) }) {
            ts = Array(ts[(colon + 1)...])
        }
        var bytes: [UInt8] = []
        for t in ts {
            switch t.kind {
            case .quoted:
                if needsQuoting(t.bytes) {
                    bytes.append(0x22)
                    for b in t.bytes {
                        if b == 0x22 || b == 0x5C { bytes.append(0x5C) }
                        bytes.append(b)
                    }
                    bytes.append(0x22)
                } else {
                    bytes.append(contentsOf: t.bytes)
                }
            case .special(0x2C), .special(0x3B): continue
            default:
                bytes.append(contentsOf: t.bytes)
            }
        }
        if bytes.isEmpty { return nil }
        return bytes.withUnsafeBufferPointer { TextDecoder.decodeRaw($0, fallback, defects: &defects) }
    }

    static func needsQuoting(_ local: [UInt8]) -> Bool {
        if local.isEmpty { return true }
        if local.first == 0x2E || local.last == 0x2E { return true }
        var prevDot = false
        for b in local {
            if b == 0x2E { if prevDot { return true }; prevDot = true; continue }
            prevDot = false
            if b <= 0x20 || b == 0x7F || StructuredLexer.isSpecialStop(b) { return true }
        }
        return false
    }

    static func clean(_ s: String) -> String? {
        let t = EncodedWords.singleLine(s)
        return t.isEmpty ? nil : t
    }
}
