import Foundation
import TestSupport
import XCTest
@testable import OAuth

/// The grants against `Scripts/oauth-test-server`, in process; the device flow's waits are
/// recorded instead of slept.
final class GrantTests: XCTestCase {
    private func client(_ server: OAuthTestServer, grant: OAuthClient.Grant, id: String = "grant-tests",
                        secret: String? = nil, key: [UInt8]? = nil) -> OAuthClient {
        OAuthClient(name: "test", provider: .generic, grant: grant, clientID: id, clientSecret: secret, scopes: ["mail"],
                    tokenURL: server.tokenURL, deviceAuthorizationURL: server.deviceAuthorizationURL,
                    authorizationURL: server.authorizationURL, serviceAccountKey: key)
    }

    func testDeviceFlowHandlesPendingSlowDownAndApproval() throws {
        let (_, server) = try OAuthTestServer.require()
        let flow = DeviceCodeFlow(client: client(server, grant: .deviceCode), alias: "sales")
        let device = try flow.start()
        XCTAssertFalse(device.userCode.isEmpty)
        try server.call("slow-down", ["user_code": device.userCode])
        var waits: [Double] = []
        let token = try flow.poll(device, wait: { seconds in
            waits.append(seconds)
            // The person approves while the client waits after its second answer.
            if waits.count == 2 { _ = try? server.call("approve", ["user_code": device.userCode, "user": "u@acme.test"]) }
        })
        XCTAssertNotNil(token.refreshToken)
        // slow_down (first poll) adds 5 s for good; authorization_pending (second) keeps it.
        XCTAssertEqual(waits, [device.interval + 5, device.interval + 5])
    }

    func testDeviceFlowDeclinedOrExpiredNeedsSignIn() throws {
        let (_, server) = try OAuthTestServer.require()
        let flow = DeviceCodeFlow(client: client(server, grant: .deviceCode), alias: "sales")
        for (switchName, words) in [("deny", "declined"), ("expire-device", "expired")] {
            let device = try flow.start()
            try server.call(switchName, ["user_code": device.userCode])
            XCTAssertThrowsError(try flow.poll(device, wait: { _ in XCTFail("no wait expected") })) { error in
                guard case OAuthError.signInNeeded(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains(words), message)
                XCTAssertTrue(message.contains("mailgate oauth login --alias sales"), message)
                XCTAssertEqual((error as? OAuthError)?.exitCode, 77)
            }
        }
    }

    func testAuthorizationCodeRejectsAWrongState() throws {
        let (_, server) = try OAuthTestServer.require()
        let flow = AuthorizationCodeFlow(client: client(server, grant: .authorizationCode), alias: "sales")
        let request = try flow.begin(redirectURI: "http://127.0.0.1:9/", loginHint: "u@acme.test")
        let redirect = try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{redirect_url}", request.url])
        XCTAssertTrue(redirect.hasPrefix("http://127.0.0.1:9/?code="), redirect)
        let forged = redirect.replacingOccurrences(of: "state=", with: "state=x")
        XCTAssertThrowsError(try flow.complete(request, redirect: forged))
        XCTAssertNotNil(try flow.complete(request, redirect: redirect).refreshToken)
    }

    func testClientCredentialsNeedsNoPerson() throws {
        let (_, server) = try OAuthTestServer.require()
        let storage = MemoryStorage()
        let source = AccessTokenSource(client: client(server, grant: .clientCredentials, secret: "s3cret"),
                                       alias: "sales", user: "u@acme.test", storage: storage, owner: "me")
        let first = try source.accessToken()
        XCTAssertEqual(try source.accessToken().token, first.token)  // still current: no second request
        XCTAssertNotEqual(try source.accessToken(replacing: first.token).token, first.token)
        XCTAssertNil(storage.stored?.refreshToken)
    }

