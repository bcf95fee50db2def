import Foundation
import MailStore

extension Poller {
    /// One status line per configured alias, in config order, from what the store recorded.
    public func statusLines(now: Date = Date()) throws -> [StatusLine] {
        let stored = try store.aliasStatus()
        let byAlias = Dictionary(stored.map { ($0.alias, $0) }, uniquingKeysWith: { a, _ in a })
        // A row a running service has not refreshed for three heartbeats is a killed service's.
        let fresh = try store.serviceStates().filter { now.timeIntervalSince($0.updated) < 3 * ServiceScheduler.heartbeat }
        let service = Dictionary(fresh.map { ($0.alias, $0) }, uniquingKeysWith: { a, _ in a })
        let routes = try store.routeCounts()
        return config.aliases.map { alias in
            var line = StatusLine(alias: alias.name, mailbox: alias.hasMailbox ? alias.mailboxDescription : nil,
                                  stored: byAlias[alias.name], service: service[alias.name])
            line.routes = routes[alias.name] ?? [:]
            if let mailbox = line.stored?.mailboxID {
                line.troubled = (try? store.rows(mailbox: mailbox, states: [.failed, .quarantined])) ?? []
            }
            return line
        }
    }
}
