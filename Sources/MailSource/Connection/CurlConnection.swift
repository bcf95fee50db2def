import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to an IMAP or POP3 server. libcurl connects (`CURLOPT_CONNECT_ONLY`),
/// does TLS or STARTTLS/STLS and logs in; after that the session speaks the protocol itself
/// through `send` and `receive` (`curl_easy_send`/`curl_easy_recv`), waiting with `poll(2)`.
///
/// Blocking: use it from one (dedicated) thread at a time, never from the cooperative pool.
///
/// libcurl notes:
/// - The greeting and the server's answers during login are captured through
///   `CURLOPT_HEADERFUNCTION` (libcurl hands every "pingpong" response line to it), so
///   `greeting` and the server's words on a refused login are available without
///   `CURLOPT_VERBOSE` (never used: it would print the login).
/// - `caFile` becomes `CURLOPT_CAINFO`, which *replaces* the system CA bundle.
/// - `close()` shuts the socket down before `curl_easy_cleanup`, because libcurl's cleanup
///   would otherwise send its own QUIT (POP3: commits DELEs!) or LOGOUT and wait for it.
public final class CurlConnection: ByteStream, @unchecked Sendable {
    public let endpoint: Endpoint
    /// The server's first line (`+OK Dovecot ready.`, `* OK [CAPABILITY …] ready`), if seen.
    public let greeting: String?
    /// The server's lines during connect and login (greeting, CAPA/CAPABILITY answers,
    /// login answers), without line ends. Never contains what the client sent.
    public let loginResponses: [String]

