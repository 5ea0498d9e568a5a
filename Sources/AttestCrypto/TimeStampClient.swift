import Foundation

/// An RFC 3161 time-stamping authority reached over HTTP(S), and the CA its tokens must chain to.
///
/// ```swift
/// let tsa = try TimeStampAuthority(url: "http://timestamp.example.com/tsa", caFile: ".attest/tsa/example.pem")
/// let stamp = try tsa.stamp(imprint: digest)   // a verified TimeStamp; stamp.token goes into the commit
/// ```
public struct TimeStampAuthority: Sendable {
    public let url: URL
    /// The CA file's path, or the name given with PEM bytes.
    public let caFile: String
    let anchor: TimeStampVerifier.Anchor
    /// Seconds for the whole exchange (connect, send, answer).
    public let timeout: TimeInterval
    /// The longest answer accepted; a token is a few kilobytes.
    public static let maxAnswerBytes = 1 << 20

    public init(url text: String, caFile: String, timeout: TimeInterval = 20) throws(TimeStampError) {
        if let problem = TimeStampAuthority.problem(withURL: text) { throw .unreachable(url: text, detail: problem) }
        url = URL(string: text)!
        self.caFile = caFile
        anchor = .file(caFile)
        self.timeout = timeout
    }

    /// The same with the CA certificates as PEM bytes (read from a commit), named `caName`.
    public init(url text: String, caPEM: Data, caName: String, timeout: TimeInterval = 20) throws(TimeStampError) {
        if let problem = TimeStampAuthority.problem(withURL: text) { throw .unreachable(url: text, detail: problem) }
        url = URL(string: text)!
        caFile = caName
        anchor = .pem(caPEM, caName)
        self.timeout = timeout
    }

    /// Why a TSA URL is not usable, or nil: only absolute http and https URLs with a host.
    public static func problem(withURL text: String) -> String? {
        guard let u = URL(string: text), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = u.host, !host.isEmpty else {
            return "not an http:// or https:// URL"
        }
        return nil
    }

    /// Asks the TSA to stamp a SHA-256 imprint and returns the token once it is checked:
    /// status granted, the imprint and the nonce are ours, the signature verifies and the TSA
    /// certificate chains to `caFile` with the critical timeStamping usage.
    public func stamp(imprint: [UInt8]) throws(TimeStampError) -> TimeStamp {
        let request: TimeStampRequest
        do { request = try TimeStampRequest(imprint: imprint) } catch {
            throw .badAnswer(url: url.absoluteString, detail: "cannot build the request: \(error)")
        }
        let answer = try post(request.der)
        let token = try TimeStampResponse.token(from: answer, url: url.absoluteString)
        do {
            return try TimeStampVerifier.verify(token: token, imprint: imprint, ca: anchor, nonce: request.nonce)
        } catch {
            if case .caFile = error { throw error }
            throw .badAnswer(url: url.absoluteString, detail: error.description)
        }
    }

    /// POSTs a query and returns the body of a 200 answer.
    func post(_ body: Data) throws(TimeStampError) -> Data {
        let answer: HTTPExchange.Answer
        do {
            answer = try HTTPExchange(url: url, timeout: timeout, maxBytes: TimeStampAuthority.maxAnswerBytes)
                .send(method: "POST", body: body, contentType: "application/timestamp-query", accept: "application/timestamp-reply")
        } catch {
            switch error {
            case .unreachable(let why): throw .unreachable(url: url.absoluteString, detail: why)
            case .tooLarge(let n):
                throw .badAnswer(url: url.absoluteString, detail: "the answer has \(n) bytes or more, over the \(TimeStampAuthority.maxAnswerBytes >> 10) KiB attest reads (a token has a few thousand); it was cut off (docs/limits.md)")
            }
        }
        let data = answer.body
        guard answer.status == 200 else {
            throw .httpStatus(url: url.absoluteString, status: answer.status,
                              body: Trailing.clean(String(decoding: data.prefix(400), as: UTF8.self)))
        }
        if let type = answer.contentType,
           !type.lowercased().hasPrefix("application/timestamp-reply"), !type.lowercased().hasPrefix("application/timestamp-response") {
            // Some TSAs mislabel their answers; the DER decides, but say what came when it is not DER.
            do { return try checkedDER(data, contentType: type) }
        }
        return data
    }

    private func checkedDER(_ data: Data, contentType: String) throws(TimeStampError) -> Data {
        guard data.first == 0x30 else {
            throw .badAnswer(url: url.absoluteString,
                             detail: "Content-Type \(Trailing.clean(contentType)), not a time-stamp reply: '\(Trailing.clean(String(decoding: data.prefix(120), as: UTF8.self)))'")
        }
        return data
    }
}
