/// Reads an XML-RPC `methodResponse` (http://xmlrpc.com/spec.md): one `<params>` value, or a
/// `<fault>` struct with `faultCode` and `faultString`. Odoo sends faults in an HTTP 200
/// answer: 1 error (its text is the whole traceback), 2 UserError, 3 AccessDenied, 4
/// AccessError (`odoo/addons/base/controllers/rpc.py` 17/18, `addons/rpc/controllers/xmlrpc.py` 19).
///
/// Works on bytes: a small tokenizer for the subset XML-RPC uses (elements, text, the five
/// named entities and numeric character references; the XML declaration and comments skipped).
public enum XMLRPCResponse: Equatable, Sendable {
    case value(OdooValue)
    case fault(code: Int, text: String)

    /// Throws `OdooRPCError.malformed` when the body is not an XML-RPC response.
    public static func decode(_ body: [UInt8]) throws -> XMLRPCResponse {
        var parser = XMLRPCParser(bytes: body)
        try parser.expectOpen("methodResponse")
        let tag = try parser.nextOpenTag()
        switch tag {
        case "params":
            try parser.expectOpen("param")
            let value = try parser.value()
            return .value(value)
        case "fault":
            let value = try parser.value()
            let code = value["faultCode"]?.intValue ?? 0
            let text = value["faultString"]?.stringValue ?? ""
            return .fault(code: code, text: text)
        default:
            throw OdooRPCError.malformed("an XML-RPC answer with <\(tag)> where <params> or <fault> belongs")
        }
    }
}

