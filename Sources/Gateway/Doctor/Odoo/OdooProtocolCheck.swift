import OdooRPC

/// `odoo.protocol`: which API Mailgate speaks to the server. XML-RPC where Odoo offers JSON-2
/// (19+) is a warning: it is deprecated there and removed in Odoo 22 (odoo-push.md §2);
/// `protocol = "json2"` on an Odoo without JSON-2 (before 19) cannot work.
enum OdooProtocolCheck {
    static func check(subject: String, server: OdooServerConfig, findings: OdooFindings) -> DoctorCheck {
        let id = OdooCheckID.protocol
        let version = findings.version
        switch (findings.protocolInUse, version.offersJSON2) {
        case (.json2, true):
            return .ok(id, subject, "JSON-2 (\(version))")
        case (.json2, false):
            return .fail(id, subject, "protocol = \"json2\" but \(version) has no JSON-2 API (it came with Odoo 19)",
                         fix: "set protocol = \"auto\" (or \"xmlrpc\") in \(server.tableName), with database and user")
        case (.xmlrpc, true):
            return .warn(id, subject, "XML-RPC while \(version) offers JSON-2 (XML-RPC is deprecated in Odoo 19 and removed in Odoo 22)",
                         fix: "set protocol = \"auto\" (or \"json2\") in \(server.tableName); JSON-2 needs only the API key")
        case (.xmlrpc, false):
            return .ok(id, subject, "XML-RPC (\(version) has no JSON-2; it comes with Odoo 19)")
        }
    }
}
