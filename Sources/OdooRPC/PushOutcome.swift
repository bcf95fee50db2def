/// What one `message_process` push came to, for the outbox (`../shared/reference/odoo-push.md`
/// §3, "Return values", and §7):
///
/// | answer | outcome |
/// |---|---|
/// | an integer | `delivered` |
/// | `false` / `null`; XML-RPC Fault "cannot marshal None" (a loop) | `notFiled` — never retried |
/// | "No possible route" (XML-RPC Fault 1, JSON-2 500 `builtins.ValueError`) | `parked(noRoute: true)` |
/// | JSON-2 422 `UserError`/`ValidationError`, XML-RPC Fault 2 | `parked` |
/// | 413 | `parked`, naming `client_max_body_size` and `web.max_file_upload_size` |
/// | 401, 403, Fault 3/4, 404, 415, 422 `UnprocessableEntity`, "unknown target model" | `configuration` — the server pauses |
/// | JSON-2 422 naming the `model` argument (early 19 builds) | `useXMLRPC` |
/// | connection errors, timeouts, 409, 429, 502/503/504, other 500, other Fault 1 | `transient` |
public enum PushOutcome: Error, Equatable, Sendable {
    /// Odoo filed it; the id of the last route's record (for display only, never sent back).
    case delivered(recordID: Int?)
    /// Accepted and not filed (duplicate, bounce, catchall, refused, loop).
    case notFiled(String)
    /// This message will not go in as it is; kept with Odoo's text.
    case parked(String, noRoute: Bool)
    /// The server (credentials, database, URL, model) is misconfigured: pause delivery to it.
    case configuration(String)
    /// Try again later. `maybeFiled`: the request may have reached Odoo (timeout, dropped
    /// connection, 502/504), so ask `search_count` before sending it again. `answered`: Odoo
    /// (or its proxy) answered, so the same text three times parks the message.
    case transient(String, maybeFiled: Bool, answered: Bool)
    /// A JSON-2 build that cannot take `model` (path parameter named `model`): use XML-RPC.
    case useXMLRPC(String)

    static let tooLarge = "the request is too large for the server (413): raise the proxy's client_max_body_size "
        + "(nginx default 1m) or Odoo's web.max_file_upload_size system parameter (default 128 MiB)"

    /// The outcome of a JSON-2 `message_process` answer.
    public static func fromJSON2(_ answer: JSON2Answer) -> PushOutcome {
        switch answer {
        case .integer(let id): return .delivered(recordID: id)
        case .falsy: return .notFiled("Odoo accepted the message and did not file it (duplicate, bounce, catchall, refused or loop)")
        case .other(let text): return .transient("unexpected answer from Odoo: \(text)", maybeFiled: true, answered: true)
        case let .error(status, name, message):
            let text = name.map { "\($0): \(message)" } ?? message
            let shown = "HTTP \(status) \(Self.firstLines(text))"
            switch status {
            case 401: return .configuration("Odoo refused the API key (\(shown))")
            case 403: return .configuration("Odoo refused access (\(shown))")
            case 404: return .configuration("Odoo has no such endpoint or database (\(shown)); check url and database")
            case 415: return .configuration("Odoo refused the content type (\(shown))")
            case 413: return .parked(tooLarge, noRoute: false)
            case 422:
                if name == "werkzeug.exceptions.UnprocessableEntity" || name == nil {
                    if mentionsModelArgument(message) { return .useXMLRPC(shown) }
                    return .configuration("Odoo refused the call's arguments (\(shown))")
                }
                return .parked("Odoo refused the message: \(shown)", noRoute: false)
            case 500:
                if message.contains("No possible route") { return .parked(Self.firstLines(text), noRoute: true) }
                if message.contains("unknown target model") { return .configuration(shown) }
                return .transient(shown, maybeFiled: false, answered: true)
            case 502, 504: return .transient(shown, maybeFiled: true, answered: true)
            default:
                if status >= 400 && status < 500 && ![408, 409, 425, 429].contains(status) {
                    return .parked("Odoo refused the request: \(shown)", noRoute: false)
                }
                return .transient(shown, maybeFiled: false, answered: true)
            }
        }
    }

    /// The outcome of an XML-RPC answer (HTTP 200) to `message_process`.
    public static func fromXMLRPC(_ response: XMLRPCResponse) -> PushOutcome {
        switch response {
        case .value(.int(let id)): return .delivered(recordID: id)
        case .value(.bool(false)), .value(.null):
            return .notFiled("Odoo accepted the message and did not file it (duplicate, bounce, catchall, refused or loop)")
        case .value(.array(let ids)) where ids.isEmpty: return .notFiled("Odoo returned no record")
        case .value(.array(let ids)): return .delivered(recordID: ids.last?.intValue)
        case .value(let other): return .transient("unexpected answer from Odoo: \(other)", maybeFiled: true, answered: true)
        case let .fault(code, text):
            let shown = "Fault \(code): \(Self.lastLine(text))"
            switch code {
            case 2: return .parked("Odoo refused the message: \(shown)", noRoute: false)
            case 3: return .configuration("Odoo refused the login or API key (\(shown))")
            case 4: return .configuration("Odoo refused access (\(shown))")
            default:
                if text.contains("cannot marshal None") {
                    return .notFiled("Odoo detected a mail loop and did not file the message")
                }
                if text.contains("No possible route") { return .parked(Self.lastLine(text), noRoute: true) }
                if text.contains("unknown target model") { return .configuration(shown) }
                if text.contains("does not exist") && text.contains("database") { return .configuration(shown) }
                if text.contains("RequestEntityTooLarge") || text.contains("413") { return .parked(tooLarge, noRoute: false) }
                return .transient(shown, maybeFiled: false, answered: true)
            }
        }
    }

    /// The outcome of an HTTP status other than 200 on an XML-RPC endpoint (a proxy's answer).
    public static func fromXMLRPCStatus(_ status: Int, body: [UInt8]) -> PushOutcome {
        let shown = "HTTP \(status) \(firstLines(String(decoding: body.prefix(300), as: UTF8.self)))"
        switch status {
        case 401, 403: return .configuration("Odoo refused access (\(shown))")
        case 404: return .configuration("Odoo has no XML-RPC endpoint here (\(shown)); check url (XML-RPC is removed in Odoo 22)")
        case 413: return .parked(tooLarge, noRoute: false)
        case 502, 504: return .transient(shown, maybeFiled: true, answered: true)
        default: return .transient(shown, maybeFiled: false, answered: true)
        }
    }

    /// The outcome of a request that got no answer.
    public static func fromTransport(_ error: OdooRPCError) -> PushOutcome {
        switch error {
        case .transport(let text, let sent): return .transient(text, maybeFiled: sent, answered: false)
        case .dropped(let text): return .transient(text, maybeFiled: true, answered: false)
        case .malformed(let text): return .transient("unreadable answer: \(text)", maybeFiled: true, answered: true)
        case .configuration(let text): return .configuration(text)
        }
    }

    /// Early 19 builds route `/json/2/<model>/<method>`: the body's `model` is overwritten.
    static func mentionsModelArgument(_ message: String) -> Bool {
        message.contains("'model'") || message.contains("\"model\"")
    }

    /// A traceback's last non-empty line (the exception), at most 500 characters.
    static func lastLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmingSpace }.filter { !$0.isEmpty }
        return String((lines.last ?? text).prefix(500))
    }

    static func firstLines(_ text: String) -> String {
        String(text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).prefix(3).joined(separator: " ").prefix(500))
    }
}
