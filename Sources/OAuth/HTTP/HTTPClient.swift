import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP answer: status code and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
}

/// Blocking HTTP over libcurl for the authorization server: form POSTs to the token and
/// device authorization endpoints. No redirects are followed, only http/https are allowed,
/// and nothing is ever written to a log (the bodies carry tokens and secrets).
///
/// Blocking: call it from a thread of its own, never from the cooperative pool.
public struct HTTPClient: Sendable {
    /// A PEM file of the CAs to trust instead of the system's (`tls_ca_file`).
    public var caFile: String?
    /// Seconds for the whole request (connect included).
    public var timeout: Double

    public init(caFile: String? = nil, timeout: Double = 30) {
        self.caFile = caFile
        self.timeout = timeout
    }

    /// POSTs `form` as `application/x-www-form-urlencoded` and returns the answer, whatever
    /// its status. Throws `.unreachable` (75) when no answer came, `.configuration` (78) for a
    /// certificate that does not verify or a URL libcurl cannot use.
    public func postForm(_ url: String, _ form: [(String, String)]) throws(OAuthError) -> HTTPResponse {
        let body = FormEncoding.encode(form)
        if let problem = EndpointURL.problem(with: url) { throw .configuration(problem) }
        guard mg_global_init() == CURLE_OK, let h = curl_easy_init() else {
            throw .temporary("libcurl could not create a handle")
        }
        defer { curl_easy_cleanup(h) }
        mg_ignore_sigpipe()
        let sink = Sink()
        let sinkRef = Unmanaged.passRetained(sink)
        defer { sinkRef.release() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        var headers: UnsafeMutablePointer<curl_slist>? = nil
        headers = curl_slist_append(headers, "Accept: application/json")
        defer { curl_slist_free_all(headers) }

        _ = mg_setopt_string(h, CURLOPT_URL, url)
        _ = mg_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = mg_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = mg_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        _ = mg_setopt_long(h, CURLOPT_TIMEOUT_MS, max(1, Int(timeout * 1000)))
        _ = mg_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(min(timeout, 30) * 1000)))
        _ = mg_setopt_string(h, CURLOPT_USERAGENT, "mailgate")
        _ = mg_setopt_pointer(h, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
        if let caFile { _ = mg_setopt_string(h, CURLOPT_CAINFO, caFile) }
        _ = mg_setopt_long(h, CURLOPT_POSTFIELDSIZE, body.utf8.count)
        _ = mg_setopt_string(h, CURLOPT_COPYPOSTFIELDS, body)
        _ = mg_setopt_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = mg_setopt_write_callback(h, CURLOPT_WRITEFUNCTION, httpBodyChunk)
        _ = mg_setopt_pointer(h, CURLOPT_WRITEDATA, sinkRef.toOpaque())

        let rc = curl_easy_perform(h)
        let detail = String(cString: errorBuffer)
        let why = detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
        let host = EndpointURL.host(of: url) ?? url
        switch rc {
        case CURLE_OK:
            break
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR:
            throw .configuration("cannot verify the TLS certificate of \(host): \(why); for a private CA set tls_ca_file")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw .configuration("libcurl cannot use \(url): \(why)")
        default:
            throw .unreachable("no answer from \(host): \(why)")
        }
        var status = 0
        _ = mg_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: sink.bytes)
    }
}

private final class Sink {
    var bytes: [UInt8] = []
}

/// CURLOPT_WRITEFUNCTION: collects the body (bounded: a token answer is small).
private func httpBodyChunk(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                           _ context: UnsafeMutableRawPointer?) -> Int {
    let n = size * count
    guard let data, let context else { return n }
    let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
    guard sink.bytes.count + n <= 1 << 20 else { return 0 }
    sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
    return n
}