    /// RFC 7523: the server checks the RS256 signature with the key's public half.
    func testServiceAccountJWTBearerIsSignedWithTheKey() throws {
        let (_, server) = try OAuthTestServer.require()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pem = dir.file("key.pem")
        try runTool("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pem])
        let modulus = try runTool("/usr/bin/openssl", ["rsa", "-in", pem, "-noout", "-modulus"])
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "Modulus=", with: "")
        try server.call("jwt-key", ["n": modulus, "e": "65537"])
        let keyJSON = try JSONSerialization.data(withJSONObject: [
            "type": "service_account", "client_email": "mailgate@project.iam.gserviceaccount.com",
            "private_key": try String(contentsOfFile: pem, encoding: .utf8), "token_uri": server.tokenURL,
        ])
        let storage = MemoryStorage()
        let source = AccessTokenSource(client: client(server, grant: .serviceAccount, key: Array(keyJSON)),
                                       alias: "jobs", user: "jobs@acme.test", storage: storage, owner: "me")
        let token = try source.accessToken()
        XCTAssertFalse(token.token.isEmpty)

        // A key the server does not know signs an assertion it refuses.
        let other = dir.file("other.pem")
        try runTool("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other])
        let otherJSON = try JSONSerialization.data(withJSONObject: [
            "client_email": "mailgate@project.iam.gserviceaccount.com",
            "private_key": try String(contentsOfFile: other, encoding: .utf8),
        ])
        let refused = AccessTokenSource(client: client(server, grant: .serviceAccount, key: Array(otherJSON)),
                                        alias: "jobs", user: "jobs@acme.test", storage: MemoryStorage(), owner: "me")
        XCTAssertThrowsError(try refused.accessToken()) { error in
            XCTAssertEqual((error as? OAuthError)?.exitCode, 77, "\(error)")
            XCTAssertFalse("\(error)".contains("PRIVATE KEY"))
        }
    }

    func testInvalidGrantForgetsTheRefreshToken() throws {
        let (_, server) = try OAuthTestServer.require()
        let storage = MemoryStorage()
        storage.stored = StoredToken(accessToken: "old", refreshToken: "rt-unknown", expiresAt: Date(), obtainedAt: nil)
        let source = AccessTokenSource(client: client(server, grant: .deviceCode), alias: "sales", user: "u@acme.test",
                                       storage: storage, owner: "me")
        XCTAssertThrowsError(try source.accessToken()) { error in
            XCTAssertTrue("\(error)".contains("run `mailgate oauth login --alias sales` again"), "\(error)")
        }
        XCTAssertNil(storage.stored?.refreshToken)
        XCTAssertNil(storage.owner)
    }

    func testShortLivedTokensAreNotRefreshedAtEveryUse() {
        let now = Date()
        let source = AccessTokenSource(client: OAuthClient(name: "t", provider: .generic, grant: .deviceCode, clientID: "c",
                                                           scopes: ["x"], tokenURL: "http://127.0.0.1:9/"),
                                       alias: "a", user: "u", storage: MemoryStorage(), refreshBefore: 300, owner: "me")
        source.now = { now }
        let fresh = StoredToken(accessToken: "a", refreshToken: "r", expiresAt: now.addingTimeInterval(5), obtainedAt: now)
        XCTAssertFalse(source.isDue(fresh, failed: nil))  // 5 s tokens: renewed in their last 2.5 s, not always
        XCTAssertTrue(source.isDue(fresh, failed: "a"))
        let late = StoredToken(accessToken: "a", refreshToken: "r", expiresAt: now.addingTimeInterval(2), obtainedAt: now.addingTimeInterval(-3))
        XCTAssertTrue(source.isDue(late, failed: nil))
    }
}

/// A `TokenStorage` in memory, for one process.
final class MemoryStorage: TokenStorage, @unchecked Sendable {
    var stored: StoredToken?
    var owner: String?

    func takeRefreshTurn(owner: String, lease: TimeInterval, needsRefresh: (StoredToken?) -> Bool) throws -> RefreshTurn {
        if let stored, !needsRefresh(stored) { return .current(stored) }
        if let holder = self.owner, holder != owner { return .busy(owner: holder, until: Date()) }
        self.owner = owner
        return .yours(stored)
    }

    func finishRefresh(owner: String, token: StoredToken?) throws {
        stored = token
        if self.owner == owner { self.owner = nil }
    }

    func abandonRefresh(owner: String) throws {
        if self.owner == owner { self.owner = nil }
    }
}

@discardableResult
func runTool(_ path: String, _ args: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestSupportError("\(path) \(args.joined(separator: " ")) failed") }
    return String(decoding: data, as: UTF8.self)
}
