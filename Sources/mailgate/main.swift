import ArgumentParser

/// `mailgate`: the command line. Each subcommand lives in its own file.
struct Mailgate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailgate",
        abstract: "Fetch, parse and route an Odoo company's alias mailboxes (IMAP/POP3) into SQLite or Odoo.",
        discussion: """
            The config file is found at --config, else $MAILGATE_CONFIG, else ./mailgate.toml, \
            else /etc/mailgate/mailgate.toml. Most subcommands print JSON with --json; \
            `mailgate help SUBCOMMAND` lists a subcommand's options.
            Exit codes follow sysexits.h: 0 ok, 64 usage, 66 input missing, 67 refused or unrouted \
            (deliver: the MTA bounces it), 68 host not found, \
            75 temporary failure (retry later), 77 login refused, 78 configuration error.
            """,
        subcommands: [FetchCommand.self, CheckCommand.self, StatusCommand.self, ParseCommand.self, RouteCommand.self,
                      DeliverCommand.self, ThreadsCommand.self, ShowCommand.self, ReplayCommand.self, RunCommand.self,
                      OAuthCommand.self, PushCommand.self, DoctorCommand.self]
    )
}

Mailgate.main()
