/// One logged-in IMAP connection. libcurl connects, secures (TLS or STARTTLS) and logs in
/// (`CURLOPT_CONNECT_ONLY`); from then on this session speaks IMAP itself over the
/// connection with its own codec (`Codec/`): pipelined `UID FETCH … BODY.PEEK[]` (never sets
/// \Seen), literals of any size, commands and responses of any length.
///
/// A poll: `select(_:readOnly:listingFrom:)` (SELECT and the listing of new UIDs with their
/// sizes in one round trip) → `fetchBodies` (or `fetchBody` for a large one) → after the store
/// has committed: `markSeen` / `delete` / `move` → `logout` (not waited for). Each step is one
/// round trip (`roundTrips` counts them); ID rides along with the first SELECT.
///
/// Blocking and not thread-safe: use it from one dedicated thread. After a connection or
/// protocol error the session is unusable (every call throws that error again); after a
/// NO/BAD to a command it stays usable.
public final class IMAPSession {
    /// The server's greeting line, if any (as libcurl saw it, or as read by the session when
    /// it logged in itself).
    public private(set) var greeting: String?
    /// Upper-cased capability names, from the CAPABILITY command issued after login (libcurl
    /// consumed the greeting and the login answers) and from any later announcements.
    public private(set) var capabilities: Set<String> = []
    /// The server's answer to ID, when it offers ID (sent in the same flight as the first
    /// SELECT, so known after it).
    public private(set) var serverID: [String: String]?
    /// The selected mailbox; `exists` follows EXISTS/EXPUNGE announcements.
    public private(set) var selected: IMAPSelectedMailbox?
    /// Commands sent after login (CAPABILITY and ID included; the login's own exchanges not,
    /// whether libcurl or the session sent them).
    public private(set) var commandCount = 0
    /// Exchanges this session waited for: a command written while no earlier one was still
    /// awaiting its answer starts one; pipelined commands ride along, and LOGOUT (never
    /// waited for) costs none. libcurl's connect, TLS and login are not counted. It counts
    /// protocol turns, not time, so tests can hold a poll to its budget on any machine.
    public private(set) var roundTrips = 0
    /// Commands written whose tagged answer has not been read yet.
    private var awaitingAnswers = 0
    /// ID is offered and not sent yet: it goes out with the first SELECT (NetEase refuses
    /// SELECT before ID), in the same flight, instead of costing a round trip of its own.
    private var idPending = false
    /// `[ALERT]` texts the server sent; an admin must see them.
    public private(set) var alerts: [String] = []
    public let options: IMAPSessionOptions

    private let stream: ByteStream
    private let connection: CurlConnection?
    private let address: String
    private let defaultFolder: String
    private let decoder: IMAPResponseDecoder
    private var tags = IMAPTagGenerator()
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var broken: Error?
    private var loggingOut = false
    private var expungeCount = 0
    /// Sequence number → UID, from FETCH responses that carried both, kept in step with
    /// EXPUNGE: attributes a FETCH without its UID to the message it is about.
    private var sequenceUIDs: [UInt32: UInt32] = [:]
    /// The size a literal claimed when the session was closed rather than read it.
    private var refusedLiteralSize: UInt64?

    /// Connects and logs in; asks for CAPABILITY only when neither the greeting nor the
    /// login's answer carried them. A password over implicit TLS (or none) is sent by the
    /// session itself (libcurl only connects and secures): `AUTHENTICATE PLAIN` with its
    /// initial response when the greeting offers SASL-IR, else `LOGIN`, one round trip after
    /// the greeting. STARTTLS and the other mechanisms go through libcurl's login, which
    /// always asks CAPABILITY first (one round trip more).
    public convenience init(endpoint: Endpoint, secret: String, options: IMAPSessionOptions = .init()) throws {
        guard endpoint.scheme.isIMAP else {
            throw MailSourceError.configuration("\(endpoint.address): an IMAP session needs an imap:// or imaps:// endpoint")
        }
        if endpoint.tls != .starttls && (endpoint.auth == .auto || endpoint.auth == .plain) {
            let connection = try CurlConnection(endpoint: endpoint, secret: secret, login: false)
            do {
                try self.init(stream: connection, address: endpoint.address, folder: endpoint.folder, options: options,
                              login: IMAPLogin(user: endpoint.user, secret: secret, plainOnly: endpoint.auth == .plain))
                return
            } catch is IMAPLogin.NeedsLibcurl {
                connection.close()  // a mechanism only libcurl speaks: log in through it below
            } catch {
                connection.close()
                throw error
            }
        }
        let connection = try CurlConnection(endpoint: endpoint, secret: secret)
        do {
            try self.init(stream: connection, greeting: connection.greeting, address: endpoint.address,
                          folder: endpoint.folder, options: options,
                          capabilitiesAfterLogin: Self.capabilities(inLoginResponses: connection.loginResponses))
        } catch {
            connection.close()
            throw error
        }
    }

