import ArgumentParser
import Foundation
import Gateway
#if canImport(Glibc)
import Glibc
#endif

/// `mailgate oauth login|logout --alias NAME`: the OAuth2 sign-in of an alias's mailbox.
struct OAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth",
        abstract: "Sign an alias's mailbox in with OAuth2 (Microsoft 365, Google Workspace), or forget its token.",
        subcommands: [OAuthLoginCommand.self, OAuthLogoutCommand.self])
}

struct OAuthLoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in once; the token is kept in the store and refreshed for ever.",
        discussion: """
            device_code: prints a URL and a code to enter there, then waits for the approval. \
            authorization_code: prints a URL to open, and takes the browser's redirect on a loopback \
            port (or the final address pasted here). client_credentials and service_account need no \
            person: login fetches a token to check the setup.
            """)

    @Option(name: .long, help: ArgumentHelp("The alias (its oauth = \"NAME\" says which registration).", valueName: "name"))
    var alias: String

    @OptionGroup var configOption: ConfigOption

    func run() throws {
        let config = try configOption.load()
        let selected = try selectAliases(config, names: [alias], requireURL: true)[0]
        let login = MailboxLogin(config: config)
        login.onWait = { printError("mailgate: \($0)") }
        let expires = try exitingOnFailure {
            try OAuthSignIn(login: login).signIn(selected, say: { print($0); fflush(stdout) }, pasteFrom: STDIN_FILENO)
        }
        print("Signed in: the token for alias \(selected.name) is valid until \(iso8601(expires)) and will be refreshed as needed.")
    }
}

struct OAuthLogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Forget the alias's stored token (the next poll needs `mailgate oauth login` again).")

    @Option(name: .long, help: ArgumentHelp("The alias.", valueName: "name"))
    var alias: String

    @OptionGroup var configOption: ConfigOption

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        let selected = try selectAliases(config, names: [alias], requireURL: true)[0]
        let forgot = try exitingOnFailure { try MailboxLogin(config: config).forget(selected) }
        print(forgot ? "Forgot the token of alias \(selected.name)." : "Alias \(selected.name) had no stored token.")
    }
}
