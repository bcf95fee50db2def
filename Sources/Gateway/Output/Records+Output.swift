import Foundation
import MIME
import MailStore

extension ThreadSummary {
    public var json: JSONValue {
        .object([
            ("id", .int(Int(id))),
            ("model", .string(model)),
            ("alias", .string(alias)),
            ("subject", .string(subject)),
            ("contact", .string(contactEmail)),
            ("messages", .int(messageCount)),
            ("created", .string(iso8601(created))),
            ("values", .object(decodedValues.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ])
    }

    public var humanLine: String {
        "#\(id) \(model) via \(alias ?? "-"): \(subject ?? "(no subject)") — \(contactEmail ?? "unknown sender"), \(messageCount) message\(messageCount == 1 ? "" : "s")"
    }

    var decodedValues: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(valuesJSON.utf8))) ?? [:]
    }
}

extension MessageSummary {
    public var json: JSONValue {
        .object([
            ("id", .int(Int(id))),
            ("message_id", .string(messageID)),
            ("thread_id", threadID.map { .int(Int($0)) } ?? .null),
            ("author", .string(author)),
            ("date", .string(date.map(iso8601))),
            ("subject", .string(subject)),
            ("route", .string(route)),
            ("alias", .string(routeAlias)),
            ("reason", .string(routeReason)),
            ("text", .string(text)),
        ])
    }

    public var humanText: String {
        var lines = ["  [\(id)] \(date.map(iso8601) ?? "no date") \(author ?? "unknown"): \(subject ?? "(no subject)")",
                     "       \(route): \(routeReason)"]
        if let text, !text.isEmpty {
            let preview = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(2).joined(separator: " / ")
            lines.append("       \(preview.prefix(160))")
        }
        return lines.joined(separator: "\n")
    }
}

/// `show --json`: the thread and its messages in one object.
public func showJSON(_ thread: ThreadSummary, _ messages: [MessageSummary]) -> JSONValue {
    .object([("thread", thread.json), ("messages", .array(messages.map(\.json)))])
}

extension ReplayResult {
    public var json: JSONValue {
        .object([
            ("id", .int(Int(id))),
            ("before", .string(before)),
            ("route", .string(result?.kind)),
            ("reason", .string(result?.reason)),
            ("error", .string(error)),
            ("note", .string(note)),
        ])
    }

    public var humanLine: String {
        if let error { return "[\(id)] failed: \(error)" }
        if let note { return "[\(id)] \(before ?? "?"): \(note)" }
        return "[\(id)] \(before ?? "?") → \(result?.kind ?? "?"): \(result?.reason ?? "")"
    }
}
