import Foundation
@testable import Gateway
import OAuth
import XCTest

/// `[oauth.NAME]` tables and `oauth = "NAME"` aliases: presets, and 78s that name the key.
final class OAuthConfigTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "oauth-config-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func load(_ text: String, mode: mode_t = 0o600, environment: [String: String] = [:]) throws -> Config {
        let path = directory + "/mailgate.toml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return try Config.load(path: path, environment: environment)
    }

    /// Loads `text` and returns the ConfigError (exit 78) it must throw.
    func loadError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            try load(text)
            XCTFail("expected a ConfigError", file: file, line: line)
        } catch let error as ConfigError {
            XCTAssertEqual(error.exitCode, 78, file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return nil
    }

    let minimal = """
        [alias.sales]
        url = "imaps://imap.acme.test/INBOX"
        user = "sales@acme.test"
        password = "pw"

        """

    let aliasUsing = """
        [alias.sales]
        url = "imaps://outlook.office365.com/INBOX"
        user = "sales@acme.test"
        oauth = "m365"

        """

    func testMicrosoftPresetsFromTheTenant() throws {
        let config = try load("""
            [oauth.m365]
            provider = "microsoft"
            tenant = "acme.onmicrosoft.com"
            client_id = "0000-1111"

            """ + aliasUsing)
        let oauth = try XCTUnwrap(config.oauth(named: "m365"))
        XCTAssertEqual(oauth.grant, .deviceCode)
        XCTAssertEqual(oauth.tokenURL, "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/token")
        XCTAssertEqual(oauth.deviceAuthorizationURL, "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/devicecode")
        XCTAssertTrue(oauth.scopes.contains("https://outlook.office365.com/IMAP.AccessAsUser.All"))
        XCTAssertEqual(oauth.refreshBefore, 300)
        let mailbox = try XCTUnwrap(config.alias(named: "sales")?.mailbox)
        XCTAssertEqual(mailbox.secret, .oauth("m365"))
        XCTAssertEqual(mailbox.auth, .oauth2)  // auto: OAUTHBEARER when offered, else XOAUTH2
    }

    func testGoogleDefaultsToAuthorizationCodeAndRefusesTheDeviceFlow() throws {
        let config = try load("""
            [oauth.google]
            provider = "google"
            client_id = "x.apps.googleusercontent.com"
            client_secret_env = "G_SECRET"

            """, environment: ["G_SECRET": "s"])
        XCTAssertEqual(config.oauth(named: "google")?.grant, .authorizationCode)
        XCTAssertEqual(config.oauth(named: "google")?.scopes, ["https://mail.google.com/"])
        let error = loadError("""
            [oauth.google]
            provider = "google"
            client_id = "x"
            grant = "device_code"

            """)
        XCTAssertEqual(error?.section, "oauth.google")
        XCTAssertEqual(error?.key, "grant")
    }

    func testAppOnlyNeedsARealTenantAndASecret() {
        let tenant = loadError("""
            [oauth.app]
            provider = "microsoft"
            client_id = "c"
            client_secret = "s"
            grant = "client_credentials"

            """)
        XCTAssertEqual(tenant?.key, "tenant")
        XCTAssertTrue(tenant?.message.contains("organizations") ?? false, tenant?.message ?? "")
        let secret = loadError("""
            [oauth.app]
            provider = "microsoft"
            tenant = "acme.test"
            client_id = "c"
            grant = "client_credentials"

            """)
        XCTAssertEqual(secret?.key, "client_secret")
    }

    func testEndpointsAreHTTPSExceptLoopback() throws {
        let error = loadError("""
            [oauth.corp]
            provider = "generic"
            client_id = "c"
            token_url = "http://sso.acme.test/token"
            device_authorization_url = "https://sso.acme.test/device"
            scopes = ["mail"]

            """)
        XCTAssertEqual(error?.key, "token_url")
        XCTAssertNoThrow(try load("""
            [oauth.corp]
            provider = "generic"
            client_id = "c"
            token_url = "http://127.0.0.1:8080/token"
            device_authorization_url = "http://127.0.0.1:8080/device"
            scopes = ["mail"]

            """))
        XCTAssertEqual(loadError("""
            [oauth.corp]
            provider = "generic"
            client_id = "c"
            token_url = "https://sso.acme.test/token"
            device_authorization_url = "https://sso.acme.test/device"

            """)?.key, "scopes")
    }

    func testAliasErrorsNameTheKey() {
        let registration = """
            [oauth.m365]
            provider = "microsoft"
            client_id = "c"

            """
        XCTAssertEqual(loadError(aliasUsing)?.key, "oauth")  // no [oauth.m365]
        XCTAssertEqual(loadError(registration + aliasUsing + "password = \"p\"\n")?.key, "password")
        XCTAssertEqual(loadError(registration + aliasUsing + "auth = \"plain\"\n")?.key, "auth")
        XCTAssertEqual(try load(registration + aliasUsing + "auth = \"xoauth2\"\n").alias(named: "sales")?.mailbox?.auth, .xoauth2)
        XCTAssertEqual(try load(registration + aliasUsing + "auth = \"oauthbearer\"\n").alias(named: "sales")?.mailbox?.auth,
                       .oauthbearer)
        XCTAssertEqual(loadError(minimal + "auth = \"oauthbearer\"\n")?.key, "auth")
        XCTAssertEqual(loadError(registration.replacingOccurrences(of: "client_id", with: "clientid") + aliasUsing)?.key,
                       "clientid")
    }

    func testClientSecretIsReadLikeAPasswordAndNeverPrinted() throws {
        let config = try load("""
            [oauth.app]
            provider = "microsoft"
            tenant = "acme.test"
            client_id = "c"
            client_secret_env = "APP_SECRET"
            grant = "client_credentials"

            """, environment: ["APP_SECRET": "hunter2"])
        let oauth = try XCTUnwrap(config.oauth(named: "app"))
        XCTAssertFalse("\(oauth)".contains("hunter2"))
        XCTAssertEqual(try oauth.client(environment: ["APP_SECRET": "hunter2"]).clientSecret, "hunter2")
        XCTAssertThrowsError(try oauth.client(environment: [:])) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "client_secret_env")
            XCTAssertEqual((error as? ConfigError)?.section, "oauth.app")
        }
        XCTAssertEqual(loadError("""
            [oauth.app]
            provider = "microsoft"
            tenant = "acme.test"
            client_id = "c"
            client_secret_env = "MISSING"
            grant = "client_credentials"

            """)?.key, "client_secret_env")
    }

    func testALiteralClientSecretInAReadableFileIsWarnedAbout() throws {
        let text = """
            [oauth.app]
            provider = "microsoft"
            tenant = "acme.test"
            client_id = "c"
            client_secret = "hunter2"
            grant = "client_credentials"

            """
        let warnings = try load(text, mode: 0o644).warnings
        XCTAssertTrue(warnings.contains { $0.contains("client_secret") && $0.contains("chmod 600") }, "\(warnings)")
        XCTAssertFalse(warnings.joined().contains("hunter2"))
        XCTAssertTrue(try load(text, mode: 0o600).warnings.isEmpty)
    }
}
