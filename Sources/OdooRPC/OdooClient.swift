import Foundation

/// One Odoo server spoken to over one keep-alive connection: protocol detection
/// (`GET /web/version`), `authenticate` (XML-RPC), `mail.thread.message_process` and
/// `mail.message.search_count`; the reads `mailgate doctor` makes are in `OdooClient+Read.swift`.
/// Blocking; use each client from one thread.
///
/// `thread_id` is never sent: `message_process` answers the id of its last route without the
/// model, so posting by it could file mail into an unrelated record; Odoo finds replies by
/// References itself.
public final class OdooClient: @unchecked Sendable {
    public let server: OdooServer
    let http: HTTPClient
    /// The protocol in use; nil until detected (`auto`).
    public private(set) var protocolInUse: OdooProtocol?
    /// The version `/web/version` reported, e.g. "19.0".
    public private(set) var serverVersion: String?
    /// Told once when a JSON-2 build refuses the `model` argument and the client falls back to XML-RPC.
    public var notice: ((String) -> Void)?
    var uid: Int?
    /// The last request went out and its connection closed without an answer.
    private var lastDropped = false

    public init(server: OdooServer) throws {
        self.server = server
        http = try HTTPClient(options: .init(timeout: server.timeout, connectTimeout: min(10, server.timeout),
                                             caFile: server.caFile, verifyTLS: server.verifyTLS))
        switch server.protocolChoice {
        case .json2: protocolInUse = .json2
        case .xmlrpc: protocolInUse = .xmlrpc
        case .auto: protocolInUse = nil
        }
    }

