import Foundation
import MIME
import MailStore

/// One Odoo server's line of `mailgate status`: its protocol, delivery state and outbox.
public struct OdooServerStatus: Sendable {
    public var name: String
    public var protocolName: String?
    /// ok | paused | unreachable
    public var state: String
    public var counts: OutboxCounts
    public var lastFault: String?

    /// `{"odoo": {"name", "protocol", "state", "queued", "in_flight", "parked", "oldest_queued_s", "last_fault", …}}`.
    public var jsonLine: String {
        JSONValue.object([("odoo", .object([
            ("name", .string(name)),
            ("protocol", .string(protocolName)),
            ("state", .string(state)),
            ("queued", .int(counts.queued)),
            ("in_flight", .int(counts.inFlight)),
            ("parked", .int(counts.parked)),
            ("oldest_queued_s", counts.oldestQueuedSeconds.map { .int(Int($0)) } ?? .null),
            ("last_fault", .string(lastFault)),
            ("delivered", .int(counts.delivered)),
            ("not_filed", .int(counts.notFiled)),
        ]))]).serialized()
    }

    public var humanText: String {
        var line = "odoo \(name): \(state)" + (protocolName.map { ", \($0 == "json2" ? "JSON-2" : "XML-RPC")" } ?? "")
        if protocolName == "xmlrpc" { line += " (deprecated in Odoo 19, removed in Odoo 22)" }
        line += "\n  outbox: queued \(counts.queued), in flight \(counts.inFlight), delivered \(counts.delivered), "
            + "not filed \(counts.notFiled), parked \(counts.parked)"
        if counts.parked > 0 { line += " (mailgate replay --quarantined queues parked messages again)" }
        if let oldest = counts.oldestQueuedSeconds { line += "\n  oldest queued \(Int(oldest))s ago" }
        if let fault = lastFault { line += "\n  last fault: \(fault)" }
        if state == "paused" { line += "\n  delivery is paused: fix the config, then `mailgate push` or restart `mailgate run`" }
        return line
    }
}

extension OdooDeliverer {
    /// Every configured server's status, in config order, from the store.
    public func statusLines(now: Date = Date()) throws -> [OdooServerStatus] {
        let counts = try store.outboxCounts(now: now)
        let states = try store.odooServerStates()
        return config.odooServers.map { server in
            let state = states[server.name]
            return OdooServerStatus(name: server.name, protocolName: state?.protocolName, state: state?.state ?? "ok",
                                    counts: counts[server.name] ?? OutboxCounts(), lastFault: state?.lastFault)
        }
    }

    /// `replay --quarantined`: parked messages of Odoo aliases are queued again (not re-routed).
    @discardableResult
    public func requeueParked() throws -> Int {
        try store.requeueParked(aliases: config.aliases.filter { $0.odoo != nil }.map(\.name))
    }

    /// The outbox row of a delivered raw message (`deliver`'s exit code).
    public func outboxRow(server: String, raw: [UInt8]) throws -> OutboxRow? {
        try store.outboxRow(server: server, rawSHA256: SHA256.hex(raw))
    }
}

extension OdooDeliverer.Report {
    public var jsonLine: String {
        JSONValue.object([
            ("server", .string(server)), ("state", .string(state)), ("delivered", .int(delivered)),
            ("not_filed", .int(notFiled)), ("parked", .int(parked)), ("retry_later", .int(retried)),
            ("remaining", .int(remaining)), ("fault", .string(fault)),
        ]).serialized()
    }
}
