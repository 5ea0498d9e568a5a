import Foundation
internal import CCurl

/// One bounded HTTP exchange (the TSA's POST, a CRL's GET, an OCSP POST), through libcurl:
/// a timeout for the whole exchange, an answer size limit, and redirects followed only within
/// the same host (a CRL or OCSP URL comes from a certificate, so it is input to distrust).
///
/// The bound holds while the answer streams: a declared Content-Length above it ends the
/// exchange before any body is read (`CURLOPT_MAXFILESIZE_LARGE`), and the write callback stops
/// the transfer the moment a body, chunked or not, passes it, so neither a 2 GiB nor an endless
/// answer is held in memory (docs/limits.md). libcurl reads the usual proxy variables.
struct HTTPExchange {
    struct Answer { let status: Int; let contentType: String?; let body: Data }
    enum Failure: Error { case unreachable(String), tooLarge(Int) }

    let url: URL
    let timeout: TimeInterval
    let maxBytes: Int
    /// Redirects followed (each to the same host) before giving up.
    static let maxRedirects = 5

    func send(method: String, body: Data? = nil, contentType: String? = nil, accept: String) throws(Failure) -> Answer {
        let host = url.host?.lowercased() ?? ""
        let deadline = Date().addingTimeInterval(timeout)
        var current = url.absoluteString
        for _ in 0...Self.maxRedirects {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw .unreachable("no answer within \(Int(timeout)) seconds") }
            let (answer, location) = try Transfer(maxBytes: maxBytes).perform(current, method: method, body: body, contentType: contentType,
                                                                              accept: accept, timeout: left, whole: timeout)
            guard (300..<400).contains(answer.status), let location else { return answer }
            guard URL(string: location)?.host?.lowercased() == host else {
                throw .unreachable("it redirects to another host (\(location)); not followed")
            }
            current = location
        }
        throw .unreachable("more than \(Self.maxRedirects) redirects")
    }

    /// One libcurl easy handle, owned and freed here, and the answer it collects.
    final class Transfer {
        let maxBytes: Int
        var data = Data()
        var over: Int?
        var declared: Int?

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        /// Why libcurl cannot be used (opened when first needed: CCurl's shim), nil once it is.
        static let unusable: String? = {
            if let why = attest_curl_open() {
                return "libcurl could not be loaded (\(String(cString: why))); install it with `apt-get install -y libcurl4`"
            }
            return attest_curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK ? nil : "libcurl cannot be initialised"
        }()

        func perform(_ url: String, method: String, body: Data?, contentType: String?, accept: String,
                     timeout: TimeInterval, whole: TimeInterval) throws(Failure) -> (Answer, String?) {
            if let why = Self.unusable { throw .unreachable(why) }
            guard let handle = attest_curl_easy_init() else { throw .unreachable("libcurl cannot be initialised") }
            defer { attest_curl_easy_cleanup(handle) }
            var headers: UnsafeMutablePointer<curl_slist>?
            defer { attest_curl_slist_free_all(headers) }
            for h in [contentType.map { "Content-Type: \($0)" }, "Accept: \(accept)", "Expect:"].compactMap({ $0 }) {
                headers = attest_curl_slist_append(headers, h)
            }
            var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
            let me = Unmanaged.passUnretained(self).toOpaque()
            let code: CURLcode = withExtendedLifetime(self) {
                url.withCString { u in
                    errorText.withUnsafeMutableBufferPointer { e in
                        _ = attest_curl_pointer(handle, CURLOPT_URL, u)
                        _ = attest_curl_pointer(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                        _ = attest_curl_long(handle, CURLOPT_NOSIGNAL, 1)
                        _ = attest_curl_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                        _ = attest_curl_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(timeout * 1000)))
                        _ = attest_curl_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxBytes))
                        _ = attest_curl_pointer(handle, CURLOPT_HTTPHEADER, headers)
                        _ = attest_curl_pointer(handle, CURLOPT_ERRORBUFFER, e.baseAddress)
                        _ = attest_curl_callback_set(handle, CURLOPT_WRITEFUNCTION, { p, size, n, me in
                            Unmanaged<Transfer>.fromOpaque(me!).takeUnretainedValue().received(p, size * n)
                        })
                        _ = attest_curl_pointer(handle, CURLOPT_WRITEDATA, me)
                        _ = attest_curl_callback_set(handle, CURLOPT_HEADERFUNCTION, { p, size, n, me in
                            Unmanaged<Transfer>.fromOpaque(me!).takeUnretainedValue().header(p, size * n)
                        })
                        _ = attest_curl_pointer(handle, CURLOPT_HEADERDATA, me)
                        if method == "GET" {
                            _ = attest_curl_long(handle, CURLOPT_HTTPGET, 1)
                        } else {
                            _ = attest_curl_pointer(handle, CURLOPT_CUSTOMREQUEST, method)
                            let bytes = body ?? Data()
                            _ = attest_curl_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                            _ = bytes.withUnsafeBytes { attest_curl_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)) }
                        }
                        return attest_curl_easy_perform(handle)
                    }
                }
            }
            if let over { throw .tooLarge(over) }
            switch code {
            case CURLE_OK: break
            case CURLE_FILESIZE_EXCEEDED: throw .tooLarge(declared ?? maxBytes + 1)
            case CURLE_OPERATION_TIMEDOUT: throw .unreachable("no answer within \(Int(whole)) seconds")
            default:
                let detail = String(cString: errorText)
                throw .unreachable(Trailing.clean(detail.isEmpty ? String(cString: attest_curl_easy_strerror(code)) : detail))
            }
            var status = 0
            _ = attest_curl_info_long(handle, CURLINFO_RESPONSE_CODE, &status)
            func info(_ i: CURLINFO) -> String? {
                var p: UnsafeMutablePointer<CChar>?
                guard attest_curl_info_string(handle, i, &p) == CURLE_OK, let p else { return nil }
                return String(cString: p)
            }
            return (Answer(status: status, contentType: info(CURLINFO_CONTENT_TYPE), body: data), info(CURLINFO_REDIRECT_URL))
        }

        /// Returning less than `count` stops the transfer (CURLE_WRITE_ERROR).
        func received(_ p: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
            guard let p, over == nil else { return 0 }
            guard data.count + count <= maxBytes else { over = data.count + count; data = Data(); return 0 }
            data.append(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: count)
            return count
        }

        /// Notes a declared Content-Length, for the message when libcurl refuses it.
        func header(_ p: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
            guard let p else { return 0 }
            let line = String(decoding: UnsafeRawBufferPointer(start: p, count: count), as: UTF8.self).lowercased()
            if line.hasPrefix("content-length:") {
                declared = Int(line.dropFirst(15).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return count
        }
    }
}
