/// Framer plus parser: feed bytes as they arrive, take parsed responses out.
///
/// A whole untagged response the parser cannot read does not desynchronise the stream (the
/// framer has already cut it out by its lines and literals), so it comes out as
/// `.untagged(.unparsable(…))` and the session goes on: it costs the message it was about,
/// not the connection. A tagged or continuation line that cannot be read still throws.
public final class IMAPResponseDecoder {
    public let framer: IMAPFramer

    public init(maxLiteralSize: Int = 64 << 20, maxLineLength: Int = 8 << 20) {
        framer = IMAPFramer(maxLiteralSize: maxLiteralSize, maxLineLength: maxLineLength)
    }

    public func feed(_ bytes: [UInt8]) throws { try framer.feed(bytes) }
    public func feed(_ bytes: UnsafeRawBufferPointer) throws { try framer.feed(bytes) }

    /// The next complete response, parsed; nil until one has arrived whole.
    public func next() throws -> IMAPResponse? {
        guard let frame = framer.next() else { return nil }
        do {
            return try IMAPResponseParser.parse(frame)
        } catch let error as IMAPCodecError {
            guard case let .line(first)? = frame.chunks.first, first.first == UInt8(ascii: "*") else { throw error }
            return .untagged(.unparsable(IMAPUnparsable(frame: frame, reason: error.description)))
        }
    }
}

/// An untagged response the parser could not read, with what can still be told about it.
public struct IMAPUnparsable: Equatable, Sendable {
    /// Its lines (literals left out, shown as `{n}`), printable and bounded: for the error
    /// recorded with the message.
    public var excerpt: String
    /// `* n FETCH …`: the message sequence number.
    public var sequence: UInt32?
    /// A `UID n` item found on its first line.
    public var uid: UInt32?
    /// Why the parser refused it.
    public var reason: String

    public init(frame: IMAPFrame, reason: String) {
        var text: [UInt8] = []
        var first: [UInt8] = []
        for chunk in frame.chunks {
            guard case let .line(line) = chunk else { text += Array(" … ".utf8); continue }
            if first.isEmpty { first = line }
            text += line
        }
        excerpt = IMAPCodecError.excerpt(text, limit: 300)
        sequence = IMAPResponseLine.fetchSequence(first)
        uid = IMAPResponseLine.uid(first) ?? frame.chunks.lazy.compactMap { chunk -> UInt32? in
            if case let .line(line) = chunk { return IMAPResponseLine.uid(line) } else { return nil }
        }.first
        self.reason = reason
    }
}

/// Best-effort reading of a response's first line when the grammar could not be applied:
/// which message it is about.
public enum IMAPResponseLine {
    /// `n` of `* n FETCH`.
    public static func fetchSequence<C: Collection>(_ line: C) -> UInt32? where C.Element == UInt8 {
        let words = words(line)
        guard words.count >= 3, words[0] == [UInt8(ascii: "*")], words[2].map(asciiUpper) == Array("FETCH".utf8) else {
            return nil
        }
        return number(words[1])
    }

    /// `n` of a `UID n` item anywhere on the line (`(UID 7 …`, `… UID 7)`).
    public static func uid<C: Collection>(_ line: C) -> UInt32? where C.Element == UInt8 {
        let words = words(line)
        for (index, word) in words.enumerated() where index + 1 < words.count {
            var name = word[...]
            while name.first == UInt8(ascii: "(") { name = name.dropFirst() }
            if name.map(asciiUpper) == Array("UID".utf8), let uid = number(words[index + 1]) { return uid }
        }
        return nil
    }

    private static func words<C: Collection>(_ line: C) -> [[UInt8]] where C.Element == UInt8 {
        line.split(separator: UInt8(ascii: " ")).map(Array.init)
    }

    private static func number(_ word: [UInt8]) -> UInt32? {
        var digits = word[...]
        while digits.last == UInt8(ascii: ")") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt32(exactly: digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) })
    }
}
