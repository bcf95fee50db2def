import OdooRPC

/// `odoo.fetchmail`: no confirmed Odoo incoming mail server reads a mailbox Mailgate reads.
/// Odoo's cron polls every `fetchmail.server` with `state = 'done'` and `server_type` imap or
/// pop (addons/mail/models/fetchmail.py `MAIL_SERVER_DOMAIN`, 19.0; the fetchmail module
/// before 17), and marks each message read or deletes it whatever became of it: two readers
/// of one mailbox each take mail from the other. Same mailbox: same host (compared
/// case-insensitively), port and user.
enum OdooFetchmailCheck {
    static func check(subject: String, mailboxes: [AliasConfig], findings: OdooFindings) -> DoctorCheck {
        let id = OdooCheckID.fetchmail
        let servers: [FetchmailServer]
        switch findings.fetchmailServers {
        case .success(let found): servers = found
        case .failure(.missingModel):
            return .ok(id, subject, "Odoo has no fetchmail.server model (the fetchmail module is not installed): it fetches no mail itself")
        case .failure(let error):
            if case .accessError = error {
                return .warn(id, subject, error.cannotCheck("fetchmail.server"),
                             fix: "look in Settings → Technical → Incoming Mail Servers for a confirmed server on "
                                 + describe(mailboxes) + ", or run doctor once as a user with Settings rights (a copy of the config with that user's login and API key in the [odoo] table)")
            }
            return .fail(id, subject, error.cannotCheck("fetchmail.server"),
                         fix: "see Odoo's log for this error; meanwhile check Settings → Technical → Incoming Mail Servers by hand")
        }
        var clashes: [String] = [], fixes: [String] = []
        for server in servers {
            let readers = mailboxes.filter { alias in
                guard let box = alias.mailbox else { return false }
                return box.host.lowercased() == server.server.lowercased() && box.port == server.port && box.user == server.user
            }
            guard !readers.isEmpty else { continue }
            clashes.append("Odoo's confirmed incoming mail server \"\(server.name)\" (fetchmail.server \(server.id), \(server.serverType)) "
                           + "reads \(server.server):\(server.port.map(String.init) ?? "?") as \(server.user), the mailbox of alias "
                           + readers.map(\.name).joined(separator: ", ") + ": both would take its mail")
            fixes.append("archive \"\(server.name)\" or reset it to draft (Reset Confirmation) in Settings → Technical → Incoming Mail Servers")
        }
        if !clashes.isEmpty {
            return .fail(id, subject, clashes.joined(separator: "; "), fix: fixes.joined(separator: "; "))
        }
        let boxes = "Mailgate's \(mailboxes.count) mailbox(es)"
        if servers.isEmpty {
            return .ok(id, subject, "Odoo has no confirmed IMAP/POP incoming mail server: it reads none of \(boxes)")
        }
        return .ok(id, subject, "Odoo's confirmed incoming mail servers (" + servers.map { "\"\($0.name)\" \($0.server)" }.joined(separator: ", ")
                   + ") read none of " + boxes)
    }

    private static func describe(_ mailboxes: [AliasConfig]) -> String {
        let boxes = mailboxes.compactMap { alias in alias.mailbox.map { "\($0.host):\($0.port) \($0.user)" } }
        return boxes.isEmpty ? "Mailgate's mailboxes" : boxes.joined(separator: ", ")
    }
}
