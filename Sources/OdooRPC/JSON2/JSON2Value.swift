import Foundation

/// A JSON-2 result (the bare JSON value of a 200, e.g. `search_read`'s list of dicts) as an
/// `OdooValue`. JSON's `true`/`false` stay booleans and integers stay integers: Odoo answers
/// `false` for an empty many2one or char field and `[id, "name"]` for a set one.
enum JSON2Value {
    /// Throws `OdooRPCError.malformed` when `body` is not JSON.
    static func decode(_ body: [UInt8]) throws(OdooRPCError) -> OdooValue {
        do {
            return try JSONDecoder().decode(Decoded.self, from: Data(body)).value
        } catch {
            throw OdooRPCError.malformed("a JSON-2 answer that is not JSON: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Decoded: Decodable {
        let value: OdooValue

        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var items: [OdooValue] = []
                while !array.isAtEnd { items.append(try array.decode(Decoded.self).value) }
                value = .array(items)
                return
            }
            if let object = try? decoder.container(keyedBy: Key.self) {
                value = .object(try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                    ($0.stringValue, try object.decode(Decoded.self, forKey: $0).value)
                })
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { value = .null }
            else if let b = try? single.decode(Bool.self) { value = .bool(b) }
            else if let i = try? single.decode(Int.self) { value = .int(i) }
            else if let d = try? single.decode(Double.self) { value = .double(d) }
            else { value = .string(try single.decode(String.self)) }
        }
    }
}
