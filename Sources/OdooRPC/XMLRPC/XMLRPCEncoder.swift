/// Writes XML-RPC `methodCall` documents (http://xmlrpc.com/spec.md) as Odoo's
/// `xmlrpc.client` server reads them: `<int>`, `<boolean>`, `<double>`, `<string>`,
/// `<base64>` (bytes, the message itself), `<array>`, `<struct>`. `.null` is written as
/// `<nil/>`, which Odoo's marshaller refuses: callers omit nil keyword arguments instead.
public enum XMLRPCEncoder {
    /// The whole request body for `methodName(params…)`, UTF-8.
    public static func methodCall(_ methodName: String, _ params: [OdooValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: "<?xml version=\"1.0\"?>\n<methodCall><methodName>".utf8)
        escape(Array(methodName.utf8), into: &out)
        out.append(contentsOf: "</methodName><params>".utf8)
        for param in params {
            out.append(contentsOf: "<param>".utf8)
            write(param, into: &out)
            out.append(contentsOf: "</param>".utf8)
        }
        out.append(contentsOf: "</params></methodCall>\n".utf8)
        return out
    }

    /// `execute_kw(db, uid, key, model, method, args, kwargs)` on `/xmlrpc/2/object`
    /// (Odoo `odoo/service/model.py` `execute_kw`).
    public static func executeKw(database: String, uid: Int, password: String, model: String, method: String,
                                 args: [OdooValue], kwargs: [(String, OdooValue)]) -> [UInt8] {
        methodCall("execute_kw", [.string(database), .int(uid), .string(password), .string(model), .string(method),
                                  .array(args), .object(kwargs)])
    }

    /// `authenticate(db, login, key, {})` on `/xmlrpc/2/common`.
    public static func authenticate(database: String, login: String, password: String) -> [UInt8] {
        methodCall("authenticate", [.string(database), .string(login), .string(password), .object([])])
    }

    static func write(_ value: OdooValue, into out: inout [UInt8]) {
        out.append(contentsOf: "<value>".utf8)
        switch value {
        case .null:
            out.append(contentsOf: "<nil/>".utf8)
        case .bool(let b):
            out.append(contentsOf: (b ? "<boolean>1</boolean>" : "<boolean>0</boolean>").utf8)
        case .int(let i):
            out.append(contentsOf: "<int>\(i)</int>".utf8)
        case .double(let d):
            out.append(contentsOf: "<double>\(d)</double>".utf8)
        case .string(let s):
            out.append(contentsOf: "<string>".utf8)
            escape(Array(s.utf8), into: &out)
            out.append(contentsOf: "</string>".utf8)
        case .bytes(let bytes):
            out.append(contentsOf: "<base64>\n".utf8)
            Base64.encode(bytes, lineLength: 76, into: &out)
            out.append(contentsOf: "</base64>".utf8)
        case .array(let items):
            out.append(contentsOf: "<array><data>".utf8)
            for item in items { write(item, into: &out) }
            out.append(contentsOf: "</data></array>".utf8)
        case .object(let members):
            out.append(contentsOf: "<struct>".utf8)
            for (name, member) in members {
                out.append(contentsOf: "<member><name>".utf8)
                escape(Array(name.utf8), into: &out)
                out.append(contentsOf: "</name>".utf8)
                write(member, into: &out)
                out.append(contentsOf: "</member>".utf8)
            }
            out.append(contentsOf: "</struct>".utf8)
        }
        out.append(contentsOf: "</value>".utf8)
    }

    /// `&`, `<`, `>` as entities; control characters XML 1.0 cannot carry are dropped
    /// (Python's `xmlrpc.client` `escape` does the first part).
    static func escape(_ bytes: [UInt8], into out: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case 0x09, 0x0A, 0x0D: out.append(byte)
            case 0..<0x20: continue
            default: out.append(byte)
            }
        }
    }
}

/// RFC 4648 base64, as XML-RPC `<base64>` carries it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Writes `bytes` in base64 with a newline every `lineLength` characters (0: one line).
    static func encode(_ bytes: [UInt8], lineLength: Int, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count * 4 / 3 + bytes.count / 57 + 8)
        var column = 0
        var i = 0
        func put(_ c: UInt8) {
            out.append(c)
            column += 1
            if lineLength > 0 && column == lineLength { out.append(10); column = 0 }
        }
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            put(alphabet[Int(n >> 18 & 63)]); put(alphabet[Int(n >> 12 & 63)])
            put(alphabet[Int(n >> 6 & 63)]); put(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            put(alphabet[Int(n >> 18 & 63)]); put(alphabet[Int(n >> 12 & 63)]); put(61); put(61)
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            put(alphabet[Int(n >> 18 & 63)]); put(alphabet[Int(n >> 12 & 63)]); put(alphabet[Int(n >> 6 & 63)]); put(61)
        }
        if column != 0 { out.append(10) }
    }

    /// Decodes base64, skipping whitespace; nil on any other non-alphabet byte.
    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - 48 + 52)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="), 9, 10, 13, 32: continue
            default: return nil
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(acc >> UInt32(bits) & 0xFF))
            }
        }
        return out
    }
}