    /// Over any byte stream that is already past login (tests use scripted streams).
    /// `capabilitiesAfterLogin`: what the server announced in its answer to the login (most
    /// do, RFC 3501 §6.2.3); when given, the CAPABILITY round trip is saved.
    /// With `login`, the stream is at the greeting and the session logs in itself.
    public init(stream: ByteStream, greeting: String? = nil, address: String = "IMAP server",
                folder: String = "INBOX", options: IMAPSessionOptions = .init(),
                capabilitiesAfterLogin: [String]? = nil, login: IMAPLogin? = nil) throws {
        self.stream = stream
        self.connection = stream as? CurlConnection
        self.greeting = greeting
        self.address = address
        self.defaultFolder = folder
        self.options = options
        self.decoder = IMAPResponseDecoder(maxLiteralSize: options.maxLiteralSize)
        self.readBuffer = .allocate(byteCount: max(4096, options.readChunkSize), alignment: 16)
        if let login {
            try logIn(login)
            if capabilities.isEmpty { try refreshCapabilities() }
        } else if let known = capabilitiesAfterLogin, !known.isEmpty {
            setCapabilities(known)
        } else {
            try refreshCapabilities()
        }
        idPending = hasCapability("ID")
    }

    /// The capabilities the server announced with its answer to the login: the
    /// `[CAPABILITY …]` code of the tagged OK that ended it, or an untagged `* CAPABILITY`
    /// sent after the previous tagged answer (Dovecot does that). The greeting's list is from
    /// before login and may differ, so it is never used.
    static func capabilities(inLoginResponses lines: [String]) -> [String]? {
        let tagged = lines.indices.filter { !lines[$0].hasPrefix("*") && !lines[$0].hasPrefix("+") }
        guard let last = tagged.last else { return nil }
        let words = lines[last].split(separator: " ")
        guard words.count > 1, words[1].uppercased() == "OK" else { return nil }
        if words.count > 2, words[2].uppercased() == "[CAPABILITY" {
            var names: [String] = []
            for word in words.dropFirst(3) {
                guard let end = word.firstIndex(of: "]") else { names.append(String(word)); continue }
                if end > word.startIndex { names.append(String(word[..<end])) }
                return names
            }
            return nil
        }
        let start = tagged.dropLast().last.map { $0 + 1 } ?? 0
        for index in stride(from: last - 1, through: start, by: -1) {
            let words = lines[index].split(separator: " ")
            if words.count > 2, words[0] == "*", words[1].uppercased() == "CAPABILITY" {
                return words.dropFirst(2).map(String.init)
            }
        }
        return nil
    }

    deinit { readBuffer.deallocate() }

    /// Reads the greeting and logs in: `AUTHENTICATE PLAIN` with the initial response when
    /// the server offers SASL-IR (one round trip), else `LOGIN` (one round trip; 7-bit names
    /// and passwords only), else `AUTHENTICATE PLAIN` answering the server's continuation
    /// (two). The capabilities come from the greeting (CAPABILITY is asked only when it has
    /// none) and, after login, from the login's answer. The login's exchanges are not
    /// counted in `commandCount`/`roundTrips`, as libcurl's are not.
    private func logIn(_ login: IMAPLogin) throws {
        let first: IMAPResponse
        first = try nextResponse()
        guard case let .untagged(.status(hello)) = first else {
            throw fail(MailSourceError.protocolViolation("\(address) did not greet as an IMAP server"))
        }
        greeting = "* \(hello.status.rawValue) \(hello.text)"
        if let code = hello.code { observe(code) }
        switch hello.status {
        case .bye: throw fail(MailSourceError.temporary("\(address) refused the connection: \(hello.text)"))
        case .preauth: return
        default: break
        }
        if capabilities.isEmpty { try refreshCapabilities() }
        let plain = Array("\0\(login.user)\0\(login.secret)".utf8)
        let tag: String
        if hasCapability("AUTH=PLAIN") && hasCapability("SASL-IR") {
            tag = try send(IMAPCommand("AUTHENTICATE", "PLAIN " + Redactor.base64(plain)))
        } else if !login.plainOnly && !hasCapability("LOGINDISABLED") && IMAPLogin.quotable(login.user)
                    && IMAPLogin.quotable(login.secret) {
            tag = try send(IMAPCommand("LOGIN", IMAPCommand.quoted(login.user) + " " + IMAPCommand.quoted(login.secret)))
        } else if hasCapability("AUTH=PLAIN") {
            tag = try send(IMAPCommand("AUTHENTICATE", "PLAIN"))
        } else {
            throw IMAPLogin.NeedsLibcurl()
        }
        var answeredContinuation = false
        while true {
            switch try nextResponse() {
            case .continuation:
                // PLAIN's one challenge is empty; a second one is a refusal in disguise: cancel.
                let reply = answeredContinuation ? "*" : Redactor.base64(plain)
                answeredContinuation = true
                do { try stream.send(Array((reply + "\r\n").utf8)) } catch { throw fail(error) }
            case let .untagged(untagged):
                try observe(untagged)
            case let .tagged(answered, status):
                guard answered == tag else { throw unexpectedTag(answered, expected: tag) }
                if let code = status.code { observe(code) }
                guard status.status == .ok else {
                    let words = Redactor(secret: login.secret, user: login.user)
                        .redact(status.text.isEmpty ? "no reason given" : status.text)
                    switch status.code?.name {
                    case "UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT", "SYS/TEMP", "IN-USE", "LOGIN-DELAY":
                        throw fail(MailSourceError.temporary("the server could not log \(login.user) in now: \(words)"))
                    default:
                        throw fail(MailSourceError.authenticationFailed("the server refused the login for \(login.user): \(words)"))
                    }
                }
                commandCount = 0
                roundTrips = 0
                awaitingAnswers = 0
                return
            }
        }
    }

    public func hasCapability(_ name: String) -> Bool {
        capabilities.contains(name.uppercased())
    }

