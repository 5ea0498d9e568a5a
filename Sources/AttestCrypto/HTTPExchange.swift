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
        let receiver = Receiver(host: url.host ?? "", maxBytes: maxBytes)
        let session = URLSession(configuration: config, delegate: receiver, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: req)
        task.resume()
        // The session's own timeouts end the task; the extra margin only guards against a hang.
        if receiver.done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw .unreachable("no answer within \(Int(timeout)) seconds")
        }
        let r = receiver.result()
        if let refused = r.refused { throw .unreachable("it redirects to another host (\(refused)); not followed") }
        if let n = r.tooLarge { throw .tooLarge(n) }
        if let error = r.error { throw .unreachable(Trailing.clean(error.localizedDescription)) }
        guard let http = r.response as? HTTPURLResponse else { throw .unreachable("no HTTP answer") }
        return Answer(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: r.data)
    }

    /// Receives the answer as it streams: a declared Content-Length above the bound ends the
    /// exchange before any body is read, and a body (chunked or not) is cut off as soon as it
    /// passes the bound, so neither a huge nor an endless answer is ever held in memory.
    /// Redirects are followed only to the same host.
    final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let host: String
        let maxBytes: Int
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var refused: String?, tooLarge: Int?, error: Error?, response: URLResponse?
        private var data = Data()

        init(host: String, maxBytes: Int) { self.host = host.lowercased(); self.maxBytes = maxBytes }

        func result() -> (refused: String?, tooLarge: Int?, error: Error?, response: URLResponse?, data: Data) {
            lock.lock(); defer { lock.unlock() }
            return (refused, tooLarge, error, response, data)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            if request.url?.host?.lowercased() == host {
                completionHandler(request)
            } else {
                lock.lock(); refused = request.url?.absoluteString ?? "an unreadable URL"; lock.unlock()
                completionHandler(nil)
            }
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            lock.lock()
            self.response = response
            let declared = response.expectedContentLength
            let over = declared > Int64(maxBytes)
            if over { tooLarge = Int(clamping: declared) }
            lock.unlock()
            completionHandler(over ? .cancel : .allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            lock.lock()
            guard tooLarge == nil else { lock.unlock(); return }
            self.data.append(data)
            let over = self.data.count > maxBytes
            if over { tooLarge = self.data.count; self.data = Data() }
            lock.unlock()
            if over { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            lock.lock(); self.error = error; lock.unlock()
            done.signal()
        }
    }
}
