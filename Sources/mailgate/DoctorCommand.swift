import ArgumentParser
import Foundation
import Gateway

/// `mailgate doctor`: Odoo's on-premise mail checklist (mailboxes, DNS, the Odoo database) in one go.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the whole inbound-mail setup: alias mailboxes, the domains' MX/SPF/DKIM/DMARC, and Odoo's aliases.",
        discussion: """
            Each check prints ✓ ok, ⚠ warn, ✗ fail or – skip, what it found, and the fix.
              mailbox.login    each alias with a url logs in, opens its folder (read-only)
              dns.mx           each domain has MX hosts that resolve; null MX fails
              dns.spf.single   exactly one v=spf1 TXT record
              dns.spf.include  it authorises every spf_include (include:/redirect=)
              dns.spf.lookups  at most 10 DNS-querying terms, 2 void lookups (RFC 7208)
              dns.dkim         each dkim_selectors has a non-empty p= key (CNAMEs too)
              dns.dmarc        one v=DMARC1 record (or the organizational domain's)
              odoo.aliases     Odoo's alias domain, catchall, bounce match the config
              odoo.fetchmail   no confirmed Odoo fetchmail server reads these mailboxes
              odoo.models      each alias's model exists, is readable, has its mail.alias
              odoo.protocol    the Odoo API used (XML-RPC where JSON-2 is offered warns)
            Checks that need Odoo's Settings rights warn when the API user lacks them.

            [doctor] in the config:
              nameserver = "127.0.0.1:5353"     DNS server (default: the system's)
              spf_include = ["_spf.odoo.com"]   senders SPF must authorise
              dkim_selectors = ["odoo"]         DKIM selectors that must be published

            Nothing is changed on the servers, and the local store is not created: run it \
            before the first fetch. Exit status: 0 when nothing failed, 1 when a check \
            failed (like a linter), 78 when the configuration is broken.
            """)

    enum Group: String, ExpressibleByArgument, CaseIterable {
        case mailbox, dns, odoo
    }

    @OptionGroup var configOption: ConfigOption

    @Option(name: .long, help: ArgumentHelp("Only these checks (repeatable): mailbox, dns or odoo.", valueName: "group"))
    var only: [Group] = []

    @Option(name: .long, help: ArgumentHelp("The DNS server to ask, IP[:port] (overrides [doctor] nameserver).",
                                            valueName: "address"))
    var nameserver: String?

    @Flag(name: .long, help: "Print {\"checks\": [{id, subject, verdict, found, fix}]} instead of the table.")
    var json = false

    func validate() throws {
        if let nameserver, DoctorConfig.nameserverAddress(nameserver) == nil {
            throw ValidationError("--nameserver \"\(nameserver)\" is not an IP address with an optional port (127.0.0.1:5353)")
        }
    }

    func run() throws {
        let groups = Set(only.map { Doctor.Group(rawValue: $0.rawValue)! })
        // Secrets are read by the checks, so a missing password is a failed mailbox.login (and a
        // missing API key failed odoo.* checks) beside everything else, not a config error.
        let config = try configOption.load(checkingSecrets: false)
        let report = Doctor(config: config, nameserver: nameserver).run(only: groups)
        print(json ? report.json : report.table(color: isatty(STDOUT_FILENO) == 1))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
