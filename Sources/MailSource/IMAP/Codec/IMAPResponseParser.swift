/// Parses one framed response (see `IMAPFramer`) into an `IMAPResponse`. Works on bytes;
/// text becomes `String` only where it is text (response text, atoms, flags).
///
/// Tolerant reading (RFC 3501 §9 is the grammar servers are held to, not the one they all
/// follow): runs of spaces where one is due and before `)` (qq.com), items in any order,
/// atoms in any case, NIL where a string was expected, trailing spaces at the end of a line.
public enum IMAPResponseParser {
    public static func parse(_ frame: IMAPFrame) throws -> IMAPResponse {
        var cursor = try Cursor(frame)
        let response = try cursor.response()
        try cursor.expectEnd()
        return response
    }
}

private let SP = UInt8(ascii: " ")
private let LPAREN = UInt8(ascii: "(")
private let RPAREN = UInt8(ascii: ")")
private let DQUOTE = UInt8(ascii: "\"")
private let BACKSLASH = UInt8(ascii: "\\")
private let LBRACKET = UInt8(ascii: "[")
private let RBRACKET = UInt8(ascii: "]")
private let LBRACE = UInt8(ascii: "{")
private let TILDE = UInt8(ascii: "~")

private struct Cursor {
    private let chunks: [IMAPFrame.Chunk]
    private var chunkIndex = 0
    private var line: [UInt8]
    private var position = 0
    private static let maxDepth = 64

    init(_ frame: IMAPFrame) throws {
        chunks = frame.chunks
        guard case let .line(first)? = chunks.first else { throw IMAPCodecError.syntax("empty response", context: "") }
        line = first
    }

    // MARK: primitives

    private var peek: UInt8? { position < line.count ? line[position] : nil }

    private func error(_ what: String) -> IMAPCodecError {
        .syntax(what, context: IMAPCodecError.excerpt(line[min(position, line.count)...]))
    }

    mutating func expectEnd() throws {
        skipSpaces()
        guard position == line.count, chunkIndex == chunks.count - 1 else { throw error("unexpected data at the end") }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek == byte else { throw error("expected \"\(Unicode.Scalar(byte))\"") }
        position += 1
    }

    private mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// One or more spaces (servers send runs of them).
    private mutating func space() throws {
        try expect(SP)
        skipSpaces()
    }

    private mutating func skipSpaces() {
        while peek == SP { position += 1 }
    }

    /// True (and past them) when one or more spaces follow.
    private mutating func separator() -> Bool {
        guard peek == SP else { return false }
        skipSpaces()
        return true
    }

    private var atLineEnd: Bool { position >= line.count }

    /// An atom-like word: anything up to SP, parentheses, a quote, or (with `stopAtBracket`)
    /// "]". With `sections`, "[…]" is read whole, spaces and all (BODY[HEADER.FIELDS (A B)]).
    private mutating func word(sections: Bool = false, stopAtBracket: Bool = false) throws -> String {
        let start = position
        while let byte = peek {
            if byte == SP || byte == LPAREN || byte == RPAREN || byte == DQUOTE || byte < 0x20 || byte == 0x7F { break }
            if byte == RBRACKET && stopAtBracket { break }
            if byte == LBRACKET && sections {
                guard let close = line[position...].firstIndex(of: RBRACKET) else { throw error("unclosed \"[\"") }
                position = close + 1
                continue
            }
            position += 1
        }
        guard position > start else { throw error("expected an atom") }
        return String(decoding: line[start..<position], as: UTF8.self)
    }