struct XMLRPCParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    enum Token: Equatable {
        case open(String)
        case close(String)
        case empty(String)
        case text([UInt8])
    }

    /// The next token; text between tags is returned raw (entities decoded), whitespace kept.
    mutating func next() throws -> Token? {
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if match("<?") { try skip(past: "?>"); continue }
                if match("<!--") { try skip(past: "-->"); continue }
                if match("<!") { try skip(past: ">"); continue }
                var j = i + 1
                let closing = j < bytes.count && bytes[j] == UInt8(ascii: "/")
                if closing { j += 1 }
                let nameStart = j
                while j < bytes.count, !Self.isSpace(bytes[j]), bytes[j] != UInt8(ascii: ">"), bytes[j] != UInt8(ascii: "/") { j += 1 }
                let name = String(decoding: bytes[nameStart..<j], as: UTF8.self)
                while j < bytes.count, bytes[j] != UInt8(ascii: ">") { j += 1 }
                guard j < bytes.count else { throw OdooRPCError.malformed("an XML tag is not closed") }
                let selfClosing = bytes[j - 1] == UInt8(ascii: "/")
                i = j + 1
                if closing { return .close(name) }
                return selfClosing ? .empty(name) : .open(name)
            }
            var j = i
            while j < bytes.count, bytes[j] != UInt8(ascii: "<") { j += 1 }
            let text = try Self.unescape(bytes[i..<j])
            i = j
            return .text(text)
        }
        return nil
    }

    /// The next element tag, skipping whitespace text.
    mutating func nextOpenTag() throws -> String {
        while let token = try next() {
            switch token {
            case .open(let name), .empty(let name): return name
            case .text(let text) where text.allSatisfy(Self.isSpace): continue
            default: throw OdooRPCError.malformed("unexpected \(token) in an XML-RPC answer")
            }
        }
        throw OdooRPCError.malformed("the XML-RPC answer ends early")
    }

    mutating func expectOpen(_ name: String) throws {
        let tag = try nextOpenTag()
        guard tag == name else { throw OdooRPCError.malformed("expected <\(name)>, found <\(tag)> in an XML-RPC answer") }
    }

    /// Text up to the closing tag `name` (the opening tag already read).
    mutating func text(until name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        while let token = try next() {
            switch token {
            case .text(let text): out += text
            case .close(let closing) where closing == name: return out
            default: throw OdooRPCError.malformed("unexpected markup inside <\(name)>")
            }
        }
        throw OdooRPCError.malformed("<\(name)> is not closed")
    }

    /// Parses `<value>…</value>`, the opening tag not yet read.
    mutating func value() throws -> OdooValue {
        let tag = try nextOpenTag()
        guard tag == "value" else { throw OdooRPCError.malformed("expected <value>, found <\(tag)>") }
        return try valueBody()
    }

    /// The inside of a `<value>` whose opening tag was read, through `</value>`.
    mutating func valueBody() throws -> OdooValue {
        var leading: [UInt8] = []
        while let token = try next() {
            switch token {
            case .text(let text): leading += text
            case .close("value"): return .string(String(decoding: leading, as: UTF8.self))  // untyped = string
            case .empty(let type):
                let value: OdooValue
                switch type {
                case "nil": value = .null
                case "string": value = .string("")
                case "base64": value = .bytes([])
                default: throw OdooRPCError.malformed("an empty <\(type)> in an XML-RPC answer")
                }
                try closeValue()
                return value
            case .open(let type):
                let value = try typed(type)
                try closeValue()
                return value
            case .close(let other): throw OdooRPCError.malformed("unexpected </\(other)> inside <value>")
            }
        }
        throw OdooRPCError.malformed("<value> is not closed")
    }

    private mutating func closeValue() throws {
        while let token = try next() {
            switch token {
            case .text(let text) where text.allSatisfy(Self.isSpace): continue
            case .close("value"): return
            default: throw OdooRPCError.malformed("unexpected \(token) after a typed value")
            }
        }
        throw OdooRPCError.malformed("<value> is not closed")
    }

    private mutating func typed(_ type: String) throws -> OdooValue {
        switch type {
        case "int", "i4", "i8":
            let text = String(decoding: try self.text(until: type), as: UTF8.self).trimmingSpace
            guard let int = Int(text) else { throw OdooRPCError.malformed("<\(type)>\(text)</\(type)> is not an integer") }
            return .int(int)
        case "boolean":
            let text = String(decoding: try self.text(until: type), as: UTF8.self).trimmingSpace
            guard text == "0" || text == "1" else { throw OdooRPCError.malformed("<boolean>\(text)</boolean>") }
            return .bool(text == "1")
        case "double":
            let text = String(decoding: try self.text(until: type), as: UTF8.self).trimmingSpace
            guard let double = Double(text) else { throw OdooRPCError.malformed("<double>\(text)</double>") }
            return .double(double)
        case "string", "dateTime.iso8601":
            return .string(String(decoding: try self.text(until: type), as: UTF8.self))
        case "base64":
            guard let bytes = Base64.decode(try self.text(until: type)) else { throw OdooRPCError.malformed("bad <base64>") }
            return .bytes(bytes)
        case "nil":
            _ = try self.text(until: type)
            return .null
        case "array":
            try expectOpen("data")
            var items: [OdooValue] = []
            while let token = try next() {
                switch token {
                case .text(let text) where text.allSatisfy(Self.isSpace): continue
                case .open("value"): items.append(try valueBody())
                case .empty("data"): break
                case .close("data"):
                    while let after = try next() {
                        if case .close("array") = after { return .array(items) }
                        if case .text(let text) = after, text.allSatisfy(Self.isSpace) { continue }
                        throw OdooRPCError.malformed("unexpected \(after) after </data>")
                    }
                default: throw OdooRPCError.malformed("unexpected \(token) inside <array>")
                }
            }
            throw OdooRPCError.malformed("<array> is not closed")
        case "struct":
            var members: [(String, OdooValue)] = []
            while let token = try next() {
                switch token {
                case .text(let text) where text.allSatisfy(Self.isSpace): continue
                case .close("struct"): return .object(members)
                case .open("member"):
                    try expectOpen("name")
                    let name = String(decoding: try text(until: "name"), as: UTF8.self)
                    let value = try value()
                    while let end = try next() {
                        if case .close("member") = end { break }
                        if case .text(let text) = end, text.allSatisfy(Self.isSpace) { continue }
                        throw OdooRPCError.malformed("unexpected \(end) inside <member>")
                    }
                    members.append((name, value))
                default: throw OdooRPCError.malformed("unexpected \(token) inside <struct>")
                }
            }
            throw OdooRPCError.malformed("<struct> is not closed")
        default:
            throw OdooRPCError.malformed("unknown XML-RPC type <\(type)>")
        }
    }

    private func match(_ literal: String) -> Bool {
        let l = Array(literal.utf8)
        return i + l.count <= bytes.count && Array(bytes[i..<i + l.count]) == l
    }

    private mutating func skip(past literal: String) throws {
        let l = Array(literal.utf8)
        while i + l.count <= bytes.count {
            if Array(bytes[i..<i + l.count]) == l { i += l.count; return }
            i += 1
        }
        throw OdooRPCError.malformed("unterminated XML markup")
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

    /// Decodes `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#N;` `&#xH;`.
    static func unescape(_ text: ArraySlice<UInt8>) throws -> [UInt8] {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var k = text.startIndex
        while k < text.endIndex {
            let b = text[k]
            guard b == UInt8(ascii: "&") else { out.append(b); k += 1; continue }
            guard let semi = text[k...].firstIndex(of: UInt8(ascii: ";")) else {
                throw OdooRPCError.malformed("an unterminated XML entity")
            }
            let name = String(decoding: text[(k + 1)..<semi], as: UTF8.self)
            switch name {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                var scalar: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { scalar = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { scalar = UInt32(name.dropFirst(), radix: 10) }
                guard let value = scalar, let unicode = Unicode.Scalar(value) else {
                    throw OdooRPCError.malformed("unknown XML entity &\(name);")
                }
                out.append(contentsOf: String(Character(unicode)).utf8)
            }
            k = semi + 1
        }
        return out
    }
}

extension String {
    var trimmingSpace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
