import Foundation

/// Reads, for `mailgate doctor`: the server's version, and any model's `search_read` /
/// `search_count` on either protocol, failing with Odoo's fault sorted into `OdooCallError`.
///
/// - JSON-2 (Odoo 19 `addons/rpc/controllers/json2.py`): `POST /json/2/<model>/search_read`
///   with the named arguments `{"domain": …, "fields": […]}`.
/// - XML-RPC (`odoo/service/model.py` `execute_kw`): the domain goes positionally, since the
///   parameter is called `args` in `search_count` up to Odoo 15; `fields` by name.
extension OdooClient {
    /// The server's version: `GET /web/version` (19, 18), else XML-RPC `common.version()`
    /// (`server_version`, every version from 8 on; no login needed).
    public func version() throws(OdooCallError) -> OdooVersion {
        if let text = serverVersion, let version = OdooVersion(text) { return version }
        do {
            let response = try http.get(server.url + "/web/version", headers: ["Accept: application/json"])
            if response.status == 200, let answer = try? JSON2Value.decode(response.body),
               let text = answer["version"]?.stringValue, let version = OdooVersion(text) {
                return version
            }
            if response.status >= 500 || response.status == 429 {
                throw OdooCallError.unreachable("\(HTTPURL.origin(server.url))/web/version answered HTTP \(response.status)")
            }
            let common = try http.post(server.url + "/xmlrpc/2/common", body: XMLRPCEncoder.methodCall("version", []),
                                       headers: ["Content-Type: text/xml"])
            guard common.status == 200 else { throw OdooCallError.fromXMLRPCStatus(common.status, body: common.body) }
            switch try XMLRPCResponse.decode(common.body) {
            case .value(let info):
                guard let text = info["server_version"]?.stringValue, let version = OdooVersion(text) else {
                    throw OdooCallError.other("Odoo's version() answered no server_version: \(info)")
                }
                return version
            case let .fault(code, text): throw OdooCallError.fromXMLRPC(code: code, text: text)
            }
        } catch let error as OdooCallError {
            throw error
        } catch let error as OdooRPCError {
            throw OdooCallError.fromTransport(error)
        } catch {
            throw OdooCallError.other(String(describing: error))
        }
    }

    /// `model.search_read(domain, fields)`: the records, each an `.object` of `fields` (and `id`).
    public func searchRead(model: String, domain: OdooValue, fields: [String]) throws(OdooCallError) -> [OdooValue] {
        let answer = try call(model: model, method: "search_read", domain: domain,
                              named: [("fields", .array(fields.map { .string($0) }))])
        guard case .array(let records) = answer else {
            throw OdooCallError.other("\(model).search_read answered \(answer), not a list")
        }
        return records
    }

    /// `model.search_count(domain)`. Goes through the model's access check like any search,
    /// so it answers `accessError` when the API user may not read the model.
    public func searchCount(model: String, domain: OdooValue) throws(OdooCallError) -> Int {
        let answer = try call(model: model, method: "search_count", domain: domain, named: [])
        guard let count = answer.intValue else { throw OdooCallError.other("\(model).search_count answered \(answer)") }
        return count
    }

    /// One call of an ORM method taking a domain first, on the protocol in use.
    func call(model: String, method: String, domain: OdooValue, named: [(String, OdooValue)]) throws(OdooCallError) -> OdooValue {
        let proto: OdooProtocol
        do { proto = try detectProtocol() } catch { throw OdooCallError.fromTransport(error as? OdooRPCError ?? .malformed("\(error)")) }
        switch proto {
        case .json2:
            var body: [UInt8] = []
            JSONWriter.write(.object([("domain", domain)] + named), into: &body)
            let response: HTTPClient.Response
            do {
                response = try http.post(server.url + "/json/2/\(model)/\(method)", body: body, headers: json2Headers)
            } catch {
                throw OdooCallError.fromTransport(error as? OdooRPCError ?? .malformed("\(error)"))
            }
            guard response.status == 200 else {
                guard case let .error(status, name, message) = JSON2Answer.decode(status: response.status, body: response.body) else {
                    throw OdooCallError.other("HTTP \(response.status)")
                }
                throw OdooCallError.fromJSON2(status: status, name: name, message: message)
            }
            do { return try JSON2Value.decode(response.body) } catch { throw OdooCallError.other(error.description) }
        case .xmlrpc:
            let uid = try xmlrpcLogin()
            let body = XMLRPCEncoder.executeKw(database: server.database ?? "", uid: uid, password: server.apiKey, model: model,
                                               method: method, args: [domain], kwargs: named)
            do {
                let response = try http.post(server.url + "/xmlrpc/2/object", body: body, headers: ["Content-Type: text/xml"])
                guard response.status == 200 else { throw OdooCallError.fromXMLRPCStatus(response.status, body: response.body) }
                switch try XMLRPCResponse.decode(response.body) {
                case .value(let value): return value
                case let .fault(code, text):
                    if code == 3 { self.uid = nil }
                    throw OdooCallError.fromXMLRPC(code: code, text: text, model: model)
                }
            } catch let error as OdooCallError {
                throw error
            } catch {
                throw OdooCallError.fromTransport(error as? OdooRPCError ?? .malformed("\(error)"))
            }
        }
    }

    /// `common.authenticate(db, login, key, {})`, once per client.
    private func xmlrpcLogin() throws(OdooCallError) -> Int {
        if let uid { return uid }
        guard let database = server.database else {
            throw OdooCallError.other("XML-RPC needs the database name: set database in [odoo.\(server.name)]")
        }
        guard let user = server.user else {
            throw OdooCallError.other("XML-RPC needs the login: set user in [odoo.\(server.name)]")
        }
        do {
            let response = try http.post(server.url + "/xmlrpc/2/common",
                                         body: XMLRPCEncoder.authenticate(database: database, login: user, password: server.apiKey),
                                         headers: ["Content-Type: text/xml"])
            guard response.status == 200 else { throw OdooCallError.fromXMLRPCStatus(response.status, body: response.body) }
            switch try XMLRPCResponse.decode(response.body) {
            case .value(.int(let id)):
                uid = id
                return id
            case .value:
                throw OdooCallError.loginRefused("Odoo refused the login \(user) with this API key on database \(database) "
                                                 + "(authenticate answered false)")
            case let .fault(code, text):
                throw OdooCallError.fromXMLRPC(code: code, text: text)
            }
        } catch let error as OdooCallError {
            throw error
        } catch {
            throw OdooCallError.fromTransport(error as? OdooRPCError ?? .malformed("\(error)"))
        }
    }
}