    private var handle: UnsafeMutableRawPointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let redactor: Redactor
    /// The connection's socket, for waiting (IMAP IDLE). -1 once closed.
    public private(set) var socket: Int32
    /// The socket as it was at connect, for `interrupt()`.
    private let interruptSocket: Int32
    /// Guards `handle` between `close()` and `interrupt()` (another thread).
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    /// Connects, secures and logs in. Throws `MailSourceError` (never containing `secret`).
    /// `secret` is the password, or the OAuth2 access token for `.xoauth2`/`.oauthbearer`/`.oauth2`.
    ///
    /// `login: false` (implicit TLS or none, no STARTTLS): libcurl only connects and does the
    /// TLS handshake, and the caller reads the greeting and logs in itself. libcurl's IMAP
    /// login always asks CAPABILITY first, a round trip the greeting's capabilities make
    /// needless. It is asked for an http(s) URL, for which `CURLOPT_CONNECT_ONLY` stops right
    /// after the handshake (no ALPN: the server speaks IMAP, not HTTP); certificate checks,
    /// the CA file and the proxy tunnel are the same.
    public init(endpoint: Endpoint, secret: String, login: Bool = true) throws {
        precondition(login || endpoint.tls != .starttls, "STARTTLS happens inside the protocol: libcurl must log in")
        self.endpoint = endpoint
        let redactor = Redactor(secret: secret, user: endpoint.user)
        self.redactor = redactor
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let initResult = mg_global_init()
        guard initResult == CURLE_OK else {
            errorBuffer.deallocate()
            throw MailSourceError.configuration("libcurl could not initialise: \(CurlConnection.text(of: initResult))")
        }
        mg_ignore_sigpipe()
        guard let h = curl_easy_init() else {
            errorBuffer.deallocate()
            throw MailSourceError.temporary("libcurl could not create a handle (out of memory?)")
        }

        let transcript = Transcript()
        let transcriptRef = Unmanaged.passRetained(transcript)
        defer { transcriptRef.release() }

        var setupError: MailSourceError?
        func set(_ option: CURLoption, _ value: Int) {
            let rc = mg_setopt_long(h, option, value)
            if rc != CURLE_OK && setupError == nil {
                setupError = .configuration("libcurl refused option \(option.rawValue): \(CurlConnection.text(of: rc))")
            }
        }
        func set(_ option: CURLoption, _ value: String) {
            let rc = mg_setopt_string(h, option, value)
            if rc != CURLE_OK && setupError == nil {
                setupError = .configuration("libcurl refused option \(option.rawValue): \(CurlConnection.text(of: rc))")
            }
        }
        func ms(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded(.up))) }
        func s(_ seconds: Double) -> Int { max(1, Int(seconds.rounded(.up))) }

        if login {
            set(CURLOPT_URL, endpoint.url)
            set(CURLOPT_PROTOCOLS_STR, "imap,imaps,pop3,pop3s")
        } else {
            let host = endpoint.host.contains(":") && !endpoint.host.hasPrefix("[") ? "[\(endpoint.host)]" : endpoint.host
            set(CURLOPT_URL, "\(endpoint.tls == .implicit ? "https" : "http")://\(host):\(endpoint.port)/")
            set(CURLOPT_PROTOCOLS_STR, "http,https")
            set(CURLOPT_SSL_ENABLE_ALPN, 0)
        }
        set(CURLOPT_CONNECT_ONLY, 1)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, ms(endpoint.timeouts.connect))
        set(CURLOPT_SERVER_RESPONSE_TIMEOUT, s(endpoint.timeouts.command))
        set(CURLOPT_LOW_SPEED_LIMIT, 1)
        set(CURLOPT_LOW_SPEED_TIME, s(endpoint.timeouts.lowSpeed))
        if login { set(CURLOPT_USERNAME, endpoint.user) }
        switch endpoint.auth {
        case _ where !login: break
        case .auto:
            set(CURLOPT_PASSWORD, secret)
        case .plain:
            set(CURLOPT_PASSWORD, secret)
            set(CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN")
        case .login:
            set(CURLOPT_PASSWORD, secret)
            set(CURLOPT_LOGIN_OPTIONS, "AUTH=LOGIN")
        case .xoauth2:
            set(CURLOPT_XOAUTH2_BEARER, secret)
            set(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2")
        case .oauthbearer:
            set(CURLOPT_XOAUTH2_BEARER, secret)
            set(CURLOPT_LOGIN_OPTIONS, "AUTH=OAUTHBEARER")
        case .oauth2:
            set(CURLOPT_XOAUTH2_BEARER, secret)
            set(CURLOPT_LOGIN_OPTIONS, "AUTH=OAUTHBEARER;AUTH=XOAUTH2")  // libcurl tries OAUTHBEARER first
        }
        switch endpoint.tls {
        case .implicit: break  // the imaps/pop3s URL scheme
        case .starttls: set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .none: set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        if let ca = endpoint.caFile { set(CURLOPT_CAINFO, ca) }
        if !endpoint.verifyTLS {
            set(CURLOPT_SSL_VERIFYPEER, 0)
            set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let proxy = endpoint.proxy, !proxy.isEmpty {
            set(CURLOPT_PROXY, proxy)
            set(CURLOPT_HTTPPROXYTUNNEL, 1)
        }
        _ = mg_setopt_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = mg_setopt_write_callback(h, CURLOPT_HEADERFUNCTION, curlHeaderLine)
        _ = mg_setopt_pointer(h, CURLOPT_HEADERDATA, transcriptRef.toOpaque())

        var performResult = CURLE_OK
        if setupError == nil {
            performResult = curl_easy_perform(h)
        }
        // The transcript must not be reachable from libcurl after this point.
        _ = mg_setopt_pointer(h, CURLOPT_HEADERDATA, nil)
        _ = mg_setopt_write_callback(h, CURLOPT_HEADERFUNCTION, nil)

        let lines = transcript.lines.map { redactor.redact($0) }
        greeting = lines.first
        loginResponses = lines

        if let setupError {
            curl_easy_cleanup(h)
            errorBuffer.deallocate()
            throw setupError.redacting(secret, user: endpoint.user)
        }
        if performResult != CURLE_OK {
            let detail = String(cString: errorBuffer)
            let err = CurlConnection.mapConnectError(performResult, detail: detail, endpoint: endpoint, lines: lines)
            CurlConnection.abandon(h)
            errorBuffer.deallocate()
            throw err.redacting(secret, user: endpoint.user)
        }
        var sock = curl_socket_t(-1)
        if mg_getinfo_socket(h, &sock) != CURLE_OK || sock < 0 {
            CurlConnection.abandon(h)
            errorBuffer.deallocate()
            throw MailSourceError.temporary("\(endpoint.address) closed the connection right after the login")
        }
        handle = h
        socket = Int32(sock)
        interruptSocket = Int32(sock)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        close()
        errorBuffer.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    public var isClosed: Bool { handle == nil }

    /// Drops the connection without any protocol goodbye (a POP3 server then discards the
    /// session's DELEs; send QUIT/LOGOUT first to end a session properly). Idempotent.
    public func close() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let h = handle else { return }
        handle = nil
        if socket >= 0 { _ = Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
        socket = -1
        curl_easy_cleanup(h)
    }

    /// Wakes a thread blocked in `receive`/`send` on this connection (it then fails with
    /// `MailSourceError.temporary`), by shutting the socket down. The one method that may be
    /// called from another thread (e.g. to cancel an IDLE wait); call `close()` afterwards from
    /// the thread that owns the connection.
    public func interrupt() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if handle != nil { _ = Glibc.shutdown(interruptSocket, Int32(SHUT_RDWR)) }
    }

    // MARK: sending

    /// Writes all of `bytes`; waits (poll) up to the command timeout whenever the socket is full.
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        guard let h = handle else { throw closedError() }
        var offset = 0
        var deadline = monotonicSeconds() + endpoint.timeouts.command
        while offset < bytes.count {
            var sent = 0
            errorBuffer[0] = 0
            let rc = curl_easy_send(h, bytes.baseAddress! + offset, bytes.count - offset, &sent)
            if rc == CURLE_OK {
                offset += sent
                if sent > 0 { deadline = monotonicSeconds() + endpoint.timeouts.command }
            } else if rc == CURLE_AGAIN {
                if try !waitForSocket(events: Int16(POLLOUT), until: deadline) {
                    throw MailSourceError.temporary(
                        "\(endpoint.address) accepted no data for \(formatSeconds(endpoint.timeouts.command)) (timed out after \(formatSeconds(endpoint.timeouts.command)))")
                }
            } else {
                throw transferError(rc, sending: true)
            }
        }
    }

    // MARK: receiving

    /// Reads what the server has sent (at least one byte) into `buffer`: keeps reading until
    /// libcurl says `CURLE_AGAIN` or the buffer is full, waiting with poll(2) only while nothing
    /// has arrived. See `ByteStream` for `waitingAtMost`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int {
        guard let h = handle else { throw closedError() }
        guard buffer.count > 0 else { return 0 }
        let wait = seconds ?? endpoint.timeouts.command
        let deadline = monotonicSeconds() + wait
        errorBuffer[0] = 0
        var total = 0
        while total < buffer.count {
            var got = 0
            let rc = curl_easy_recv(h, buffer.baseAddress! + total, buffer.count - total, &got)
            if rc == CURLE_OK {
                if got == 0 {  // orderly close by the server
                    if total > 0 { return total }
                    throw MailSourceError.temporary("\(endpoint.address) closed the connection")
                }
                total += got
            } else if rc == CURLE_AGAIN {
                if total > 0 { return total }
                if try !waitForSocket(events: Int16(POLLIN), until: deadline) {
                    if seconds != nil { return 0 }
                    throw MailSourceError.temporary(
                        "\(endpoint.address) sent nothing for \(formatSeconds(wait)) (timed out after \(formatSeconds(wait)))")
                }
            } else {
                if total > 0 { return total }  // report the error on the next call
                throw transferError(rc, sending: false)
            }
        }
        return total
    }

    /// Reads at least one byte (up to the command timeout) and appends what arrived to `bytes`.
    @discardableResult
    public func receive(into bytes: inout [UInt8], maximum: Int = 256 * 1024) throws -> Int {
        let old = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maximum))
        let n: Int
        do {
            n = try bytes.withUnsafeMutableBytes { raw in
                try receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[old...]), waitingAtMost: nil)
            }
        } catch {
            bytes.removeLast(maximum)
            throw error
        }
        bytes.removeLast(maximum - n)
        return n
    }

    // MARK: internals

    /// true: ready (or in error, which the next send/recv reports); false: the deadline passed.
    private func waitForSocket(events: Int16, until deadline: Double) throws -> Bool {
        while true {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: socket, events: events, revents: 0)
            let timeoutMs = Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up))
            let r = poll(&pfd, 1, max(1, timeoutMs))
            if r > 0 { return true }
            if r == 0 { continue }  // recheck the clock
            if errno == EINTR { continue }
            throw MailSourceError.temporary("waiting for \(endpoint.address) failed: \(String(cString: strerror(errno)))")
        }
    }

    private func closedError() -> MailSourceError {
        .temporary("the connection to \(endpoint.address) is closed")
    }

    private func transferError(_ rc: CURLcode, sending: Bool) -> MailSourceError {
        let detail = String(cString: errorBuffer)
        let why = detail.isEmpty ? CurlConnection.text(of: rc) : detail
        let msg = "the connection to \(endpoint.address) failed while \(sending ? "sending" : "receiving"): \(why)"
        return .temporary(redactor.redact(msg))
    }

    /// Cleans up a handle whose connection may be half-open, without letting libcurl start a
    /// QUIT/LOGOUT conversation on it.
    private static func abandon(_ h: UnsafeMutableRawPointer) {
        var sock = curl_socket_t(-1)
        if mg_getinfo_socket(h, &sock) == CURLE_OK && sock >= 0 {
            _ = Glibc.shutdown(Int32(sock), Int32(SHUT_RDWR))
        }
        curl_easy_cleanup(h)
    }

    static func text(of rc: CURLcode) -> String {
        String(cString: curl_easy_strerror(rc))
    }

    /// The server's words in its last refusal (`-ERR …`, `A1 NO …`), without the tag.
    static func serverRefusal(in lines: [String]) -> String? {
        for line in lines.reversed() {
            if line.hasPrefix("-ERR") {
                let words = line.dropFirst(4).drop(while: { $0 == " " })
                return words.isEmpty ? nil : String(words)
            }
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count >= 2, parts[0] != "*", parts[0] != "+",
               parts[1].uppercased() == "NO" || parts[1].uppercased() == "BAD" {
                return parts.count == 3 ? String(parts[2]) : nil
            }
        }
        return nil
    }

    static func mapConnectError(_ rc: CURLcode, detail: String, endpoint: Endpoint, lines: [String]) -> MailSourceError {
        let curlText = detail.isEmpty ? text(of: rc) : detail
        let at = endpoint.address
        switch rc {
        case CURLE_COULDNT_RESOLVE_HOST:
            return .hostNotFound("cannot resolve \(endpoint.host): \(curlText)")
        case CURLE_COULDNT_RESOLVE_PROXY:
            return .hostNotFound("cannot resolve the proxy \(endpoint.proxy ?? ""): \(curlText)")
        case CURLE_COULDNT_CONNECT:
            return .temporary("cannot connect to \(at): \(curlText)")
        case CURLE_OPERATION_TIMEDOUT:
            return .temporary("\(at) did not answer in time: \(curlText)")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .temporary("the connection to \(at) broke during login: \(curlText)")
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR, CURLE_REMOTE_ACCESS_DENIED:
            let words = serverRefusal(in: lines)
            let upper = (words ?? "").uppercased()
            for busy in ["[UNAVAILABLE]", "[SERVERBUG]", "[SYS/TEMP]", "[IN-USE]", "[INUSE]", "[LOGIN-DELAY]", "[LIMIT]"] where upper.contains(busy) {
                return .temporary("the server could not log \(endpoint.user) in now: \(words!)")
            }
            return .authenticationFailed("the server refused the login for \(endpoint.user): \(words ?? curlText)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE:
            return .configuration(
                "cannot verify the TLS certificate of \(at): \(curlText). If the server uses a private CA or a self-signed certificate, set tls_ca_file to its PEM file")
        case CURLE_USE_SSL_FAILED:
            return .configuration("\(at) does not offer STARTTLS (\(curlText)); use tls = \"implicit\" on the TLS port, or tls = \"none\" on a trusted network")
        case CURLE_SSL_CONNECT_ERROR:
            let lower = curlText.lowercased()
            if lower.contains("wrong version number") || lower.contains("unsupported protocol")
                || lower.contains("no protocols available") || lower.contains("packet length too long") {
                return .configuration("TLS handshake with \(at) failed: \(curlText); is the port a TLS port (check tls and port)?")
            }
            return .temporary("TLS handshake with \(at) failed: \(curlText)")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_BAD_FUNCTION_ARGUMENT,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CIPHER:
            return .configuration("libcurl cannot use \(endpoint.url): \(curlText)")
        case CURLE_WEIRD_SERVER_REPLY:
            return .protocolViolation("\(at) answered in a way libcurl does not understand: \(curlText)")
        default:
            return .temporary("talking to \(at) failed: \(curlText)")
        }
    }
}

/// The server's response lines during libcurl's connection phase.
private final class Transcript {
    var lines: [String] = []
    var bytes = 0
}

/// CURLOPT_HEADERFUNCTION: libcurl passes each server response line of IMAP/POP3.
private func curlHeaderLine(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let n = size * count
    guard let data, let context else { return n }
    let transcript = Unmanaged<Transcript>.fromOpaque(context).takeUnretainedValue()
    guard transcript.bytes < 64 * 1024 else { return n }
    transcript.bytes += n
    var bytes = Array(UnsafeRawBufferPointer(start: data, count: n))
    while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
    transcript.lines.append(String(decoding: bytes, as: UTF8.self))
    return n
}