    private func setCapabilities(_ names: [String]) {
        let ignored = Set(options.ignoredCapabilities.map { $0.uppercased() })
        capabilities = Set(names.map { $0.uppercased() }).subtracting(ignored)
    }

    // MARK: commands

    public func refreshCapabilities() throws {
        try runChecked(.capability) { _ in }
    }

    /// Writes `ID ("name" "mailgate" "version" "…")` if it is still due; returns its tag. Its
    /// answer is read with `readIDAnswer` after whatever was pipelined behind it was written.
    private func sendPendingID() throws -> String? {
        guard idPending else { return nil }
        idPending = false
        return try send(.id([("name", options.clientName), ("version", options.clientVersion)]))
    }

    /// The answer to ID; a refusal is not an error.
    private func readIDAnswer(_ tag: String?) throws {
        guard let tag else { return }
        _ = try waitFor(tag) { untagged in
            if case let .id(fields) = untagged { self.serverID = fields }
        }
    }

    /// SELECT (or EXAMINE when `readOnly`) `folder`, by default the endpoint's.
    @discardableResult
    public func select(_ folder: String? = nil, readOnly: Bool = false) throws -> IMAPSelectedMailbox {
        try select(folder, readOnly: readOnly, listing: nil).mailbox
    }

    /// SELECT (or EXAMINE) `folder` and, in the same flight, `UID FETCH from:* (UID RFC822.SIZE
    /// FLAGS)`: the mailbox and every message with a UID ≥ `from`, with its size, for one
    /// round trip instead of three (SELECT, UID SEARCH, the sizes). Pipelining them is safe
    /// (RFC 3501 §5.5): the FETCH does not depend on what SELECT answers, and a refused SELECT
    /// leaves no mailbox selected, so the FETCH is refused too and the SELECT's error thrown.
    ///
    /// `listing` is nil when the server refused the FETCH (some refuse `n:*` in an empty
    /// folder): ask `searchUIDs` then. (`n:*` always matches the highest UID even when it is
    /// below n; such a UID is not listed.)
    public func select(_ folder: String? = nil, readOnly: Bool = false, listingFrom uid: UInt32)
        throws -> (mailbox: IMAPSelectedMailbox, listing: [UInt32: IMAPMessageInfo]?) {
        try select(folder, readOnly: readOnly, listing: max(uid, 1))
    }

    private func select(_ folder: String?, readOnly: Bool, listing low: UInt32?)
        throws -> (mailbox: IMAPSelectedMailbox, listing: [UInt32: IMAPMessageInfo]?) {
        let name = folder ?? defaultFolder
        selected = nil
        sequenceUIDs = [:]
        var exists: UInt32?
        var uidValidity: UInt32?
        var uidNext: UInt32?
        var flags: [String] = []
        var modSeq: UInt64?
        let command = IMAPCommand.select(name, readOnly: readOnly)
        let idTag = try sendPendingID()
        let tag = try send(command)
        let listCommand = low.map { IMAPCommand("UID FETCH", "\($0):* (UID RFC822.SIZE FLAGS)") }
        let listTag = try listCommand.map { try send($0) }
        try readIDAnswer(idTag)
        let status = try waitFor(tag) { untagged in
            switch untagged {
            case let .exists(count): exists = count
            case let .status(response):
                switch response.code {
                case let .uidValidity(value)?: uidValidity = value
                case let .uidNext(value)?: uidNext = value
                case let .permanentFlags(value)?: flags = value
                case let .highestModSeq(value)?: modSeq = value
                default: break
                }
            default: break
            }
        }
        var mailbox: IMAPSelectedMailbox?
        if status.status == .ok, let uidValidity {
            mailbox = IMAPSelectedMailbox(name: name, uidValidity: uidValidity, uidNext: uidNext, exists: exists ?? 0,
                                          readOnly: readOnly || status.code == .readOnly,
                                          permanentFlags: flags, highestModSeq: modSeq)
            selected = mailbox
        }
        // The listing's answer is read whatever SELECT said, so the stream stays in step.
        var listing: [UInt32: IMAPMessageInfo]?
        if let listTag, let low {
            var found: [UInt32: IMAPMessageInfo] = [:]
            let listStatus = try waitFor(listTag) { untagged in
                if case let .fetch(sequence, attributes) = untagged, let uid = attributes.uid ?? self.sequenceUIDs[sequence],
                   uid >= low {
                    let known = found[uid]
                    found[uid] = IMAPMessageInfo(uid: uid, size: attributes.rfc822Size ?? known?.size,
                                                 flags: attributes.flags ?? known?.flags ?? [])
                }
            }
            if listStatus.status == .ok { listing = found }
        }
        try check(status, command)
        guard let mailbox else {
            throw MailSourceError.protocolViolation("\(address): \(command.verb) \(name) did not report UIDVALIDITY")
        }
        return (mailbox, listing)
    }

    /// Creates a mailbox; one that already exists is fine.
    public func create(_ folder: String) throws {
        let command = IMAPCommand.create(folder)
        let status = try run(command) { _ in }
        if status.status == .no, case let .other(name, _)? = status.code, name == "ALREADYEXISTS" { return }
        try check(status, command)
    }

    /// NOOP: lets the server announce new messages (updates `selected.exists`).
    public func noop() throws {
        try runChecked(.noop) { _ in }
    }

