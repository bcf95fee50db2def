import Foundation

/// What the person is shown (RFC 8628 3.2).
public struct DeviceAuthorization: Sendable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    /// The URI with the code filled in, when the server gives one.
    public var verificationURIComplete: String?
    /// Seconds the codes stay valid.
    public var expiresIn: Double
    /// Seconds to wait between polls (default 5, RFC 8628 3.2).
    public var interval: Double
}

/// RFC 8628 device authorization grant: ask for a code, show it, poll the token endpoint.
public struct DeviceCodeFlow {
    public let client: OAuthClient
    /// The alias the sign-in is for (in messages).
    public let alias: String

    public init(client: OAuthClient, alias: String) {
        self.client = client
        self.alias = alias
    }

    /// Asks the device authorization endpoint for a device code and a user code (3.1).
    public func start() throws(OAuthError) -> DeviceAuthorization {
        guard let url = client.deviceAuthorizationURL else {
            throw .configuration("[oauth.\(client.name)] has no device_authorization_url")
        }
        let response = try client.http.postForm(url, [("client_id", client.clientID), ("scope", client.scope)])
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == 200, let object else {
            if let object, let code = object["error"] as? String {
                let text = TokenEndpoint.firstLine(object["error_description"] as? String).map { "\(code): \($0)" } ?? code
                throw .refused("the device authorization endpoint refused the request (\(text))")
            }
            throw .temporary("the device authorization endpoint answered HTTP \(response.status)")
        }
        guard let device = object["device_code"] as? String, let user = object["user_code"] as? String,
              let uri = (object["verification_uri"] ?? object["verification_url"]) as? String else {
            throw .temporary("the device authorization answer lacks device_code, user_code or verification_uri")
        }
        func number(_ key: String) -> Double? {
            (object[key] as? NSNumber)?.doubleValue ?? (object[key] as? String).flatMap(Double.init)
        }
        return DeviceAuthorization(deviceCode: device, userCode: user, verificationURI: uri,
                                   verificationURIComplete: object["verification_uri_complete"] as? String,
                                   expiresIn: number("expires_in") ?? 900, interval: number("interval") ?? 5)
    }

    /// Polls the token endpoint until the person approves (3.4, 3.5): `authorization_pending`
    /// waits `interval` seconds, `slow_down` adds 5 s to it for good, `expired_token` and
    /// `access_denied` end the sign-in (77), as does the codes' lifetime running out.
    /// - Parameter wait: waits the given seconds between polls (tests pass one that records).
    public func poll(_ authorization: DeviceAuthorization, now: () -> Date = Date.init,
                     wait: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws(OAuthError) -> OAuthToken {
        let endpoint = TokenEndpoint(client: client)
        let deadline = now().addingTimeInterval(authorization.expiresIn)
        var interval = authorization.interval
        while true {
            let answer = try endpoint.request([("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                                               ("device_code", authorization.deviceCode)])
            switch answer {
            case .success(let token):
                return token
            case .failure(let error) where error.error == "authorization_pending":
                break
            case .failure(let error) where error.error == "slow_down":
                interval += 5
            case .failure(let error) where error.error == "expired_token":
                throw .signInNeeded("the code \(authorization.userCode) expired before it was approved; run `mailgate oauth login --alias \(alias)` again")
            case .failure(let error) where error.error == "access_denied":
                throw .signInNeeded("the sign-in was declined (\(error.text)); run `mailgate oauth login --alias \(alias)` again to retry")
            case .failure(let error):
                throw error.asError(alias: alias)
            }
            if now() >= deadline {
                throw .signInNeeded("the code \(authorization.userCode) expired before it was approved; run `mailgate oauth login --alias \(alias)` again")
            }
            wait(interval)
        }
    }
}
