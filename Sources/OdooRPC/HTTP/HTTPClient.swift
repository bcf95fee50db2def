import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client over one libcurl easy handle, so consecutive requests reuse the
/// connection (keep-alive). Certificates are verified unless `verifyTLS` is false;
/// `caFile` becomes `CURLOPT_CAINFO`. Only `http` and `https` are allowed.
///
/// A POST body is fed through a read callback that cannot rewind: libcurl silently re-sends a
/// request whose reused connection died before any answer, which for `message_process` could
/// file a message twice. Without a rewind it fails instead (`OdooRPCError.dropped`), and the
/// caller asks Odoo (`search_count`) before sending again.
///
/// Use it from one thread at a time (a dedicated thread, never the cooperative pool).
/// The `Authorization` header is never logged: libcurl's verbose mode is never turned on.
public final class HTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]
    }

    public struct Options: Sendable {
        /// The whole request, connect to last byte (seconds).
        public var timeout: Double
        public var connectTimeout: Double
        public var caFile: String?
        public var verifyTLS: Bool
        /// Bodies above this are cut and the request fails (bytes).
        public var maxResponse: Int

        public init(timeout: Double = 60, connectTimeout: Double = 10, caFile: String? = nil, verifyTLS: Bool = true,
                    maxResponse: Int = 16 << 20) {
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.caFile = caFile
            self.verifyTLS = verifyTLS
            self.maxResponse = maxResponse
        }
    }

    private let handle: UnsafeMutableRawPointer
    private let options: Options
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init(options: Options) throws {
        guard mg_global_init() == CURLE_OK else { throw OdooRPCError.configuration("libcurl could not initialise") }
        mg_ignore_sigpipe()
        guard let h = curl_easy_init() else { throw OdooRPCError.transport("libcurl could not create a handle", requestSent: false) }
        handle = h
        self.options = options
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// `GET url`.
    public func get(_ url: String, headers: [String] = []) throws -> Response {
        try perform(url: url, body: nil, headers: headers)
    }

    /// `POST url` with `body`.
    public func post(_ url: String, body: [UInt8], headers: [String]) throws -> Response {
        try perform(url: url, body: body, headers: headers)
    }

    private func perform(url: String, body: [UInt8]?, headers: [String]) throws -> Response {
        let h = handle
        curl_easy_reset(h)
        errorBuffer[0] = 0
        func ms(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded(.up))) }
        _ = mg_setopt_string(h, CURLOPT_URL, url)
        _ = mg_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = mg_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = mg_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = mg_setopt_long(h, CURLOPT_TIMEOUT_MS, ms(options.timeout))
        _ = mg_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, ms(min(options.connectTimeout, options.timeout)))
        _ = mg_setopt_string(h, CURLOPT_USERAGENT, "Mailgate")
        if let ca = options.caFile { _ = mg_setopt_string(h, CURLOPT_CAINFO, ca) }
        if !options.verifyTLS {
            _ = mg_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0)
            _ = mg_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0)
        }
        _ = mg_setopt_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))

        var list: UnsafeMutablePointer<curl_slist>? = nil
        // No "Expect: 100-continue" round trip for large bodies.
        for header in headers + ["Expect:"] { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        _ = mg_setopt_pointer(h, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))

        let sink = ResponseSink(limit: options.maxResponse)
        let sinkRef = Unmanaged.passRetained(sink)
        defer { sinkRef.release() }
        _ = mg_setopt_write_callback(h, CURLOPT_WRITEFUNCTION, httpWriteBody)
        _ = mg_setopt_pointer(h, CURLOPT_WRITEDATA, sinkRef.toOpaque())

        let rc: CURLcode
        if let body {
            let source = RequestSource(body)
            let sourceRef = Unmanaged.passRetained(source)
            defer { sourceRef.release() }
            _ = mg_setopt_long(h, CURLOPT_POST, 1)
            _ = mg_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = mg_setopt_read_callback(h, CURLOPT_READFUNCTION, httpReadBody)
            _ = mg_setopt_pointer(h, CURLOPT_READDATA, sourceRef.toOpaque())
            rc = curl_easy_perform(h)
            _ = mg_setopt_pointer(h, CURLOPT_READDATA, nil)
        } else {
            rc = curl_easy_perform(h)
        }
        _ = mg_setopt_pointer(h, CURLOPT_WRITEDATA, nil)

        guard rc == CURLE_OK else { throw Self.error(rc, detail: String(cString: errorBuffer), url: url) }
        var status = 0
        _ = mg_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        var type: UnsafePointer<CChar>? = nil
        _ = mg_getinfo_string(h, CURLINFO_CONTENT_TYPE, &type)
        return Response(status: status, contentType: type.map { String(cString: $0) }, body: sink.bytes)
    }

    /// libcurl's failure as an `OdooRPCError`: certificate problems are configuration; a
    /// failure after the request went out (timeout, dropped connection, empty reply) may
    /// have been processed by Odoo (`requestSent`).
    static func error(_ rc: CURLcode, detail: String, url: String) -> OdooRPCError {
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
        let place = HTTPURL.origin(url)
        switch rc {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .configuration("the TLS certificate of \(place) was not accepted: \(text) (tls_ca_file, or tls_verify = false)")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .configuration("\(place): \(text)")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            return .transport("cannot reach \(place): \(text)", requestSent: false)
        case CURLE_WRITE_ERROR:
            return .transport("the answer of \(place) was larger than the limit", requestSent: true)
        case CURLE_GOT_NOTHING, CURLE_SEND_FAIL_REWIND, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .dropped("\(place) closed the connection without an answer: \(text)")
        default:
            return .transport("no answer from \(place): \(text)", requestSent: true)
        }
    }
}