    /// UIDs ≥ `uid` in the selected mailbox, ascending. (`n:*` always matches the highest
    /// UID even when it is below n; such a UID is not returned.)
    public func searchUIDs(from uid: UInt32) throws -> [UInt32] {
        let low = max(uid, 1)
        return try search("UID \(low):*").filter { $0 >= low }
    }

    /// UIDs of the messages without \Seen, ascending.
    public func searchUnseen() throws -> [UInt32] {
        try search("UNSEEN")
    }

    /// UIDs matching a raw search key (e.g. "UNDELETED"), ascending. ESEARCH when offered,
    /// else windows of `searchWindow` sequence numbers so no response is unbounded.
    public func search(_ criteria: String) throws -> [UInt32] {
        let mailbox = try requireSelected("SEARCH")
        if hasCapability("ESEARCH") {
            let command = IMAPCommand.uidSearch(criteria, esearch: true)
            let tag = try send(command)
            var found = IMAPSequenceSet([UInt32]())
            let status = try waitFor(tag) { untagged in
                if case let .esearch(result) = untagged, result.tag == nil || result.tag == tag, let all = result.all {
                    found = all
                }
            }
            try check(status, command)
            let limit = Int(max(mailbox.exists, selected?.exists ?? 0)) + 100_000
            guard let uids = found.expanded(limit: limit) else {
                throw fail(MailSourceError.protocolViolation("\(address): ESEARCH claimed \(found.count) UIDs in a mailbox of \(mailbox.exists) messages"))
            }
            return uids
        }
        var found = Set<UInt32>()
        var start: UInt32 = 1
        while true {
            let current = selected?.exists ?? mailbox.exists
            let window = max(options.searchWindow, 1)
            let end = start.addingReportingOverflow(window - 1).overflow ? UInt32.max : start + window - 1
            let last = current <= window || end >= current
            let range = current <= window ? "" : (last ? "\(start):* " : "\(start):\(end) ")
            let expungesBefore = expungeCount
            try runChecked(.uidSearch(range + criteria)) { untagged in
                if case let .search(uids) = untagged { found.formUnion(uids) }
            }
            if last { break }
            // Messages expunged meanwhile shift sequence numbers down: overlap the next window.
            let shift = UInt32(clamping: expungeCount - expungesBefore)
            start = max(end + 1 - min(shift, end), start + 1)
        }
        return found.sorted()
    }

    /// Size and flags of each UID the server answered for (`UID FETCH set (UID RFC822.SIZE
    /// FLAGS)`); a UID missing from the result may be gone or may be a server's silence: only
    /// a fresh search tells.
    public func fetchSizes(_ uids: [UInt32]) throws -> [UInt32: IMAPMessageInfo] {
        let wanted = Set(uids)
        var result: [UInt32: IMAPMessageInfo] = [:]
        try pipeline(sets(uids).map { .uidFetch($0, "(UID RFC822.SIZE FLAGS)") }) { untagged in
            if case let .fetch(sequence, attributes) = untagged, let uid = attributes.uid ?? self.sequenceUIDs[sequence],
               wanted.contains(uid) {
                let known = result[uid]
                result[uid] = IMAPMessageInfo(uid: uid, size: attributes.rfc822Size ?? known?.size,
                                              flags: attributes.flags ?? known?.flags ?? [])
            }
        }
        return result
    }

    /// The raw bytes of each UID, exactly as the server serves them, handed to `each` in the
    /// server's order; `BODY.PEEK[]` leaves \Seen alone. Batches of `fetchBatchCount` UIDs
    /// and (by `sizes`, when given) `fetchBatchBytes` bytes per command, `pipelineDepth`
    /// commands in flight.
    ///
    /// Every UID asked for ends either handed to `each` or in the returned failures: a NIL
    /// body, no FETCH response carrying its body, a response the parser could not read, or a
    /// NO to its command (with the server's words). Unsolicited FETCH, EXPUNGE and EXISTS
    /// responses in the middle of the answers are bookkeeping (RFC 3501 §7.4). A literal
    /// above `maxSize`, or a connection that ends or stalls inside a response, closes the
    /// session and throws `IMAPFetchInterrupted` naming the message it was about. If `each`
    /// throws, the remaining responses are read and dropped, then the error is rethrown.
    public func fetchBodies(_ uids: [UInt32], maxSize: Int, sizes: [UInt32: UInt64] = [:],
                            each: (UInt32, [UInt8]) throws -> Void) throws -> [UInt32: IMAPFetchFailure] {
        let wanted = Set(uids)
        var delivered = Set<UInt32>()
        var nilBody: Set<UInt32> = []
        var unreadable: [UInt32: IMAPUnparsable] = [:]
        var unattributed: [IMAPUnparsable] = []
        var refused: [UInt32: IMAPFetchFailure] = [:]
        let groups = batches(wanted.sorted(), sizes: sizes)
        try withLiteralLimit(maxSize) {
            try interruptible(among: wanted, delivered: { delivered }) {
                try pipeline(groups.map { IMAPCommand.uidFetch($0, "(UID BODY.PEEK[])") }, refused: { index, status in
                    let failure = self.fetchRefusal(status)
                    for uid in groups[index].expanded(limit: Int.max) ?? [] where wanted.contains(uid) { refused[uid] = failure }
                }) { untagged in
                    switch untagged {
                    case let .fetch(sequence, attributes):
                        guard let uid = attributes.uid ?? self.sequenceUIDs[sequence], wanted.contains(uid),
                              !delivered.contains(uid) else { return }  // unsolicited, or a repeat
                        guard let body = attributes.body else {
                            if attributes.other["BODY[]"] == .nil || attributes.other["RFC822"] == .nil { nilBody.insert(uid) }
                            return  // FLAGS news about a message asked for: its body may still come
                        }
                        guard case let .bytes(bytes) = body else { return }
                        delivered.insert(uid)
                        try each(uid, bytes)
                    case let .unparsable(response):
                        if let uid = response.uid ?? response.sequence.flatMap({ self.sequenceUIDs[$0] }), wanted.contains(uid) {
                            unreadable[uid] = response
                        } else {
                            unattributed.append(response)
                        }
                    default:
                        break
                    }
                }
            }
        }
        var failures: [UInt32: IMAPFetchFailure] = [:]
        for uid in wanted.subtracting(delivered) {
            if let response = unreadable[uid] ?? (unattributed.count == 1 ? unattributed[0] : nil) {
                failures[uid] = IMAPFetchFailure(reason: "\(address) sent a response Mailgate cannot read (\(response.reason)): \(response.excerpt)")
            } else if nilBody.contains(uid) {
                failures[uid] = IMAPFetchFailure(reason: "\(address) answered BODY[] NIL for UID \(uid) although it listed the message")
            } else if let failure = refused[uid] {
                failures[uid] = failure
            } else {
                failures[uid] = IMAPFetchFailure(reason: "\(address) sent no FETCH response with the body of UID \(uid)")
            }
        }
        return failures
    }

