/// A DKIM/DMARC tag-list (RFC 6376 §3.2, RFC 7489 §6.4): `tag=value` pairs separated by `;`,
/// whitespace around names and values ignored. Names are kept as written (case matters in
/// DKIM); a pair without `=` is skipped.
public struct TagList: Equatable, Sendable {
    public var tags: [(name: String, value: String)]

    public init(_ text: String) {
        tags = text.split(separator: ";", omittingEmptySubsequences: true).compactMap { pair in
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = Self.trimmed(pair[..<equals])
            guard !name.isEmpty else { return nil }
            // Folding whitespace inside a value (a base64 key split over lines) is not part of it.
            let value = pair[pair.index(after: equals)...].filter { !$0.isWhitespace }
            return (name, String(value))
        }
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? { tags.first { $0.name == name }?.value }

    public static func == (a: TagList, b: TagList) -> Bool {
        a.tags.count == b.tags.count && zip(a.tags, b.tags).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    private static func trimmed(_ text: Substring) -> String {
        var text = text
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
