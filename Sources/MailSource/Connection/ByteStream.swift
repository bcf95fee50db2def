#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking, bidirectional byte stream: what `LineReader` reads from and protocol sessions
/// write to. `CurlConnection` is the real one; tests may supply their own.
public protocol ByteStream: AnyObject {
    /// Writes all of `bytes`, waiting as long as the stream's command timeout allows.
    func send(_ bytes: UnsafeRawBufferPointer) throws
    /// Reads at least one byte into `buffer` and returns how many.
    /// `waitingAtMost == nil`: waits up to the stream's command timeout and throws
    /// `MailSourceError.temporary` when it passes. Otherwise waits at most that many seconds and
    /// returns 0 when they pass. A closed connection throws `MailSourceError.temporary`.
    func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int
}

extension ByteStream {
    public func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Reads at least one byte, waiting up to the command timeout (then throws).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try receive(into: buffer, waitingAtMost: nil)
    }
}

/// Seconds on the monotonic clock.
@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
}

/// "30 s", "1.5 s".
func formatSeconds(_ s: Double) -> String {
    if s == s.rounded() && abs(s) < 1e15 { return "\(Int(s)) s" }
    return "\(s) s"
}
