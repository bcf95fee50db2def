/// A value as Odoo's RPC layers carry it: the common ground of XML-RPC (`<int>`, `<boolean>`,
/// `<string>`, `<double>`, `<base64>`, `<array>`, `<struct>`, `<nil/>`) and JSON.
///
/// `custom_values` keep their TOML types this way (`team_id = 3` is `.int(3)`), and decoded
/// answers come back as one. Struct members keep their order.
public indirect enum OdooValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// XML-RPC `<base64>` (`xmlrpc.client.Binary` in Odoo); JSON has no bytes type.
    case bytes([UInt8])
    case array([OdooValue])
    case object([(String, OdooValue)])

    public static func == (l: OdooValue, r: OdooValue) -> Bool {
        switch (l, r) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `key` of a struct/object.
    public subscript(key: String) -> OdooValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public var intValue: Int? { if case .int(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let v) = self { return v } else { return nil } }
}
