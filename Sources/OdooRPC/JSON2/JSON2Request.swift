/// The body of a JSON-2 call (Odoo 19 `addons/rpc/controllers/json2.py`): one JSON object of
/// named arguments only; `ids` is never sent (`message_process` is `@api.model`, and ids
/// would give 422 "cannot call … with ids").
public enum JSON2Request {
    /// `{"model": …, "message": "…", "custom_values": {…}, "save_original": …, "strip_attachments": …}`.
    /// `message` must be valid UTF-8 (the pushed mail after normalisation); Odoo does
    /// `.encode('utf-8')` on the string and gets these bytes back. Optional arguments are
    /// left out when nil.
    public static func messageProcess(model: String?, message: [UInt8], customValues: [(String, OdooValue)]?,
                                      saveOriginal: Bool?, stripAttachments: Bool?) -> [UInt8] {
        var members: [(String, OdooValue)] = [("model", model.map { .string($0) } ?? .bool(false))]
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 16 + 256)
        out.append(UInt8(ascii: "{"))
        JSONWriter.write(key: "model", members[0].1, into: &out)
        out.append(contentsOf: ",\"message\":".utf8)
        JSONWriter.writeString(message, into: &out)
        members = []
        if let customValues { members.append(("custom_values", .object(customValues))) }
        if let saveOriginal { members.append(("save_original", .bool(saveOriginal))) }
        if let stripAttachments { members.append(("strip_attachments", .bool(stripAttachments))) }
        for (key, value) in members {
            out.append(UInt8(ascii: ","))
            JSONWriter.write(key: key, value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"domain": [["message_id", "=", id]]}` for `POST /json/2/mail.message/search_count`.
    public static func searchCount(field: String, equals value: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        JSONWriter.write(key: "domain", .array([.array([.string(field), .string("="), .string(value)])]), into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Compact JSON writing over bytes.
enum JSONWriter {
    static func write(key: String, _ value: OdooValue, into out: inout [UInt8]) {
        writeString(Array(key.utf8), into: &out)
        out.append(UInt8(ascii: ":"))
        write(value, into: &out)
    }

    static func write(_ value: OdooValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? "\(d)" : "null").utf8)
        case .string(let s): writeString(Array(s.utf8), into: &out)
        case .bytes(let b): writeString(b, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (n, (key, member)) in members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                write(key: key, member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string of UTF-8 bytes (RFC 8259 §7): `"` and `\` escaped, control characters as
    /// `\n`, `\r`, `\t` or `\u00XX`; everything else passes as UTF-8.
    static func writeString(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 9: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
