/// One whole server response as it arrived on the wire: its lines (CRLF removed, a trailing
/// literal marker `{n}` kept) and the literals between them.
public struct IMAPFrame: Equatable {
    public enum Chunk: Equatable {
        case line([UInt8])
        case literal(IMAPBytes)
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }
}

/// What the framer knows when a literal starts: enough for the session to decide whether to
/// stream it to a sink instead of holding it.
public struct IMAPLiteralStart {
    /// The bytes of the current response line before the `{n}` / `~{n}` marker.
    public let lineBeforeLiteral: ArraySlice<UInt8>
    public let length: Int
    /// literal8 (`~{n}`, RFC 3516)
    public let binary: Bool

    /// Whether the item right before the literal is `name` (e.g. "BODY[]"), ignoring case.
    public func follows(_ name: String) -> Bool {
        var line = lineBeforeLiteral
        while line.last == UInt8(ascii: " ") { line = line.dropLast() }
        let wanted = Array(name.utf8)
        guard line.count >= wanted.count else { return false }
        return zip(line.suffix(wanted.count), wanted).allSatisfy { asciiUpper($0) == asciiUpper($1) }
    }
}

/// Receives the bytes of one streamed literal, in order, in pieces.
public typealias IMAPLiteralSink = (UnsafeRawBufferPointer) throws -> Void

@inline(__always) func asciiUpper(_ byte: UInt8) -> UInt8 {
    byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
}

/// Cuts a byte stream, fed in pieces of any size, into whole responses. Literals of any
/// size are read by count; a claimed length above `maxLiteralSize` is refused before
/// anything is allocated; a literal the `literalSink` hook accepts goes to that sink in
/// pieces and is never held whole. After an error the framer refuses all further input
/// (the stream cannot be resynchronised).
public final class IMAPFramer {
    public var maxLiteralSize: Int
    public var maxLineLength: Int
    /// Asked at the start of each literal; return a sink to stream it, nil to hold it.
    public var literalSink: ((IMAPLiteralStart) -> IMAPLiteralSink?)?

    private enum Mode {
        case line
        case literal(remaining: Int, length: Int, sink: IMAPLiteralSink?)
    }

    private var mode: Mode = .line
    private var line: [UInt8] = []
    private var literal: [UInt8] = []
    private var chunks: [IMAPFrame.Chunk] = []
    private var heldBytes = 0
    private var ready: [IMAPFrame] = []
    private var readyIndex = 0
    private var failure: Error?

    public init(maxLiteralSize: Int = 64 << 20, maxLineLength: Int = 8 << 20) {
        self.maxLiteralSize = maxLiteralSize
        self.maxLineLength = maxLineLength
    }

    /// True while a response has started but is not complete.
    public var isInsideResponse: Bool {
        if case .literal = mode { return true }
        return !line.isEmpty || !chunks.isEmpty
    }

    /// The first line of the response being read (complete or not), or nil between
    /// responses: after a connection broke or a literal was refused, it tells which
    /// message the lost response was about (`IMAPResponseLine.uid`).
    public var responseInProgress: [UInt8]? {
        if case let .line(first)? = chunks.first { return first }
        return line.isEmpty ? nil : line
    }

    /// The next complete response, if one has arrived.
    public func next() -> IMAPFrame? {
        guard readyIndex < ready.count else { return nil }
        let frame = ready[readyIndex]
        readyIndex += 1
        if readyIndex == ready.count { ready.removeAll(keepingCapacity: true); readyIndex = 0 }
        return frame
    }