    /// What one message streamed with `fetchBody` came to.
    public enum BodyFetch: Equatable {
        /// Streamed whole; its length in bytes.
        case fetched(size: UInt64)
        case failed(IMAPFetchFailure)
    }

    /// One message streamed to `sink` in pieces as it arrives (for large messages: never held
    /// whole). If `sink` throws, the error is rethrown and the session is unusable (the rest
    /// of the literal is unread); a literal above `maxSize` or a broken connection throws
    /// `IMAPFetchInterrupted` as for `fetchBodies`.
    public func fetchBody(_ uid: UInt32, maxSize: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) throws -> BodyFetch {
        try withoutActuallyEscaping(sink) { sink in
            decoder.framer.literalSink = { start in start.follows("BODY[]") ? sink : nil }
            defer {
                // A connection cut inside the literal leaves the sink in the framer: drop it
                // before the non-escaping closure's lifetime ends (else a trap).
                decoder.framer.literalSink = nil
                decoder.framer.detachLiteralSink()
            }
            var size: UInt64?
            var nilBody = false
            var unreadable: IMAPUnparsable?
            var refusal: IMAPFetchFailure?
            try withLiteralLimit(maxSize) {
                try interruptible(among: [uid], delivered: { size == nil ? [] : [uid] }) {
                    try pipeline([.uidFetch(IMAPSequenceSet([uid]), "(UID BODY.PEEK[])")],
                                 refused: { _, status in refusal = self.fetchRefusal(status) }) { untagged in
                        switch untagged {
                        case let .fetch(sequence, attributes):
                            guard attributes.uid ?? self.sequenceUIDs[sequence] == uid, size == nil else { return }
                            guard let body = attributes.body else {
                                if attributes.other["BODY[]"] == .nil { nilBody = true }
                                return
                            }
                            switch body {
                            case let .streamed(count): size = UInt64(count)
                            case let .bytes(bytes): // not announced as BODY[] right before the literal; hand it over whole
                                try bytes.withUnsafeBytes { try sink($0) }
                                size = UInt64(bytes.count)
                            }
                        case let .unparsable(response):
                            unreadable = response
                        default:
                            break
                        }
                    }
                }
            }
            if let size { return .fetched(size: size) }
            if let unreadable {
                return .failed(IMAPFetchFailure(reason: "\(address) sent a response Mailgate cannot read (\(unreadable.reason)): \(unreadable.excerpt)"))
            }
            if nilBody { return .failed(IMAPFetchFailure(reason: "\(address) answered BODY[] NIL for UID \(uid) although it listed the message")) }
            return .failed(refusal ?? IMAPFetchFailure(reason: "\(address) sent no FETCH response with the body of UID \(uid)"))
        }
    }

    /// A NO/BAD to a `UID FETCH`: the failure of every message of that command.
    private func fetchRefusal(_ status: IMAPStatusResponse) -> IMAPFetchFailure {
        let answer = status.status.rawValue + (status.code.map { " [\($0.name)]" } ?? "")
        return IMAPFetchFailure(reason: "\(address) refused UID FETCH (\(answer)): \(status.text)",
                                expungeIssued: status.code?.name == "EXPUNGEISSUED")
    }

    /// Runs a body fetch; when the session breaks inside it, throws `IMAPFetchInterrupted`
    /// naming the message whose response was being read (from the partial response's first
    /// line, else the only one not yet delivered).
    private func interruptible(among wanted: Set<UInt32>, delivered: () -> Set<UInt32>, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as MailSourceError where broken != nil {
            let line = decoder.framer.responseInProgress
            var uid = line.flatMap { IMAPResponseLine.uid($0) ?? IMAPResponseLine.fetchSequence($0).flatMap { sequenceUIDs[$0] } }
            let missing = wanted.subtracting(delivered())
            if uid.map({ !missing.contains($0) }) ?? true { uid = missing.count == 1 ? missing.first : nil }
            throw IMAPFetchInterrupted(uid: uid, literalTooLarge: refusedLiteralSize, underlying: error)
        }
    }

