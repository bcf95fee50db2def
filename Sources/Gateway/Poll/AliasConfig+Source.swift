import MailSource

extension AliasConfig {
    /// True when the alias has a mailbox to poll (a `url`); false for routing-only aliases.
    public var hasMailbox: Bool { mailbox != nil }

    /// The mailbox as a URL without credentials, e.g. `imaps://imap.acme.test:993/INBOX`.
    public var mailboxDescription: String {
        guard let m = mailbox else { return "(routing only)" }
        return m.isIMAP ? "\(m.scheme.rawValue)://\(m.host):\(m.port)/\(m.folder)" : "\(m.scheme.rawValue)://\(m.host):\(m.port)/"
    }
}

extension AliasConfig.Mailbox {
    /// How MailSource reaches this mailbox.
    var endpoint: Endpoint {
        Endpoint(scheme: scheme, host: host, port: port, folder: folder, user: user, auth: auth,
                 tls: tls, caFile: caFile, verifyTLS: tlsVerify, proxy: proxy)
    }
}
