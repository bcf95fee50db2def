import Foundation

/// What a JSON-2 call answered: the bare JSON result of a 200, or the error object
/// `{name, message, arguments, context, debug}` of a 4xx/5xx (Odoo 19 `odoo/http.py`
/// `Json2Dispatcher.handle_error`). Non-JSON error bodies (a proxy's HTML page) keep their
/// status and a short excerpt.
public enum JSON2Answer: Equatable, Sendable {
    /// 200 with an integer (the id of the last route's record).
    case integer(Int)
    /// 200 with `false` or `null`.
    case falsy
    /// 200 with anything else (text kept for the log).
    case other(String)
    /// An error answer.
    case error(status: Int, name: String?, message: String)

    /// Decodes a JSON-2 answer of HTTP status `status`.
    public static func decode(status: Int, body: [UInt8]) -> JSON2Answer {
        if status == 200 {
            let text = String(decoding: body, as: UTF8.self).trimmingSpace
            if text == "false" || text == "null" { return .falsy }
            if let int = Int(text) { return .integer(int) }
            if text.hasPrefix("["), text.hasSuffix("]") {
                // A recordset result would come back as a list of ids.
                let inner = text.dropFirst().dropLast().split(separator: ",")
                if inner.count == 1, let int = Int(String(inner[0]).trimmingSpace) { return .integer(int) }
                if inner.isEmpty { return .falsy }
            }
            return .other(String(text.prefix(200)))
        }
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            let name = object["name"] as? String
            let message = (object["message"] as? String) ?? ""
            return .error(status: status, name: name, message: message)
        }
        let excerpt = String(decoding: body.prefix(300), as: UTF8.self)
        return .error(status: status, name: nil, message: excerpt.trimmingSpace)
    }
}
