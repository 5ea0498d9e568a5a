import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One bounded HTTP exchange (the TSA's POST, a CRL's GET, an OCSP POST): a timeout for the
/// whole exchange, an answer size limit, and redirects followed only within the same host
/// (a CRL or OCSP URL comes from a certificate, so it is input to distrust).
struct HTTPExchange {
    struct Answer { let status: Int; let contentType: String?; let body: Data }
    enum Failure: Error { case unreachable(String), tooLarge(Int) }

    let url: URL
    let timeout: TimeInterval
    let maxBytes: Int

    func send(method: String, body: Data? = nil, contentType: String? = nil, accept: String) throws(Failure) -> Answer {
        var req = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        req.httpMethod = method
        if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        req.setValue(accept, forHTTPHeaderField: "Accept")
        req.httpBody = body
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let guardian = SameHost(host: url.host ?? "")
        let session = URLSession(configuration: config, delegate: guardian, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }

        final class Box: @unchecked Sendable { var data: Data?; var response: URLResponse?; var error: Error? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: req) { data, response, error in
            box.data = data; box.response = response; box.error = error
            done.signal()
        }.resume()
        // The session's own timeouts end the task; the extra margin only guards against a hang.
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            throw .unreachable("no answer within \(Int(timeout)) seconds")
        }
        if let refused = guardian.refused { throw .unreachable("it redirects to another host (\(refused)); not followed") }
        if let error = box.error { throw .unreachable(Trailing.clean(error.localizedDescription)) }
        guard let http = box.response as? HTTPURLResponse else { throw .unreachable("no HTTP answer") }
        let data = box.data ?? Data()
        guard data.count <= maxBytes else { throw .tooLarge(data.count) }
        return Answer(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: data)
    }

    /// Follows a redirect only to the same scheme and host.
    final class SameHost: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        let host: String
        var refused: String?
        init(host: String) { self.host = host.lowercased() }
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            if request.url?.host?.lowercased() == host {
                completionHandler(request)
            } else {
                refused = request.url?.absoluteString ?? "an unreadable URL"
                completionHandler(nil)
            }
        }
    }
}
