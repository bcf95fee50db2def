import Foundation
import MailSource
import OAuth

/// `mailgate oauth login`: gets a first token for an `oauth = "NAME"` alias with its grant and
/// stores it; the device code and authorization code grants need a person, the others only
/// check the setup.
public struct OAuthSignIn {
    public let login: MailboxLogin

    public init(login: MailboxLogin) {
        self.login = login
    }

    /// Signs in and stores the token. `say` prints instructions (URL, code); `pasteFrom` is
    /// where a pasted redirect URL may arrive (standard input).
    /// - Returns: when the new access token expires.
    /// - Throws: `MailSourceError` (77 refused or declined, 75 unreachable), `ConfigError` (78).
    public func signIn(_ alias: AliasConfig, say: (String) -> Void, pasteFrom input: Int32? = nil,
                       redirectPort: Int = 0) throws -> Date {
        let source = try login.tokenSource(for: alias)
        let client = source.client
        do {
            let token: OAuthToken
            switch client.grant {
            case .deviceCode:
                let flow = DeviceCodeFlow(client: client, alias: alias.name)
                let device = try flow.start()
                say("To sign in \(source.user), open \(device.verificationURI) and enter the code \(device.userCode)")
                if let complete = device.verificationURIComplete { say("(or open \(complete))") }
                say("Waiting for the approval (the code is valid for \(Int(device.expiresIn / 60)) min)…")
                token = try flow.poll(device)
                try source.save(token)
            case .authorizationCode:
                let flow = AuthorizationCodeFlow(client: client, alias: alias.name)
                let listener = try LoopbackListener(port: redirectPort)
                let request = try flow.begin(redirectURI: listener.redirectURI(host: client.provider.loopbackHost),
                                             loginHint: source.user)
                say("To sign in \(source.user), open this address in a browser:")
                say(request.url)
                say("If the browser runs on another machine, paste the address it ends on (starting \(request.redirectURI)) here and press Enter.")
                let redirect = try listener.waitForRedirect(pasteFrom: input)
                token = try flow.complete(request, redirect: redirect)
                try source.save(token)
            case .clientCredentials, .serviceAccount:
                token = try source.renew()
            }
            return token.expiresAt
        } catch let error as OAuthError {
            throw MailboxLogin.translate(error, oauth: client.name, file: login.config.file)
        }
    }
}
