import Foundation
import TestSupport
import XCTest

/// A mailbox on the OAuth2 test Dovecot reached with tokens of the OAuth2 test server: one
/// `[oauth.test]` registration and IMAP (`alias`) and POP3 (`alias`-pop) aliases of the same
/// user, which therefore share one token.
struct OAuthFixture {
    let dovecot: Dovecot
    let server: OAuthTestServer
    let user: String
    let alias: String
    let directory: TemporaryDirectory
    var configPath: String { directory.path + "/mailgate.toml" }

    init(alias: String = "sales", grant: String = "device_code", oauthExtra: String = "", aliasExtra: String = "") throws {
        (dovecot, server) = try OAuthTestServer.require()
        user = dovecot.makeUser(prefix: alias) + "@acme.test"
        self.alias = alias
        directory = try TemporaryDirectory()
        let toml = """
            [store]
            path = "mailgate.sqlite"

            [oauth.test]
            provider = "generic"
            client_id = "mailgate-tests"
            grant = "\(grant)"
            token_url = "\(server.tokenURL)"
            device_authorization_url = "\(server.deviceAuthorizationURL)"
            authorization_url = "\(server.authorizationURL)"
            scopes = ["mail", "offline_access"]
            \(oauthExtra)

            [alias.\(alias)]
            url = "imaps://127.0.0.1:\(dovecot.imapsPort)/INBOX"
            tls_ca_file = "\(dovecot.certificatePath)"
            user = "\(user)"
            oauth = "test"
            \(aliasExtra)

            [alias.\(alias)-pop]
            url = "pop3s://127.0.0.1:\(dovecot.pop3sPort)/"
            tls_ca_file = "\(dovecot.certificatePath)"
            user = "\(user)"
            oauth = "test"

            """
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    func mailgate(_ args: String...) throws -> MailgateRun {
        try runMailgate(args: args + ["--config", configPath])
    }

    func background(_ args: String...) throws -> BackgroundMailgate {
        try BackgroundMailgate(args: args + ["--config", configPath])
    }

    /// `mailgate oauth login` by device code, approved by the "person" once the code is printed.
    @discardableResult
    func signInByDeviceCode() throws -> MailgateRun {
        let login = try background("oauth", "login", "--alias", alias)
        let line = try login.waitForLine { $0.contains("enter the code") }
        let code = String(line.split(separator: " ").last!)
        try server.call("approve", ["user_code": code, "user": user])
        let run = login.finish()
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        return run
    }

    func deliver(_ count: Int, from index: Int = 1) throws {
        try dovecot.deliver(user: user, messages: (index..<(index + count)).map { sampleMessage(index: $0, crlf: false) })
    }

    /// `mailgate fetch --json --alias NAME`: exit code, fetched count and the whole run.
    func fetch(_ name: String? = nil) throws -> (run: MailgateRun, fetched: Int) {
        let run = try mailgate("fetch", "--json", "--alias", name ?? alias)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return (run, object["fetched"] as? Int ?? -1)
    }

    /// The grant counts of the test server for this test's user cannot be told apart from
    /// other tests' (the server counts per grant type): callers compare before and after.
    func refreshCount() throws -> Int { try server.grants()["refresh_token"] ?? 0 }

    /// Fails when any token the server ever issued appears in `texts`.
    func assertNoTokenIn(_ texts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let tokens = try server.issuedTokens()
        XCTAssertFalse(tokens.isEmpty, file: file, line: line)
        for text in texts {
            for token in tokens where text.contains(token) {
                XCTFail("a token appears in the output: \(text)", file: file, line: line)
            }
        }
    }
}