    /// Message-ID and size per UID (`BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]`), to recognise
    /// messages already seen after a UIDVALIDITY change.
    public func fetchMessageIDs(_ uids: [UInt32]) throws -> [UInt32: IMAPMessageIdentity] {
        let wanted = Set(uids)
        var result: [UInt32: IMAPMessageIdentity] = [:]
        let items = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        try pipeline(sets(uids).map { .uidFetch($0, items) }) { untagged in
            guard case let .fetch(_, attributes) = untagged, let uid = attributes.uid, wanted.contains(uid),
                  let size = attributes.rfc822Size else { return }
            var header: [UInt8] = []
            for (name, value) in attributes.sections where name.hasPrefix("BODY[HEADER.FIELDS") {
                if case let .bytes(bytes) = value { header = bytes }
            }
            result[uid] = IMAPMessageIdentity(uid: uid, messageID: Self.headerValue("message-id", in: header), size: size)
        }
        return result
    }

    /// `UID STORE set +FLAGS.SILENT (\Seen)`.
    public func markSeen(_ uids: [UInt32]) throws {
        try store(uids, flag: "\\Seen")
    }

    /// Flags the UIDs \Deleted and, with UIDPLUS, expunges exactly those (`UID EXPUNGE`).
    /// Returns false when the server lacks UIDPLUS: the messages are only flagged (a plain
    /// EXPUNGE would also remove messages other clients flagged).
    @discardableResult
    public func delete(_ uids: [UInt32]) throws -> Bool {
        // STORE and UID EXPUNGE in one flight: UID EXPUNGE removes only messages that carry
        // \Deleted, so one whose STORE was refused stays, and the refusal is thrown.
        let uidplus = hasCapability("UIDPLUS")
        let stores = sets(uids).map { IMAPCommand.uidStore($0, "+FLAGS.SILENT", flags: ["\\Deleted"]) }
        try pipeline(stores + (uidplus ? sets(uids).map { .uidExpunge($0) } : [])) { _ in }
        return uidplus
    }

    /// Moves the UIDs to `folder`: `UID MOVE` with MOVE, else `UID COPY` and `delete`.
    /// Returns false when the originals could only be flagged \Deleted (no MOVE, no UIDPLUS).
    @discardableResult
    public func move(_ uids: [UInt32], to folder: String) throws -> Bool {
        if hasCapability("MOVE") {
            try pipeline(sets(uids).map { .uidMove($0, to: folder) }) { _ in }
            return true
        }
        try pipeline(sets(uids).map { .uidCopy($0, to: folder) }) { _ in }
        return try delete(uids)
    }

    /// IDLE (RFC 2177) for at most `seconds`: returns true as soon as the server announces
    /// new mail (an EXISTS above the count known just before it), false when the time
    /// passed quietly. Ends IDLE with DONE either way, so the session can go on. To stop it
    /// early from another thread, `CurlConnection.interrupt()` (the session is then over).
    public func idle(for seconds: Double) throws -> Bool {
        _ = try requireSelected("IDLE")
        guard hasCapability("IDLE") else {
            throw MailSourceError.configuration("\(address) does not offer IDLE; poll instead")
        }
        let command = IMAPCommand("IDLE")
        let tag = try send(command)
        var newMail = false
        func observeArrival(_ untagged: IMAPUntagged) throws {
            let known = selected?.exists ?? 0
            try observe(untagged)
            if case let .exists(count) = untagged, count > known { newMail = true }
        }
        // The server accepts with "+" (or refuses with a tagged NO/BAD).
        accepting: while true {
            switch try nextResponse() {
            case .continuation: break accepting
            case let .untagged(untagged): try observeArrival(untagged)
            case let .tagged(answered, status):
                guard answered == tag else { throw unexpectedTag(answered, expected: tag) }
                try check(status, command)
                return newMail
            }
        }
        let deadline = monotonicSeconds() + max(0, seconds)
        waiting: while !newMail {
            let response: IMAPResponse?
            do { response = try decoder.next() } catch { throw fail(error) }
            switch response {
            case let .untagged(untagged)?:
                try observeArrival(untagged)
            case let .tagged(answered, status)?: // the server ended IDLE itself
                guard answered == tag else { throw unexpectedTag(answered, expected: tag) }
                try check(status, command)
                return newMail
            case .continuation?:
                continue
            case nil:
                let remaining = deadline - monotonicSeconds()
                if remaining <= 0 { break waiting }
                do {
                    let count = try stream.receive(into: readBuffer, waitingAtMost: remaining)
                    if count == 0 { break waiting }
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                } catch {
                    throw fail(error)
                }
            }
        }
        do { try stream.send(Array("DONE\r\n".utf8)) } catch { throw fail(error) }
        let known = selected?.exists ?? 0
        try check(try waitFor(tag) { _ in }, command)
        return newMail || (selected?.exists ?? 0) > known
    }

