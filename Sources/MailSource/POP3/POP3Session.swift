/// One message of a POP3 maildrop: its session-local `number`, its persistent `uidl` and its
/// `size` in octets as the server will send it (CRLF line ends).
public struct POP3Entry: Sendable, Hashable {
    public let number: Int
    public let uidl: String
    public let size: Int

    public init(number: Int, uidl: String, size: Int) {
        self.number = number
        self.uidl = uidl
        self.size = size
    }
}

/// A POP3 session over a libcurl `CONNECT_ONLY` connection (libcurl connects, does TLS/STLS
/// and logs in; this speaks the transaction state itself).
///
/// Blocking; use from one dedicated thread at a time. Deletions are final only after `quit()`
/// returns; `close()` (or an error that breaks the session) drops the connection without QUIT,
/// so the server forgets the session's DELEs.
public final class POP3Session: @unchecked Sendable {
    public let endpoint: Endpoint
    /// The server's greeting line (`+OK Dovecot (Debian) ready.`), if libcurl passed it on.
    public let greeting: String?
    /// CAPA after login, one capability per element (`PIPELINING`, `UIDL`, `TOP`, …); empty if
    /// the server has no CAPA.
    public private(set) var capabilities: [String] = []
    /// At most this many RETR/DELE commands in flight when the server offers PIPELINING.
    public var pipelineWindow = 64
    /// Commands sent (for tests and statistics).
    public private(set) var commandCount = 0
    /// Writes (each a batch of one or more commands) sent (for tests: pipelining sends fewer).
    public private(set) var writeCount = 0

    private let stream: ByteStream
    private let connection: CurlConnection?
    private let reader: LineReader
    private var sizes: [Int: Int] = [:]
    private var finished = false

    /// Connects, logs in (through libcurl) and asks for CAPA. Throws `MailSourceError`.
    public convenience init(endpoint: Endpoint, secret: String) throws {
        guard endpoint.scheme.isPOP3 else {
            throw MailSourceError.configuration("\(endpoint.url) is not a POP3 URL (pop3:// or pop3s://)")
        }
        let connection = try CurlConnection(endpoint: endpoint, secret: secret)
        do {
            try self.init(connection: connection)
        } catch {
            connection.close()
            throw error
        }
    }

    /// Over an established, logged-in connection.
    public convenience init(connection: CurlConnection) throws {
        try self.init(stream: connection, endpoint: connection.endpoint, greeting: connection.greeting, connection: connection)
    }

    /// Over any logged-in byte stream (tests, and the POP3 fuzz harness in Fuzz/).
    public init(stream: ByteStream, endpoint: Endpoint, greeting: String?, connection: CurlConnection? = nil) throws {
        self.stream = stream
        self.endpoint = endpoint
        self.greeting = greeting
        self.connection = connection
        reader = LineReader(stream)
        try guarded { try loadCapabilities() }
    }

    deinit { connection?.close() }

    public var supportsPipelining: Bool { hasCapability("PIPELINING") }

    public func hasCapability(_ name: String) -> Bool {
        let wanted = name.uppercased()
        return capabilities.contains { $0.split(separator: " ").first.map { $0.uppercased() == wanted } ?? false }
    }

    // MARK: commands