private final class RequestSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private func httpReadBody(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let source = Unmanaged<RequestSource>.fromOpaque(context).takeUnretainedValue()
    let n = min(size * count, source.bytes.count - source.offset)
    guard n > 0 else { return 0 }
    source.bytes.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + source.offset, byteCount: n)
    }
    source.offset += n
    return n
}

private final class ResponseSink {
    var bytes: [UInt8] = []
    let limit: Int
    init(limit: Int) { self.limit = limit }
}

private func httpWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let n = size * count
    guard let data, let context else { return n }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    guard sink.bytes.count + n <= sink.limit else { return 0 }
    sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
    return n
}

/// The few URL facts the client needs, read on bytes.
public enum HTTPURL {
    /// `scheme://host[:port]` of a URL (no path, never a user or password).
    public static func origin(_ url: String) -> String {
        guard let parts = split(url) else { return url }
        return "\(parts.scheme)://\(parts.host)\(parts.port.map { ":\($0)" } ?? "")"
    }

    /// Scheme (lower case), host (lower case, brackets kept for IPv6), port; nil when not a URL.
    public static func split(_ url: String) -> (scheme: String, host: String, port: Int?)? {
        let bytes = Array(url.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 2 < bytes.count,
              bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { return nil }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        var authority = bytes[(colon + 3)...].prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") }
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
        var host = authority
        var port: Int? = nil
        if let close = authority.lastIndex(of: UInt8(ascii: "]")) {
            host = authority[...close]
            let rest = authority[(close + 1)...]
            if rest.first == UInt8(ascii: ":") { port = Int(String(decoding: rest.dropFirst(), as: UTF8.self)) }
        } else if let c = authority.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<c]
            port = Int(String(decoding: authority[(c + 1)...], as: UTF8.self))
        }
        guard !host.isEmpty else { return nil }
        return (scheme, String(decoding: host, as: UTF8.self).lowercased(), port)
    }

    /// Whether a host name is the loopback (`localhost`, 127.0.0.0/8, `[::1]`).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "[::1]" || host == "::1" || host.hasPrefix("127.")
    }
}
