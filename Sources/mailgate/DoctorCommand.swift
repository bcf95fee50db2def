import ArgumentParser
import Foundation
import Gateway

/// `mailgate doctor`: Odoo's on-premise mail checklist (mailboxes, DNS, the Odoo database) in one go.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the whole inbound-mail setup: alias mailboxes, the domains' MX/SPF/DKIM/DMARC, and Odoo's aliases.",
        discussion: """
            Checks (each prints ✓ ok, ⚠ warn, ✗ fail or – skip, what it found and the fix):
              mailbox.login    every alias with a url logs in and opens its folder (read-only)
              dns.mx           each alias domain has MX records; a null MX (RFC 7505) fails
              dns.spf.single   exactly one v=spf1 TXT record
              dns.spf.include  it authorises every [doctor] spf_include (through include:/redirect=)
              dns.spf.lookups  at most 10 DNS-querying terms and 2 void lookups (RFC 7208 4.6.4)
              dns.dkim         each [doctor] dkim_selectors has a non-empty p= key (CNAMEs followed)
              dns.dmarc        exactly one v=DMARC1 record at _dmarc (or the organizational domain's)
              odoo.aliases     Odoo's alias domain, catchall and bounce aliases match the config
              odoo.fetchmail   no confirmed Odoo fetchmail server reads one of Mailgate's mailboxes
              odoo.models      every alias's model exists, is readable, and has its mail.alias in Odoo
              odoo.protocol    which Odoo API is used (a warning for XML-RPC where JSON-2 is offered)

            [doctor] in the config:
              nameserver = "127.0.0.1:5353"          DNS server to ask (default: the system's)
              spf_include = ["_spf.odoo.com"]        senders SPF must authorise
              dkim_selectors = ["odoo"]              selectors that must be published

            Nothing is changed anywhere. Exit status: 0 when nothing failed, 1 when a check \
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
        let config = try configOption.load(checkingSecrets: groups.isEmpty || groups.contains(.mailbox))
        let report = Doctor(config: config, nameserver: nameserver).run(only: groups)
        print(json ? report.json : report.table(color: isatty(STDOUT_FILENO) == 1))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