    public func feed(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    public func feed(_ input: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        do {
            try consume(input)
        } catch {
            failure = error
            throw error
        }
    }

    private func consume(_ input: UnsafeRawBufferPointer) throws {
        var index = 0
        let end = input.count
        while index < end {
            switch mode {
            case .line:
                let rest = UnsafeRawBufferPointer(rebasing: input[index..<end])
                let newline = rest.firstIndex(of: 0x0A)
                let take = newline ?? rest.count
                guard line.count + take <= maxLineLength else { throw IMAPCodecError.lineTooLong(limit: maxLineLength) }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
                index += take
                if newline != nil {
                    index += 1
                    if line.last == 0x0D { line.removeLast() }
                    try lineCompleted()
                }
            case let .literal(remaining, length, sink):
                let take = min(remaining, end - index)
                let piece = UnsafeRawBufferPointer(rebasing: input[index..<(index + take)])
                if let sink { try sink(piece) } else { literal.append(contentsOf: piece) }
                index += take
                if take == remaining {
                    finishLiteral(length: length, streamed: sink != nil)
                } else {
                    mode = .literal(remaining: remaining - take, length: length, sink: sink)
                }
            }
        }
    }

    private func lineCompleted() throws {
        let marker = chunks.isEmpty && Self.isStatusLine(line) ? nil : try literalMarker(line)
        guard let marker else {
            chunks.append(.line(line))
            ready.append(IMAPFrame(chunks: chunks))
            chunks = []
            line = []
            heldBytes = 0
            return
        }
        // Bound what one response may hold: two maximal literals plus lines.
        guard heldBytes + line.count <= 2 * maxLiteralSize + maxLineLength else {
            throw IMAPCodecError.lineTooLong(limit: maxLineLength)
        }
        let start = IMAPLiteralStart(lineBeforeLiteral: line[..<marker.start], length: marker.length, binary: marker.binary)
        let sink = literalSink?(start)
        heldBytes += line.count + (sink == nil ? marker.length : 0)
        chunks.append(.line(line))
        line = []
        literal = []
        if sink == nil { literal.reserveCapacity(marker.length) }
        if marker.length == 0 {
            finishLiteral(length: 0, streamed: sink != nil)
        } else {
            mode = .literal(remaining: marker.length, length: marker.length, sink: sink)
        }
    }

    private func finishLiteral(length: Int, streamed: Bool) {
        chunks.append(.literal(streamed ? .streamed(count: length) : .bytes(literal)))
        literal = []
        mode = .line
    }

    /// `{123}`, `{123+}` or `~{123}` at the very end of a line.
    private func literalMarker(_ line: [UInt8]) throws -> (start: Int, length: Int, binary: Bool)? {
        guard line.last == UInt8(ascii: "}") else { return nil }
        var index = line.count - 2
        if index >= 0 && line[index] == UInt8(ascii: "+") { index -= 1 }
        let digitsEnd = index
        while index >= 0, line[index] >= 0x30, line[index] <= 0x39 { index -= 1 }
        guard index < digitsEnd, index >= 0, line[index] == UInt8(ascii: "{") else { return nil }
        var value: UInt64 = 0
        for digit in line[(index + 1)...digitsEnd] {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 0x30))
            guard !overflow1, !overflow2 else { throw IMAPCodecError.literalTooLarge(claimed: .max, limit: maxLiteralSize) }
            value = sum
        }
        guard value <= UInt64(maxLiteralSize) else {
            throw IMAPCodecError.literalTooLarge(claimed: value, limit: maxLiteralSize)
        }
        let binary = index > 0 && line[index - 1] == UInt8(ascii: "~")
        return (binary ? index - 1 : index, Int(value), binary)
    }

    /// `+ …`, `* OK|NO|BAD|BYE|PREAUTH …`, `tag OK|NO|BAD …`: human text, never literals.
    static func isStatusLine(_ line: [UInt8]) -> Bool {
        if line.first == UInt8(ascii: "+") { return true }
        let words = line.prefix(16).split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard words.count >= 2 else { return false }
        let word = String(decoding: words[1].map(asciiUpper), as: UTF8.self)
        if words[0].elementsEqual("*".utf8) {
            return ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(word)
        }
        return ["OK", "NO", "BAD"].contains(word)
    }
}