    /// UIDL and LIST (pipelined when possible), joined by message number, in number order.
    public func listing() throws -> [POP3Entry] {
        try ensureOpen()
        return try guarded {
            var uidlResult: Result<[[UInt8]], MailSourceError>
            var listResult: Result<[[UInt8]], MailSourceError>
            if supportsPipelining {
                try sendCommands(["UIDL", "LIST"])
                uidlResult = try readMultilineResponse(to: "UIDL")
                listResult = try readMultilineResponse(to: "LIST")
            } else {
                try sendCommands(["UIDL"])
                uidlResult = try readMultilineResponse(to: "UIDL")
                try sendCommands(["LIST"])
                listResult = try readMultilineResponse(to: "LIST")
            }
            let uidlLines: [[UInt8]]
            switch uidlResult {
            case .success(let lines): uidlLines = lines
            case .failure(let e):
                throw MailSourceError.configuration(
                    "\(endpoint.address) does not answer UIDL (\(e.message)); Mailgate needs UIDL to remember which POP3 messages it has fetched")
            }
            let listLines = try listResult.get()
            var uidls: [Int: String] = [:]
            for line in uidlLines {
                let (n, rest) = try parseNumbered(line, in: "UIDL")
                uidls[n] = rest
            }
            var entries: [POP3Entry] = []
            var newSizes: [Int: Int] = [:]
            for line in listLines {
                let (n, rest) = try parseNumbered(line, in: "LIST")
                guard let size = Int(rest.split(separator: " ").first ?? "") else {
                    throw MailSourceError.protocolViolation("\(endpoint.address) sent a LIST line without a size: \(text(line))")
                }
                guard let uidl = uidls[n] else {
                    throw MailSourceError.protocolViolation("\(endpoint.address) listed message \(n) in LIST but not in UIDL")
                }
                // A server that lists a number twice must not make us fetch (and record) it twice:
                // the first line counts (found by Fuzz/POP3Fuzz; the poll trapped on the duplicate).
                guard newSizes[n] == nil else { continue }
                newSizes[n] = size
                entries.append(POP3Entry(number: n, uidl: uidl, size: size))
            }
            sizes = newSizes
            return entries.sorted { $0.number < $1.number }
        }
    }

    /// RETR each of `numbers` (pipelined, at most `pipelineWindow` in flight, when the server
    /// offers PIPELINING) and calls `each(number, bytes)` in order. `bytes` is the message as
    /// the server holds it: dot-unstuffed, line ends as sent (CRLF), final line end kept.
    ///
    /// A RETR the server refuses (`-ERR`) does not stop the others: every other message is
    /// still handed to `each`, and the refusals come back, by message number, in the
    /// server's words (`[SYS/TEMP]`, `[IN-USE]` included: RFC 2449/3206). If `each` throws,
    /// no further RETR is sent, the ones in flight are read and dropped (the session stays
    /// usable), and its error is rethrown.
    @discardableResult
    public func retrieve(_ numbers: [Int], each: (Int, [UInt8]) throws -> Void) throws -> [Int: String] {
        try ensureOpen()
        return try guarded {
            var refusals: [Int: String] = [:]
            var callerError: Error?
            try pipeline(numbers.map { "RETR \($0)" }, stopSending: { callerError != nil }) { index in
                let number = numbers[index]
                let status = try readStatus()
                guard status.ok else {
                    refusals[number] = refused("RETR \(number)", status.text).message
                    return
                }
                var message = [UInt8]()
                message.reserveCapacity((sizes[number] ?? 4096) + 2)
                do {
                    try reader.readPOP3Multiline { message.append(contentsOf: $0) }
                } catch {
                    throw SessionBroken(underlying: error)
                }
                if callerError == nil {
                    do { try each(number, message) } catch { callerError = error }
                }
            }
            if let callerError { throw callerError }
            return refusals
        }
    }

    /// Marks `numbers` deleted (pipelined like `retrieve`). Final only after `quit()`.
    public func delete(_ numbers: [Int]) throws {
        try ensureOpen()
        try guarded {
            var firstError: Error?
            try pipeline(numbers.map { "DELE \($0)" }, stopSending: { firstError != nil }) { index in
                let status = try readStatus()
                if !status.ok && firstError == nil { firstError = refused("DELE \(numbers[index])", status.text) }
            }
            if let firstError { throw firstError }
        }
    }

    /// NOOP (keeps the session alive; checks it still is).
    public func noop() throws {
        try ensureOpen()
        try guarded {
            try sendCommands(["NOOP"])
            let status = try readStatus()
            if !status.ok { throw refused("NOOP", status.text) }
        }
    }

    /// QUIT: returns only after the server's `+OK`, i.e. once the deletions are final; then
    /// closes the connection. A `-ERR` (deletions not applied) throws.
    public func quit() throws {
        try ensureOpen()
        defer { close() }
        try guarded {
            try sendCommands(["QUIT"])
            let status = try readStatus()
            if !status.ok {
                throw MailSourceError.temporary(
                    "\(endpoint.address) refused QUIT, so its deletions may not have been applied: \(status.text)")
            }
        }
    }