    /// Writes LOGOUT and closes the connection without waiting for the answer: everything
    /// that mattered was answered before (a STORE's OK is read before the store marks the
    /// message done), and a server ends the session on LOGOUT or on the close alike, so
    /// waiting would only add a round trip to every poll. What already arrived (news sent
    /// while idle) is read first: closing a socket with unread bytes resets the connection,
    /// and the server could drop the LOGOUT with it. Never throws: a connection that broke on
    /// the way out changes nothing.
    public func logout() {
        defer { connection?.close() }
        guard broken == nil, !loggingOut else { return }
        loggingOut = true
        try? stream.send(IMAPCommand.logout.encoded(tag: tags.nextTag()))
        commandCount += 1
        for _ in 0..<64 {  // bounded: a server that keeps talking is cut off all the same
            guard let count = try? stream.receive(into: readBuffer, waitingAtMost: 0), count > 0 else { break }
        }
    }

    // MARK: machinery

    private func store(_ uids: [UInt32], flag: String) throws {
        try pipeline(sets(uids).map { .uidStore($0, "+FLAGS.SILENT", flags: [flag]) }) { _ in }
    }

    private func sets(_ uids: [UInt32]) -> [IMAPSequenceSet] {
        IMAPSequenceSet(uids.filter { $0 > 0 }).split(maxLength: max(options.maxSetLength, 21))
    }

    /// Consecutive groups of at most `fetchBatchCount` UIDs and (as far as known)
    /// `fetchBatchBytes` bytes, each rendered as one set.
    private func batches(_ sortedUIDs: [UInt32], sizes: [UInt32: UInt64]) -> [IMAPSequenceSet] {
        var result: [IMAPSequenceSet] = []
        var batch: [UInt32] = []
        var bytes: UInt64 = 0
        for uid in sortedUIDs where uid > 0 {
            let size = sizes[uid] ?? 0
            if !batch.isEmpty && (batch.count >= max(options.fetchBatchCount, 1) || bytes + size > options.fetchBatchBytes) {
                result += IMAPSequenceSet(batch).split(maxLength: max(options.maxSetLength, 21))
                batch = []
                bytes = 0
            }
            batch.append(uid)
            bytes += size
        }
        if !batch.isEmpty { result += IMAPSequenceSet(batch).split(maxLength: max(options.maxSetLength, 21)) }
        return result
    }

    private func withLiteralLimit<T>(_ limit: Int, _ body: () throws -> T) throws -> T {
        let saved = decoder.framer.maxLiteralSize
        decoder.framer.maxLiteralSize = max(0, min(limit, options.maxLiteralSize))
        defer { decoder.framer.maxLiteralSize = saved }
        return try body()
    }

    private func requireSelected(_ what: String) throws -> IMAPSelectedMailbox {
        guard let selected else {
            throw MailSourceError.configuration("\(address): \(what) needs a selected folder (call select first)")
        }
        return selected
    }

    /// Writes one tagged command; returns its tag.
    private func send(_ command: IMAPCommand) throws -> String {
        if let broken { throw broken }
        let tag = tags.nextTag()
        do {
            try stream.send(command.encoded(tag: tag))
        } catch {
            throw fail(error)
        }
        commandCount += 1
        if awaitingAnswers == 0 { roundTrips += 1 }
        awaitingAnswers += 1
        return tag
    }

    private func run(_ command: IMAPCommand, _ handler: (IMAPUntagged) throws -> Void) throws -> IMAPStatusResponse {
        try waitFor(try send(command), handler)
    }

    private func runChecked(_ command: IMAPCommand, _ handler: (IMAPUntagged) throws -> Void) throws {
        try check(try run(command, handler), command)
    }