    /// The protocol to use, asking `/web/version` when not known yet. A JSON answer with
    /// `version_info[0] >= 19` → JSON-2; a 404 or a non-JSON answer → XML-RPC. Throws
    /// `OdooRPCError.transport` when the server is unreachable (detect again next time).
    @discardableResult
    public func detectProtocol() throws -> OdooProtocol {
        if let protocolInUse { return protocolInUse }
        let response = try http.get(server.url + "/web/version", headers: ["Accept: application/json"])
        if response.status >= 500 || response.status == 429 {
            throw OdooRPCError.transport("\(HTTPURL.origin(server.url))/web/version answered HTTP \(response.status)", requestSent: false)
        }
        var detected = OdooProtocol.xmlrpc
        if response.status == 200, let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            serverVersion = object["version"] as? String
            if let info = object["version_info"] as? [Any], let major = (info.first as? NSNumber)?.intValue, major >= 19 {
                detected = .json2
            }
        }
        protocolInUse = detected
        return detected
    }

    /// Pushes one message. `message` must be valid UTF-8 (the normalised mail): it goes as a
    /// JSON string (JSON-2) or as `<base64>` (XML-RPC). `model` nil is sent as `false`.
    /// Keyword arguments that are nil are left out.
    ///
    /// When the connection closes without an answer, Odoo is asked (`search_count` of
    /// `messageID`) whether it filed the message before it is sent once more.
    public func messageProcess(model: String?, message: [UInt8], messageID: String, customValues: [(String, OdooValue)]?,
                               saveOriginal: Bool?, stripAttachments: Bool?) -> PushOutcome {
        let first = pushOnce(model: model, message: message, customValues: customValues, saveOriginal: saveOriginal,
                             stripAttachments: stripAttachments)
        guard lastDropped else { return first }
        switch searchCount(messageID: messageID) {
        case .success(let n) where n > 0: return .delivered(recordID: nil)
        case .success: return pushOnce(model: model, message: message, customValues: customValues, saveOriginal: saveOriginal,
                                       stripAttachments: stripAttachments)
        case .failure: return first
        }
    }

    private func pushOnce(model: String?, message: [UInt8], customValues: [(String, OdooValue)]?,
                          saveOriginal: Bool?, stripAttachments: Bool?) -> PushOutcome {
        lastDropped = false
        let proto: OdooProtocol
        do { proto = try detectProtocol() } catch let error as OdooRPCError {
            return PushOutcome.fromTransport(error)
        } catch { return .transient(String(describing: error), maybeFiled: false, answered: false) }
        switch proto {
        case .json2:
            let body = JSON2Request.messageProcess(model: model, message: message, customValues: customValues,
                                                   saveOriginal: saveOriginal, stripAttachments: stripAttachments)
            let outcome: PushOutcome
            do {
                let response = try http.post(server.url + "/json/2/mail.thread/message_process", body: body, headers: json2Headers)
                outcome = PushOutcome.fromJSON2(JSON2Answer.decode(status: response.status, body: response.body))
            } catch let error as OdooRPCError {
                if case .dropped = error { lastDropped = true }
                return PushOutcome.fromTransport(error)
            } catch {
                return .transient(String(describing: error), maybeFiled: true, answered: false)
            }
            if case .useXMLRPC(let text) = outcome {
                guard server.database != nil, server.user != nil else {
                    return .configuration("this Odoo build cannot take message_process over JSON-2 (\(text)); "
                                          + "XML-RPC needs database and user in [odoo.\(server.name)]")
                }
                protocolInUse = .xmlrpc
                notice?("odoo \(server.name): this Odoo build cannot take message_process's model over JSON-2 (\(text)); using XML-RPC")
                return pushOnce(model: model, message: message, customValues: customValues,
                                saveOriginal: saveOriginal, stripAttachments: stripAttachments)
            }
            return outcome
        case .xmlrpc:
            var kwargs: [(String, OdooValue)] = []
            if let customValues { kwargs.append(("custom_values", .object(customValues))) }
            if let saveOriginal { kwargs.append(("save_original", .bool(saveOriginal))) }
            if let stripAttachments { kwargs.append(("strip_attachments", .bool(stripAttachments))) }
            return xmlrpcCall(model: "mail.thread", method: "message_process",
                              args: [model.map { .string($0) } ?? .bool(false), .bytes(message)], kwargs: kwargs)
        }
    }

    /// `mail.message.search_count([["message_id", "=", id]])`: how many messages Odoo holds
    /// with this Message-Id (as the API user sees them). Throws `OdooRPCError`, or returns
    /// the push outcome that stands in for an answer that is not a count.
    public func searchCount(messageID: String) -> Result<Int, PushOutcome> {
        let proto: OdooProtocol
        do { proto = try detectProtocol() } catch let error as OdooRPCError { return .failure(.fromTransport(error)) } catch {
            return .failure(.transient(String(describing: error), maybeFiled: true, answered: false))
        }
        switch proto {
        case .json2:
            do {
                let response = try http.post(server.url + "/json/2/mail.message/search_count",
                                             body: JSON2Request.searchCount(field: "message_id", equals: messageID),
                                             headers: json2Headers)
                switch JSON2Answer.decode(status: response.status, body: response.body) {
                case .integer(let n): return .success(n)
                case let answer:
                    let outcome = PushOutcome.fromJSON2(answer)
                    if case .transient = outcome { return .failure(outcome) }
                    if case .configuration = outcome { return .failure(outcome) }
                    return .failure(.transient("search_count answered \(answer)", maybeFiled: true, answered: true))
                }
            } catch let error as OdooRPCError { return .failure(.fromTransport(error)) } catch {
                return .failure(.transient(String(describing: error), maybeFiled: true, answered: false))
            }
        case .xmlrpc:
            let domain: OdooValue = .array([.array([.string("message_id"), .string("="), .string(messageID)])])
            switch xmlrpcRaw(model: "mail.message", method: "search_count", args: [domain], kwargs: []) {
            case .success(.value(.int(let n))): return .success(n)
            case .success(let other):
                let outcome = PushOutcome.fromXMLRPC(other)
                if case .configuration = outcome { return .failure(outcome) }
                return .failure(.transient("search_count answered \(other)", maybeFiled: true, answered: true))
            case .failure(let outcome): return .failure(outcome)
            }
        }
    }

    var json2Headers: [String] {
        var headers = ["Authorization: bearer \(server.apiKey)", "Content-Type: application/json; charset=utf-8",
                       "Accept: application/json"]
        if let database = server.database { headers.append("X-Odoo-Database: \(database)") }
        return headers
    }

    private func xmlrpcCall(model: String, method: String, args: [OdooValue], kwargs: [(String, OdooValue)]) -> PushOutcome {
        switch xmlrpcRaw(model: model, method: method, args: args, kwargs: kwargs) {
        case .success(let response): return PushOutcome.fromXMLRPC(response)
        case .failure(let outcome): return outcome
        }
    }

    /// `execute_kw` after `authenticate` (the uid is kept for the client's life).
    private func xmlrpcRaw(model: String, method: String, args: [OdooValue],
                           kwargs: [(String, OdooValue)]) -> Result<XMLRPCResponse, PushOutcome> {
        guard let database = server.database else {
            return .failure(.configuration("XML-RPC needs the database name: set database in [odoo.\(server.name)]"))
        }
        guard let user = server.user else {
            return .failure(.configuration("XML-RPC needs the login: set user in [odoo.\(server.name)]"))
        }
        do {
            if uid == nil {
                let response = try http.post(server.url + "/xmlrpc/2/common",
                                             body: XMLRPCEncoder.authenticate(database: database, login: user, password: server.apiKey),
                                             headers: ["Content-Type: text/xml"])
                guard response.status == 200 else { return .failure(.fromXMLRPCStatus(response.status, body: response.body)) }
                switch try XMLRPCResponse.decode(response.body) {
                case .value(.int(let id)): uid = id
                case .value: return .failure(.configuration("Odoo refused the login \(user) with this API key (authenticate answered false)"))
                case let fault:
                    let outcome = PushOutcome.fromXMLRPC(fault)
                    if case .transient = outcome { return .failure(outcome) }
                    return .failure(.configuration("authenticate failed: \(fault)"))
                }
            }
            let body = XMLRPCEncoder.executeKw(database: database, uid: uid!, password: server.apiKey, model: model,
                                               method: method, args: args, kwargs: kwargs)
            let response = try http.post(server.url + "/xmlrpc/2/object", body: body, headers: ["Content-Type: text/xml"])
            guard response.status == 200 else { return .failure(.fromXMLRPCStatus(response.status, body: response.body)) }
            let decoded = try XMLRPCResponse.decode(response.body)
            if case .fault(3, _) = decoded { uid = nil }
            return .success(decoded)
        } catch let error as OdooRPCError {
            if case .dropped = error { lastDropped = true }
            return .failure(.fromTransport(error))
        } catch {
            return .failure(.transient(String(describing: error), maybeFiled: true, answered: false))
        }
    }
}
