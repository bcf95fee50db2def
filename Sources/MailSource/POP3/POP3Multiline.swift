#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LineReader {
    /// Reads a POP3 multi-line body (after its `+OK` status line) up to and including the
    /// terminating "." line, handing `sink` the dot-unstuffed bytes in chunks, line ends exactly
    /// as the server sent them (the final CRLF of the last line is kept; the ".\r\n" is not).
    /// No line length limit: the body is scanned, not split into lines.
    func readPOP3Multiline(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var atLineStart = true
        while true {
            if !hasBufferedData { try fill() }
            var finished = false
            var needMore = false
            let consumed: Int = try withBufferedBytes { buf in
                let count = buf.count
                guard count > 0, let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
                var i = 0
                var runStart = 0
                while i < count {
                    if atLineStart {
                        if base[i] == UInt8(ascii: ".") {
                            if i > runStart { try sink(UnsafeRawBufferPointer(rebasing: buf[runStart..<i])) }
                            runStart = i
                            if i + 1 >= count { needMore = true; return i }
                            let next = base[i + 1]
                            if next == 10 { finished = true; return i + 2 }  // ".\n"
                            if next == 13 {
                                if i + 2 >= count { needMore = true; return i }
                                if base[i + 2] == 10 { finished = true; return i + 3 }  // ".\r\n"
                            }
                            i += 1  // the stuffing dot goes
                            runStart = i
                        }
                        atLineStart = false
                    }
                    if let p = memchr(base + i, 10, count - i) {
                        i = UnsafeRawPointer(p) - UnsafeRawPointer(base) + 1
                        atLineStart = true
                    } else {
                        i = count
                    }
                }
                if count > runStart { try sink(UnsafeRawBufferPointer(rebasing: buf[runStart..<count])) }
                return count
            }
            consume(consumed)
            if finished { return }
            if needMore { try fill() }
        }
    }

    /// A POP3 multi-line body as lines without line ends (UIDL, LIST, CAPA).
    func readPOP3MultilineLines() throws -> [[UInt8]] {
        var body = [UInt8]()
        try readPOP3Multiline { body.append(contentsOf: $0) }
        var lines: [[UInt8]] = []
        var start = 0
        for (i, b) in body.enumerated() where b == 10 {
            var end = i
            if end > start && body[end - 1] == 13 { end -= 1 }
            lines.append(Array(body[start..<end]))
            start = i + 1
        }
        if start < body.count { lines.append(Array(body[start...])) }
        return lines
    }
}
