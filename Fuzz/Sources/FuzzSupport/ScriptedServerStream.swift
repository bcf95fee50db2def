import MailSource

/// A mail server played by the fuzzer: every `receive` hands out the next few bytes of the
/// input (the piece size comes from the input too, so the framing of reads is fuzzed as well),
/// and `$T` in the input becomes the tag of the oldest command not yet answered, so that the
/// fuzzer reaches tagged answers without having to guess `A0003`: at the start of a line it
/// answers that command (the next `$T` is the next command's), elsewhere (`* ESEARCH (TAG
/// "$T")`) it only names it. Commands are only counted.
/// When the input is used up the server has closed the connection.
public final class ScriptedServerStream: ByteStream {
    private var input: ArraySlice<UInt8>
    private let piece: Int
    private var tags: [String] = []
    private var lastTag = "A0001"
    private var atLineStart = true
    public private(set) var commands = 0

    /// `input[0]` picks the piece size (1…64 bytes per receive); the rest is what the server says.
    public init(_ bytes: [UInt8]) {
        piece = bytes.isEmpty ? 1 : Int(bytes[0] % 64) + 1
        input = bytes.dropFirst()
    }

    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        // Each line that starts with a tag is a command; literals a client sends are not parsed.
        var start = bytes.startIndex
        for i in bytes.indices where bytes[i] == 0x0A {
            let line = bytes[start..<i]
            if let space = line.firstIndex(of: 0x20) {
                let tag = String(decoding: UnsafeRawBufferPointer(rebasing: line[line.startIndex..<space]), as: UTF8.self)
                if tag.first?.isLetter == true { tags.append(tag); lastTag = tag }
            }
            commands += 1
            start = i + 1
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int {
        guard !input.isEmpty else {
            if seconds != nil { return 0 }  // "nothing arrived in time", instantly
            throw MailSourceError.temporary("scripted server closed the connection")
        }
        var out: [UInt8] = []
        while out.count < min(piece, buffer.count), let byte = input.first {
            input = input.dropFirst()
            if byte == UInt8(ascii: "$"), input.first == UInt8(ascii: "T") {
                input = input.dropFirst()
                let tag = tags.first ?? lastTag
                if atLineStart && !tags.isEmpty { tags.removeFirst() }
                out += Array(tag.utf8)
                atLineStart = false
            } else {
                out.append(byte)
                atLineStart = byte == 0x0A
            }
        }
        // A substituted tag may overrun the piece; keep the overflow for the next receive.
        let count = min(out.count, buffer.count)
        buffer.copyBytes(from: out[..<count])
        if count < out.count { input = ArraySlice(out[count...]) + input }
        return count
    }
}