    /// Sends `commands` keeping `pipelineDepth` in flight (the next one is written before the
    /// previous one's response is read). After a NO/BAD or an error thrown by `handler`, sends
    /// nothing more, reads the answers to what is in flight, then throws the first error.
    /// With `refused`, a NO/BAD is handed to it (with the command's index) and the pipeline
    /// goes on: it concerns that command's messages only.
    private func pipeline(_ commands: [IMAPCommand], refused: ((Int, IMAPStatusResponse) -> Void)? = nil,
                          _ handler: (IMAPUntagged) throws -> Void) throws {
        var inFlight: [(tag: String, index: Int)] = []
        var next = 0
        var firstError: Error?
        let depth = max(options.pipelineDepth, 1)
        while true {
            while firstError == nil, inFlight.count < depth, next < commands.count {
                inFlight.append((try send(commands[next]), next))
                next += 1
            }
            guard !inFlight.isEmpty else { break }
            let (tag, index) = inFlight.removeFirst()
            do {
                let status = try waitFor(tag, firstError == nil ? handler : { _ in })
                if firstError == nil, status.status != .ok {
                    if let refused { refused(index, status) } else { firstError = commandError(status, commands[index]) }
                }
            } catch {
                if broken != nil { throw error }
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    /// Reads responses until the tagged one for `tag`. Untagged ones go through the session's
    /// bookkeeping, then to `handler`; if the handler throws, reading continues to the tagged
    /// response (so the stream stays in step) and then the handler's error is thrown.
    private func waitFor(_ tag: String, _ handler: (IMAPUntagged) throws -> Void) throws -> IMAPStatusResponse {
        var handlerError: Error?
        while true {
            switch try nextResponse() {
            case .continuation:
                throw fail(MailSourceError.protocolViolation("\(address) asked for a continuation Mailgate never announced"))
            case let .untagged(untagged):
                try observe(untagged)
                if handlerError == nil {
                    do { try handler(untagged) } catch { handlerError = error }
                }
            case let .tagged(answered, status):
                guard answered == tag else { throw unexpectedTag(answered, expected: tag) }
                awaitingAnswers -= 1
                if let code = status.code { observe(code) }
                if status.code == .alert { alerts.append(status.text) }
                if let handlerError { throw handlerError }
                return status
            }
        }
    }

    private func unexpectedTag(_ answered: String, expected tag: String) -> Error {
        fail(MailSourceError.protocolViolation("\(address) answered tag \(answered) while \(tag) was expected"))
    }

    private func nextResponse() throws -> IMAPResponse {
        while true {
            do {
                if let response = try decoder.next() { return response }
            } catch {
                throw fail(error)
            }
            if let broken { throw broken }
            do {
                let count = try stream.receive(into: readBuffer, waitingAtMost: nil)
                try decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            } catch {
                throw fail(error)
            }
        }
    }

    /// Bookkeeping common to all commands.
    private func observe(_ untagged: IMAPUntagged) throws {
        switch untagged {
        case let .capability(names):
            setCapabilities(names)
        case let .status(response):
            if let code = response.code { observe(code) }
            if response.code == .alert { alerts.append(response.text) }
            if response.status == .bye {
                throw fail(MailSourceError.temporary("\(address) closed the session: \(response.text)"))
            }
        case let .exists(count):
            selected?.exists = count
        case let .expunge(sequence):
            expungeCount += 1
            if let exists = selected?.exists, exists > 0 { selected?.exists = exists - 1 }
            if !sequenceUIDs.isEmpty { forget(sequence: sequence) }
        case let .fetch(sequence, attributes):
            if let uid = attributes.uid { sequenceUIDs[sequence] = uid }
        default:
            break
        }
    }

    /// EXPUNGE n: message n is gone and every later one moves down by one (RFC 3501 §7.4.1).
    private func forget(sequence: UInt32) {
        var shifted: [UInt32: UInt32] = [:]
        shifted.reserveCapacity(sequenceUIDs.count)
        for (number, uid) in sequenceUIDs where number != sequence {
            shifted[number > sequence ? number - 1 : number] = uid
        }
        sequenceUIDs = shifted
    }

    private func observe(_ code: IMAPResponseCode) {
        if case let .capability(names) = code { setCapabilities(names) }
    }

    private func check(_ status: IMAPStatusResponse, _ command: IMAPCommand) throws {
        if status.status != .ok { throw commandError(status, command) }
    }

    /// NO/BAD as a typed error with the server's words; the session stays usable. Response
    /// codes decide (RFC 5530): the server's trouble is temporary (75), a refusal of this
    /// user is 77, a folder or TLS requirement the config must change is 78; BAD means
    /// Mailgate sent what the server cannot take (70); any other NO is temporary.
    private func commandError(_ status: IMAPStatusResponse, _ command: IMAPCommand) -> MailSourceError {
        let answer = status.status.rawValue + (status.code.map { " [\($0.name)]" } ?? "")
        let message = "\(address) refused \(command.verb) (\(answer)): \(status.text)"
        let selecting = command.verb == "SELECT" || command.verb == "EXAMINE"
        switch status.code?.name {
        case "UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT", "OVERQUOTA", "EXPUNGEISSUED":
            return .temporary(message)
        case "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED", "CONTACTADMIN", "NOPERM":
            return .authenticationFailed(message)
        case "PRIVACYREQUIRED", "TRYCREATE":
            return .configuration(message)
        case "NONEXISTENT" where selecting:
            return .configuration(message)
        default:
            if status.status == .bad { return .commandRejected(message) }
            // Dovecot 2.3 says "NO Mailbox doesn't exist" without [NONEXISTENT]: a wrong folder
            // in the url will not heal by itself.
            if selecting && status.code == nil && Self.saysMissing(status.text) { return .configuration(message) }
            return .temporary(message)
        }
    }

    private static func saysMissing(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("doesn't exist") || lower.contains("does not exist") || lower.contains("no such mailbox")
            || lower.contains("unknown mailbox")
    }

    /// Marks the session unusable and closes the connection; returns the error to throw.
    private func fail(_ error: Error) -> Error {
        let reported: Error
        switch error {
        case let IMAPCodecError.literalTooLarge(claimed, limit):
            refusedLiteralSize = claimed
            reported = MailSourceError.temporary(
                "\(address) announced a message of \(claimed) bytes, above the limit of \(limit) bytes: the connection was closed rather than download it")
        case let codec as IMAPCodecError:
            reported = MailSourceError.protocolViolation("\(address): \(codec)")
        default:
            reported = error
        }
        if broken == nil {
            broken = reported as? MailSourceError
                ?? MailSourceError.temporary("\(address): the session was abandoned in mid-response after an error")
            connection?.close()
        }
        return reported
    }

    /// The unfolded, trimmed value of header `name` (lower-case) in a header block.
    static func headerValue(_ name: String, in header: [UInt8]) -> String? {
        var lines: [[UInt8]] = []
        for raw in header.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            if let first = line.first, first == 0x20 || first == 0x09, !lines.isEmpty {
                lines[lines.count - 1] += line
            } else {
                lines.append(line)
            }
        }
        let wanted = Array(name.utf8)
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let field = line[..<colon].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
            guard field == wanted else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
                .trimmingBlanks()
            return value.isEmpty ? nil : value
        }
        return nil
    }
}

private extension String {
    func trimmingBlanks() -> String {
        let blanks: Set<Unicode.Scalar> = [" ", "\t"]
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, blanks.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, blanks.contains(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
