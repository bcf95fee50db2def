#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered reading over a `ByteStream`: CRLF (or bare LF) lines, exact-length reads that
/// stream large literals to a sink in chunks, and raw buffer access for protocol decoders
/// (POP3's dot-stuffed multi-line answers).
///
/// The buffer starts at `chunkSize` bytes and grows only while a single line does not fit;
/// a line longer than `maxLineLength` is a `MailSourceError.protocolViolation`.
public final class LineReader {
    public let stream: ByteStream
    public let maxLineLength: Int
    public let chunkSize: Int

    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    /// Where the next LF search starts (bytes before it are known not to hold one).
    private var scanned = 0

    public init(_ stream: ByteStream, chunkSize: Int = 256 * 1024, maxLineLength: Int = 1 << 20) {
        self.stream = stream
        self.chunkSize = max(chunkSize, 64)
        self.maxLineLength = max(maxLineLength, 64)
        capacity = self.chunkSize
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes received but not consumed yet.
    public var bufferedByteCount: Int { end - start }
    public var hasBufferedData: Bool { end > start }

    // MARK: lines

    /// The next line without its CRLF (or LF). Waits up to the stream's command timeout.
    public func readLine() throws -> [UInt8] {
        try withRawLine { Array(LineReader.trimmingLineEnd($0)) }
    }

    /// The next line, or nil when none arrives within `seconds` (IMAP IDLE). A partial line
    /// that arrived stays buffered.
    public func readLineIfAvailable(within seconds: Double) throws -> [UInt8]? {
        let deadline = monotonicSeconds() + seconds
        while true {
            if let lineEnd = try findLineEnd() {
                let line = Array(LineReader.trimmingLineEnd(UnsafeRawBufferPointer(start: storage + start, count: lineEnd - start)))
                consume(lineEnd - start)
                return line
            }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return nil }
            if try fill(waitingAtMost: remaining) == 0 { return nil }
        }
    }

    /// Calls `body` with the next line including its line end (valid only during the call),
    /// then consumes it.
    public func withRawLine<T>(_ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        while true {
            if let lineEnd = try findLineEnd() {
                let length = lineEnd - start
                defer { consume(length) }
                return try body(UnsafeRawBufferPointer(start: storage + start, count: length))
            }
            try fill()
        }
    }

    /// The line without its trailing CRLF / LF.
    public static func trimmingLineEnd(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence {
        var n = line.count
        if n > 0 && line[n - 1] == 10 { n -= 1 }
        if n > 0 && line[n - 1] == 13 { n -= 1 }
        return line[0..<n]
    }

    /// The index (in storage) just past the next LF, or nil if no complete line is buffered.
    private func findLineEnd() throws -> Int? {
        if scanned < start { scanned = start }
        if scanned < end, let p = memchr(storage + scanned, 10, end - scanned) {
            let lineEnd = (p - storage) + 1
            scanned = lineEnd
            return lineEnd
        }
        scanned = end
        if end - start > maxLineLength {
            throw MailSourceError.protocolViolation(
                "the server sent a line longer than \(maxLineLength) bytes")
        }
        return nil
    }

    // MARK: exact reads

    /// Streams exactly `count` bytes to `sink` in chunks (each valid only during its call).
    public func read(exactly count: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(count >= 0)
        var remaining = count
        while remaining > 0 {
            if start == end { try fill() }
            let n = min(remaining, end - start)
            try sink(UnsafeRawBufferPointer(start: storage + start, count: n))
            consume(n)
            remaining -= n
        }
    }

    /// Exactly `count` bytes.
    public func read(exactly count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        try read(exactly: count) { out.append(contentsOf: $0) }
        return out
    }

    // MARK: raw access for decoders

    /// Calls `body` with all buffered bytes (possibly none; see `fill`), valid only during the call.
    public func withBufferedBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: storage + start, count: end - start))
    }

    /// Drops `count` buffered bytes.
    public func consume(_ count: Int) {
        precondition(count >= 0 && count <= end - start, "consuming more than is buffered")
        start += count
        if start == end {
            start = 0
            end = 0
            scanned = 0
        }
    }

    /// Receives more bytes after those buffered; returns how many arrived.
    /// `waitingAtMost == nil`: up to the command timeout, then throws; otherwise returns 0 when
    /// the seconds pass.
    @discardableResult
    public func fill(waitingAtMost seconds: Double? = nil) throws -> Int {
        makeRoom()
        let n = try stream.receive(
            into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end),
            waitingAtMost: seconds)
        end += n
        return n
    }

    /// Ensures at least a quarter chunk of free space after `end`.
    private func makeRoom() {
        let want = max(chunkSize / 4, 64)
        if capacity - end >= want { return }
        let live = end - start
        if start > 0 {
            if live > 0 { memmove(storage, storage + start, live) }
            scanned -= start
            start = 0
            end = live
            if capacity - end >= want { return }
        }
        var newCapacity = capacity * 2
        while newCapacity - end < want { newCapacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if live > 0 { bigger.copyMemory(from: storage, byteCount: live) }
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
    }
}