    /// Drops the connection without QUIT (the server forgets this session's DELEs). Idempotent.
    public func close() {
        finished = true
        connection?.close()
    }

    public var isClosed: Bool { finished }

    // MARK: internals

    private func loadCapabilities() throws {
        try sendCommands(["CAPA"])
        switch try readMultilineResponse(to: "CAPA") {
        case .success(let lines):
            capabilities = lines.map { text($0) }.filter { !$0.isEmpty }
        case .failure:
            capabilities = []
        }
    }

    private func ensureOpen() throws {
        if finished { throw MailSourceError.temporary("the POP3 session with \(endpoint.address) is closed") }
    }

    /// Runs `body`; a failure of the connection itself (not a -ERR, not the caller's own error
    /// raised after draining) leaves the session in an unknown state, so it is closed.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SessionBroken {
            close()
            throw error.underlying
        }
    }

    /// Sends `commands` with at most `window` unanswered, refilling in batches, and calls
    /// `readResponse(index)` for each command sent, in order. Once `stopSending()` is true no
    /// more commands go out, but the ones in flight are still read.
    private func pipeline(_ commands: [String], stopSending: () -> Bool, readResponse: (Int) throws -> Void) throws {
        let window = supportsPipelining ? max(1, pipelineWindow) : 1
        var sent = 0
        var answered = 0
        while answered < commands.count {
            if !stopSending() && sent < commands.count && sent - answered <= window / 2 {
                var batch: [String] = []
                while sent < commands.count && sent - answered < window {
                    batch.append(commands[sent])
                    sent += 1
                }
                try sendCommands(batch)
            }
            if answered == sent { break }  // stopped and drained
            try readResponse(answered)
            answered += 1
        }
    }

    private func sendCommands(_ commands: [String]) throws {
        var bytes = [UInt8]()
        for c in commands {
            bytes.append(contentsOf: c.utf8)
            bytes.append(13)
            bytes.append(10)
        }
        do {
            try stream.send(bytes)
        } catch {
            throw SessionBroken(underlying: error)
        }
        commandCount += commands.count
        writeCount += 1
    }

    private struct Status {
        let ok: Bool
        let text: String
    }

    private func readStatus() throws -> Status {
        let line: [UInt8]
        do {
            line = try reader.readLine()
        } catch {
            throw SessionBroken(underlying: error)
        }
        if line.starts(with: Array("+OK".utf8)) {
            return Status(ok: true, text: text(line.dropFirst(3)).trimmingSpaces())
        }
        if line.starts(with: Array("-ERR".utf8)) {
            return Status(ok: false, text: text(line.dropFirst(4)).trimmingSpaces())
        }
        throw SessionBroken(underlying: MailSourceError.protocolViolation(
            "\(endpoint.address) answered with neither +OK nor -ERR: \(String(text(line).prefix(200)))"))
    }

    private func readMultilineResponse(to command: String) throws -> Result<[[UInt8]], MailSourceError> {
        let status = try readStatus()
        guard status.ok else { return .failure(refused(command, status.text)) }
        do {
            return .success(try reader.readPOP3MultilineLines())
        } catch {
            throw SessionBroken(underlying: error)
        }
    }

    private func refused(_ command: String, _ serverText: String) -> MailSourceError {
        .temporary("\(endpoint.address) refused \(command): -ERR \(serverText)")
    }

    private func parseNumbered(_ line: [UInt8], in command: String) throws -> (Int, String) {
        let s = text(line)
        let parts = s.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let n = Int(parts[0]), n > 0 else {
            throw SessionBroken(underlying: MailSourceError.protocolViolation(
                "\(endpoint.address) sent a malformed \(command) line: \(String(s.prefix(200)))"))
        }
        return (n, String(parts[1]).trimmingSpaces())
    }

    private func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes, as: UTF8.self)
    }
}

/// A connection-level failure inside a session operation: the session must be closed.
private struct SessionBroken: Error {
    let underlying: Error
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
