/// Why a read call (`search_read`, `search_count`, `version`) did not answer, sorted the way a
/// reader acts on it. Built from Odoo's own fault shapes:
///
/// | Odoo raises | XML-RPC (`/xmlrpc/2`, `xmlrpc_handle_exception_int`) | JSON-2 (19, `Json2Dispatcher.handle_error`) | case |
/// |---|---|---|---|
/// | `AccessError` (model ACL, e.g. `fetchmail.server` for Settings only) | Fault 4, `str(e)` | 403 `odoo.exceptions.AccessError` | `accessError` |
/// | `AccessDenied` (login, key) | Fault 3; `authenticate` answers `False` | 401 `werkzeug.exceptions.Unauthorized`, 403 `odoo.exceptions.AccessDenied` | `loginRefused` |
/// | unknown model | Fault 2 `UserError("Object %s doesn't exist")` (`odoo/service/model.py` `execute_cr`) | 404 "the model 'x' does not exist" (`addons/rpc/controllers/json2.py`) | `missingModel` |
/// | no answer, a proxy's 5xx/429 | — | — | `unreachable` |
/// | anything else (a traceback, `ValueError` "Invalid field", an unreadable body) | Fault 1/2 | 4xx/500 | `other` |
public enum OdooCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The API user may not do this; Odoo's text (which names the groups that may).
    case accessError(String)
    /// The login or API key was refused.
    case loginRefused(String)
    /// The model is not in this database (its app is not installed).
    case missingModel(String)
    /// Odoo could not be reached, or its proxy answered for it.
    case unreachable(String)
    /// Any other refusal; Odoo's text (a traceback's last line).
    case other(String)

    public var description: String {
        switch self {
        case .accessError(let text), .loginRefused(let text), .missingModel(let text), .unreachable(let text),
             .other(let text):
            return text
        }
    }

    /// The error of a JSON-2 answer of `status` whose error object names `name` (nil: not JSON).
    static func fromJSON2(status: Int, name: String?, message: String) -> OdooCallError {
        let shown = PushOutcome.firstLines(message)
        switch status {
        case 401: return .loginRefused("Odoo refused the API key (HTTP 401 \(shown))")
        case 403 where name == "odoo.exceptions.AccessError": return .accessError(message)
        case 403: return .loginRefused("Odoo refused access (HTTP 403 \(shown))")
        case 404 where message.hasPrefix("the model "): return .missingModel(message)
        case 404: return .other("Odoo has no such endpoint or database (HTTP 404 \(shown)); check url and database")
        case 429, 502, 503, 504: return .unreachable("Odoo's server answered HTTP \(status) \(shown)")
        default: return .other("HTTP \(status) " + (name.map { "\($0): " } ?? "") + shown)
        }
    }

    /// The error of an XML-RPC fault to a call on `model`. `execute_cr`'s "Object %s doesn't
    /// exist" is translated into the user's language, so a Fault 2 naming the model counts too.
    static func fromXMLRPC(code: Int, text: String, model: String? = nil) -> OdooCallError {
        switch code {
        case 3: return .loginRefused("Odoo refused the login or API key (Fault 3: \(PushOutcome.lastLine(text)))")
        case 4: return .accessError(text)
        case 2 where text.hasPrefix("Object ") && text.hasSuffix("doesn't exist"): return .missingModel(text)
        case 2 where model.map { !text.contains("\n") && text.contains($0) } == true: return .missingModel(text)
        default: return .other("Fault \(code): \(PushOutcome.lastLine(text))")
        }
    }

    /// The error of an HTTP status other than 200 on an XML-RPC endpoint.
    static func fromXMLRPCStatus(_ status: Int, body: [UInt8]) -> OdooCallError {
        let shown = "HTTP \(status) \(PushOutcome.firstLines(String(decoding: body.prefix(300), as: UTF8.self)))"
        switch status {
        case 401, 403: return .loginRefused("Odoo refused access (\(shown))")
        case 404: return .other("Odoo has no XML-RPC endpoint here (\(shown)); check url (XML-RPC is removed in Odoo 22)")
        case 429, 500...: return .unreachable(shown)
        default: return .other(shown)
        }
    }

    /// The error of a request that got no answer.
    static func fromTransport(_ error: OdooRPCError) -> OdooCallError {
        switch error {
        case .transport(let text, _), .dropped(let text): return .unreachable(text)
        case .malformed, .configuration: return .other(error.description)
        }
    }
}