    private mutating func number() throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        while let byte = peek, byte >= 0x30, byte <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1, !o2 else { throw error("number too large") }
            value = sum
            position += 1
        }
        guard position > start else { throw error("expected a number") }
        return value
    }

    private mutating func number32() throws -> UInt32 {
        let value = try number()
        guard let small = UInt32(exactly: value) else { throw error("number above 2^32") }
        return small
    }

    private mutating func restOfLine() -> String {
        let text = String(decoding: line[min(position, line.count)...], as: UTF8.self)
        position = line.count
        return text
    }

    // MARK: values

    private mutating func quoted() throws -> [UInt8] {
        try expect(DQUOTE)
        var out: [UInt8] = []
        while true {
            guard let byte = peek else { throw error("unterminated quoted string") }
            position += 1
            if byte == DQUOTE { return out }
            if byte == BACKSLASH {
                guard let escaped = peek else { throw error("unterminated quoted string") }
                position += 1
                out.append(escaped)
            } else {
                out.append(byte)
            }
        }
    }

    /// `{n}` / `{n+}` / `~{n}` at the end of the line, then the literal chunk, then the next line.
    private mutating func literal() throws -> IMAPBytes {
        _ = skip(TILDE)
        try expect(LBRACE)
        _ = try number()
        _ = skip(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"))
        guard atLineEnd, chunkIndex + 2 < chunks.count,
              case let .literal(data) = chunks[chunkIndex + 1],
              case let .line(next) = chunks[chunkIndex + 2] else { throw error("literal marker not followed by a literal") }
        chunkIndex += 2
        line = next
        position = 0
        return data
    }

    private var atLiteral: Bool {
        peek == LBRACE || (peek == TILDE && position + 1 < line.count && line[position + 1] == LBRACE)
    }

    private mutating func string() throws -> IMAPBytes {
        if peek == DQUOTE { return .bytes(try quoted()) }
        if atLiteral { return try literal() }
        throw error("expected a string")
    }

    /// nstring: a string or NIL (nil).
    private mutating func nstring() throws -> IMAPBytes? {
        if peek == DQUOTE || atLiteral { return try string() }
        let atom = try word()
        guard atom.uppercased() == "NIL" else { throw error("expected a string or NIL") }
        return nil
    }

    mutating func value(depth: Int = 0) throws -> IMAPValue {
        guard depth < Self.maxDepth else { throw error("lists nested too deeply") }
        guard let byte = peek else { throw error("expected a value") }
        if byte == LPAREN { return .list(try list(depth: depth + 1)) }
        if byte == DQUOTE || atLiteral { return .string(try string()) }
        let atom = try word(sections: true)
        if atom.uppercased() == "NIL" { return .nil }
        if atom.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = UInt64(atom) { return .number(number) }
        return .atom(atom)
    }

    private mutating func list(depth: Int) throws -> [IMAPValue] {
        try expect(LPAREN)
        var items: [IMAPValue] = []
        while true {
            skipSpaces()
            if skip(RPAREN) { return items }
            items.append(try value(depth: depth))
        }
    }

    /// `(\Seen \Answered)` → ["\\Seen", "\\Answered"]
    private mutating func flagList() throws -> [String] {
        try list(depth: 1).map { item in
            guard let text = item.text else { throw error("expected a flag") }
            return text
        }
    }

    private mutating func wordsToEnd(stopAtBracket: Bool = false) throws -> [String] {
        var words: [String] = []
        while separator() {
            if atLineEnd || (stopAtBracket && peek == RBRACKET) { break }
            words.append(try word(stopAtBracket: stopAtBracket))
        }
        return words
    }

    // MARK: responses

    mutating func response() throws -> IMAPResponse {
        if skip(UInt8(ascii: "+")) {
            _ = skip(SP)
            return .continuation(restOfLine())
        }
        if skip(UInt8(ascii: "*")) {
            try space()
            return .untagged(try untagged())
        }
        let tag = try word()
        try space()
        let state = try word().uppercased()
        guard let status = IMAPStatus(rawValue: state), [.ok, .no, .bad].contains(status) else {
            throw error("tagged response must be OK, NO or BAD")
        }
        return .tagged(tag: tag, try statusText(status))
    }

    private mutating func statusText(_ status: IMAPStatus) throws -> IMAPStatusResponse {
        _ = skip(SP)
        var code: IMAPResponseCode?
        let start = position
        if skip(LBRACKET) {
            do {
                code = try responseCode()
                try expect(RBRACKET)
                _ = skip(SP)
            } catch {
                // Not a well-formed code ("[some text"): it is all text, as a person would read it.
                code = nil
                position = start
            }
        }
        return IMAPStatusResponse(status: status, code: code, text: restOfLine())
    }

    private mutating func responseCode() throws -> IMAPResponseCode {
        let name = try word(stopAtBracket: true).uppercased()
        switch name {
        case "UIDVALIDITY": try space(); return .uidValidity(try number32())
        case "UIDNEXT": try space(); return .uidNext(try number32())
        case "UNSEEN": try space(); return .unseen(try number32())
        case "HIGHESTMODSEQ": try space(); return .highestModSeq(try number())
        case "AUTHENTICATIONFAILED": return .authenticationFailed
        case "AUTHORIZATIONFAILED": return .authorizationFailed
        case "UNAVAILABLE": return .unavailable
        case "ALERT": return .alert
        case "READ-ONLY": return .readOnly
        case "READ-WRITE": return .readWrite
        case "TRYCREATE": return .tryCreate
        case "NONEXISTENT": return .nonExistent
        case "OVERQUOTA": return .overQuota
        case "CAPABILITY": return .capability(try wordsToEnd(stopAtBracket: true))
        case "PERMANENTFLAGS": try space(); return .permanentFlags(try flagList())
        case "COPYUID":
            try space()
            let validity = try number32()
            try space()
            let source = try word()
            try space()
            let destination = try word(stopAtBracket: true)
            guard let from = IMAPSequenceSet(parsing: source), let to = IMAPSequenceSet(parsing: destination) else {
                throw error("bad COPYUID sets")
            }
            return .copyUID(uidValidity: validity, source: from, destination: to)
        default:
            let start = position
            while let byte = peek, byte != RBRACKET { position += 1 }
            var text = String(decoding: line[start..<position], as: UTF8.self)
            if text.hasPrefix(" ") { text.removeFirst() }
            return .other(name: name, text: text)
        }
    }

    private mutating func untagged() throws -> IMAPUntagged {
        if let byte = peek, byte >= 0x30, byte <= 0x39 {
            let number = try number32()
            try space()
            let keyword = try word().uppercased()
            switch keyword {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try space()
                return .fetch(sequence: number, try fetchAttributes())
            default:
                var values: [IMAPValue] = [.number(UInt64(number))]
                while separator() { values.append(try value()) }
                return .other(name: keyword, values)
            }
        }
        let keyword = try word().uppercased()
        if let status = IMAPStatus(rawValue: keyword) {
            return .status(try statusText(status))
        }
        switch keyword {
        case "CAPABILITY": return .capability(try wordsToEnd())
        case "ENABLED": return .enabled(try wordsToEnd())
        case "FLAGS":
            try space()
            return .flags(try flagList())
        case "SEARCH":
            var numbers: [UInt32] = []
            while separator() {
                if peek == LPAREN { _ = try value(); continue } // (MODSEQ n)
                if atLineEnd { break }
                numbers.append(try number32())
            }
            return .search(numbers)
        case "ESEARCH": return .esearch(try esearch())
        case "ID":
            try space()
            if peek != LPAREN {
                guard try word().uppercased() == "NIL" else { throw error("expected ID list or NIL") }
                return .id(nil)
            }
            let items = try list(depth: 1)
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < items.count {
                if let key = items[index].text { fields[key] = items[index + 1].text }
                index += 2
            }
            return .id(fields)
        case "LIST", "LSUB":
            try space()
            let flags = try flagList()
            try space()
            let delimiter = try nstring().flatMap { bytes -> String? in
                if case let .bytes(value) = bytes { return String(decoding: value, as: UTF8.self) }
                return nil
            }
            try space()
            let name: String
            if peek == DQUOTE || atLiteral, case let .bytes(bytes) = try string() {
                name = String(decoding: bytes, as: UTF8.self)
            } else {
                name = try word()
            }
            return .list(flags: flags, delimiter: delimiter, name: name)
        default:
            var values: [IMAPValue] = []
            while separator() {
                if atLineEnd { break }
                values.append(try value())
            }
            return .other(name: keyword, values)
        }
    }

    private mutating func esearch() throws -> IMAPESearch {
        var result = IMAPESearch()
        while separator() {
            if atLineEnd { break }
            if peek == LPAREN {
                // (TAG "A0001")
                let correlator = try list(depth: 1)
                if correlator.count == 2, correlator[0].text?.uppercased() == "TAG" { result.tag = correlator[1].text }
                continue
            }
            let name = try word().uppercased()
            if name == "UID" { result.uid = true; continue }
            try space()
            switch name {
            case "MIN": result.min = try number32()
            case "MAX": result.max = try number32()
            case "COUNT": result.count = try number32()
            case "ALL":
                let text = try word()
                guard let set = IMAPSequenceSet(parsing: text) else { throw error("bad ESEARCH ALL set") }
                result.all = set
            default: _ = try value()
            }
        }
        return result
    }

    private mutating func fetchAttributes() throws -> IMAPFetchAttributes {
        var attributes = IMAPFetchAttributes()
        try expect(LPAREN)
        while true {
            skipSpaces()
            if skip(RPAREN) { return attributes }
            var name = try word(sections: true).uppercased()
            if name.hasSuffix(">"), let origin = name.lastIndex(of: "<") { name = String(name[..<origin]) }
            try space()
            switch name {
            case "UID": attributes.uid = try number32()
            case "RFC822.SIZE": attributes.rfc822Size = try number()
            case "FLAGS": attributes.flags = try flagList()
            case "INTERNALDATE":
                if case let .bytes(bytes)? = try nstring() { attributes.internalDate = String(decoding: bytes, as: UTF8.self) }
            case "MODSEQ":
                try expect(LPAREN)
                skipSpaces()
                attributes.modSeq = try number()
                skipSpaces()
                try expect(RPAREN)
            case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
                try section(name, into: &attributes)
            default:
                if (name.hasPrefix("BODY[") || name.hasPrefix("BINARY[")) && name.hasSuffix("]") {
                    try section(name, into: &attributes)
                } else {
                    attributes.other[name] = try value()
                }
            }
        }
    }

    /// A body section's contents; NIL (a server that lists a message and then will not serve
    /// it, imapsync #79) is kept as `other[name] = .nil` so the session can say so.
    private mutating func section(_ name: String, into attributes: inout IMAPFetchAttributes) throws {
        if let data = try nstring() { attributes.sections[name] = data } else { attributes.other[name] = .nil }
    }
}
