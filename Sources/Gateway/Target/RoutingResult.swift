import MIME
import Routing

/// A routing decision as the command line shows it: `route --json`, `--explain`, and the
/// exit code `deliver` gives the MTA.
public struct RoutingResult {
    let route: Route
    let steps: [RoutingStep]
    public let messageRow: Int64?

    init(_ outcome: MessageRouter.Outcome) {
        route = outcome.route
        steps = outcome.steps
        messageRow = outcome.messageRow
    }

    public var kind: String { route.kind.rawValue }
    public var reason: String { route.reason }

    /// odoo-mailgate.py's codes: 0 when the message found its place (or is safely a duplicate
    /// or loop), 67 (EX_NOUSER) when the MTA should bounce it — refused, catchall, unrouted —
    /// although it is still stored for inspection.
    public var deliverExitCode: Int32 {
        switch route.kind {
        case .new, .reply, .bounce, .duplicate, .loop: return 0
        case .refused, .catchall, .unrouted: return 67
        }
    }

    /// `route --json`: one line, every key present.
    public var json: JSONValue {
        let bounce: JSONValue = route.bounce.map { b in
            .object([
                ("recipients", .array(b.recipients.map { r in
                    .object([
                        ("address", .string(r.address)),
                        ("status", .string(r.status)),
                        ("reply_code", .string(r.replyCode)),
                        ("diagnostic", .string(r.diagnostic)),
                        ("reason", .string(r.reason)),
                        ("hard", r.hard.map { .bool($0) } ?? .null),
                    ])
                })),
                ("original_message_id", .string(b.originalMessageID)),
            ])
        } ?? .null
        return .object([
            ("route", .string(route.kind.rawValue)),
            ("model", .string(route.kind == .new || route.kind == .reply ? route.model : nil)),
            ("thread_id", route.kind == .reply || route.kind == .duplicate ? route.threadID.map { .int(Int($0)) } ?? .null : .null),
            ("alias", .string(route.alias)),
            ("routes", .array(route.targets.map { .object([("model", .string($0.model)), ("alias", .string($0.alias))]) })),
            ("bounce", bounce),
            ("reason", .string(route.reason)),
        ])
    }

    /// `route --explain`: each step of Odoo's order and why it did or did not decide.
    public var explanation: String {
        var lines: [String] = []
        for (n, step) in steps.enumerated() {
            lines.append("\(n + 1). \(step.name): \(step.decided ? "DECIDES" : "no") — \(step.explanation)")
        }
        lines.append("=> \(route.kind.rawValue)" + (route.model.map { " (\($0))" } ?? "")
                     + (route.threadID.map { ", thread \($0)" } ?? ""))
        return lines.joined(separator: "\n")
    }
}
