import XCTest
@testable import OAuth

final class OAuthUnitTests: XCTestCase {
    /// RFC 7636 Appendix B.
    func testPKCEChallengeMatchesRFC7636AppendixB() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        XCTAssertEqual(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        XCTAssertEqual(pkce.method, "S256")
    }

    func testGeneratedVerifierIsLongEnoughAndURLSafe() throws {
        let pkce = try PKCE()
        XCTAssertEqual(pkce.verifier.count, 43)
        XCTAssertTrue(pkce.verifier.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    func testEndpointsMustBeHTTPSExceptLoopback() {
        XCTAssertNil(EndpointURL.problem(with: "https://login.microsoftonline.com/x/oauth2/v2.0/token"))
        XCTAssertNil(EndpointURL.problem(with: "http://127.0.0.1:8080/token"))
        XCTAssertNil(EndpointURL.problem(with: "http://[::1]:8080/token"))
        XCTAssertNil(EndpointURL.problem(with: "http://localhost/token"))
        XCTAssertNotNil(EndpointURL.problem(with: "http://auth.example.com/token"))
        XCTAssertNotNil(EndpointURL.problem(with: "ftp://127.0.0.1/token"))
    }

    func testFormEncodingRoundTrips() {
        let encoded = FormEncoding.encode([("scope", "https://mail.google.com/ offline_access"), ("a", "x&y=z")])
        XCTAssertEqual(encoded, "scope=https%3A%2F%2Fmail.google.com%2F%20offline_access&a=x%26y%3Dz")
        let query = FormEncoding.queryParameters(of: "http://127.0.0.1:5/?code=abc%2Fd&state=s+t#frag")
        XCTAssertEqual(query["code"], "abc/d")
        XCTAssertEqual(query["state"], "s t")
    }

    func testMicrosoftPresetUsesTheTenant() {
        let endpoints = OAuthProvider.microsoft.endpoints(tenant: "acme.onmicrosoft.com")
        XCTAssertEqual(endpoints?.token, "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/token")
        XCTAssertEqual(OAuthProvider.microsoft.scopes(for: .clientCredentials), ["https://outlook.office365.com/.default"])
        XCTAssertTrue(OAuthProvider.microsoft.scopes(for: .deviceCode)!.contains("offline_access"))
    }

    func testTokenNeverPrinted() {
        let token = OAuthToken(accessToken: "at-secret", refreshToken: "rt-secret", expiresAt: Date())
        XCTAssertFalse("\(token)".contains("secret"))
        XCTAssertFalse(String(reflecting: token).contains("secret"))
        XCTAssertFalse("\(StoredToken(accessToken: "at-secret", refreshToken: "rt-secret", expiresAt: nil, obtainedAt: nil))".contains("secret"))
    }
}
