import Foundation
internal import COpenSSL

/// Fetching a token's validation data when the token is obtained (`attest sign`): the TSA
/// certificate's chain to the CA and, for each certificate of the chain but the anchor, the
/// CRL at its CRL distribution point and the OCSP response of the responder its
/// authorityInfoAccess names (over plain HTTP, as RFC 5280 and RFC 6960 publish them).
/// What is fetched is then checked as `LongTermVerifier` will check it years later.
public enum ValidationFetcher {
    /// The longest CRL or OCSP answer accepted.
    public static let maxAnswerBytes = 8 << 20

    public static func fetch(token: Data, imprint: [UInt8], caPEM: Data, caName: String,
                             timeout: TimeInterval = 20) throws(TimeStampError) -> (data: ValidationData, check: LongTermStamp) {
        let anchor = TimeStampVerifier.Anchor.pem(caPEM, caName)
        let stamp = try TimeStampVerifier.verify(token: token, imprint: imprint, ca: anchor, nonce: nil)
        let data = try collect(token: token, anchor: anchor, at: stamp.time, timeout: timeout)
        let check = try LongTermVerifier.verify(token: token, imprint: imprint, caPEM: caPEM, caName: caName, data: data)
        return (data, check)
    }

    /// Fresh validation data for a token stored earlier (renewal, docs/tsa.md): its chain at its
    /// genTime and the revocation data its certificates' CRL distribution points and OCSP
    /// responders give now, whatever they say (a revocation is evidence too).
    public static func refresh(token: Data, caPEM: Data, caName: String, timeout: TimeInterval = 20) throws(TimeStampError) -> ValidationData {
        guard let genTime = TimeStampVerifier.unverifiedTime(token: token) else {
            throw .corrupted("the stored token has no readable genTime")
        }
        return try collect(token: token, anchor: .pem(caPEM, caName), at: genTime, timeout: timeout)
    }

    static func collect(token: Data, anchor: TimeStampVerifier.Anchor, at genTime: Date, timeout: TimeInterval) throws(TimeStampError) -> ValidationData {
        let chain = try LongTermVerifier.buildChain(token: token, anchor: anchor, extra: Data(), at: genTime)
        var data = ValidationData(chainPEM: chain.reduce(into: Data()) { $0.append($1.pem) })
        for i in 0..<(chain.count - 1) {
            let (cert, issuer) = (chain[i], chain[i + 1])
            var problems: [String] = []
            var got = 0
            let crlURLs = distributionPoints(cert.x), ocspURLs = responders(cert.x)
            for u in crlURLs {
                do { data.crls.append(try crl(from: u, issuer: issuer, timeout: timeout)); got += 1 } catch { problems.append(error.text) }
            }
            for u in ocspURLs {
                do { data.ocspResponses.append(try ocsp(from: u, cert: cert, issuer: issuer, anchor: anchor, timeout: timeout)); got += 1 }
                catch { problems.append(error.text) }
            }
            if got == 0 {
                let why = crlURLs.isEmpty && ocspURLs.isEmpty
                    ? "the certificate names no CRL distribution point and no OCSP responder (http)"
                    : problems.joined(separator: "; ")
                throw .validationData("cannot obtain revocation data for \(cert.subject): \(why)")
            }
        }
        return data
    }

    struct Problem: Error { let text: String }

    /// The http URIs of the certificate's CRL distribution points (full names).
    static func distributionPoints(_ x: OpaquePointer) -> [String] {
        guard let ext = X509_get_ext_d2i(x, NID_crl_distribution_points, nil, nil) else { ERR_clear_error(); return [] }
        let points = OpaquePointer(ext)
        defer { CRL_DIST_POINTS_free(points) }
        var urls: [String] = []
        for i in 0..<OPENSSL_sk_num(points) {
            guard let dp = OPENSSL_sk_value(points, i)?.assumingMemoryBound(to: DIST_POINT.self),
                  let name = dp.pointee.distpoint, name.pointee.type == 0, let full = name.pointee.name.fullname else { continue }
            urls += uris(full)
        }
        return urls.filter { $0.lowercased().hasPrefix("http://") }
    }

    static func uris(_ names: OpaquePointer) -> [String] {
        (0..<OPENSSL_sk_num(names)).compactMap { j in
            guard let gn = OPENSSL_sk_value(names, j)?.assumingMemoryBound(to: GENERAL_NAME.self),
                  gn.pointee.type == GEN_URI, let s = gn.pointee.d.uniformResourceIdentifier else { return nil }
            return String(decoding: TimeStampVerifier.bytes(of: s), as: UTF8.self)
        }
    }

    /// The http OCSP responder URLs of the certificate's authorityInfoAccess.
    static func responders(_ x: OpaquePointer) -> [String] {
        guard let sk = X509_get1_ocsp(x) else { ERR_clear_error(); return [] }
        defer { X509_email_free(sk) }
        return (0..<OPENSSL_sk_num(sk)).compactMap { i in
            OPENSSL_sk_value(sk, i).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) }
        }.filter { $0.lowercased().hasPrefix("http://") }
    }

    static func exchange(_ text: String, what: String, timeout: TimeInterval, method: String, body: Data? = nil,
                         contentType: String? = nil, accept: String) throws(Problem) -> Data {
        guard TimeStampAuthority.problem(withURL: text) == nil, let url = URL(string: text) else {
            throw Problem(text: "\(what) \(text): not an http URL")
        }
        let answer: HTTPExchange.Answer
        do {
            answer = try HTTPExchange(url: url, timeout: timeout, maxBytes: maxAnswerBytes)
                .send(method: method, body: body, contentType: contentType, accept: accept)
        } catch {
            switch error {
            case .unreachable(let why): throw Problem(text: "\(what) \(text) did not answer: \(why)")
            case .tooLarge(let n): throw Problem(text: "\(what) \(text) sent \(n) bytes, more than \(maxAnswerBytes)")
            }
        }
        guard answer.status == 200 else {
            throw Problem(text: "\(what) \(text) answered HTTP \(answer.status): \(Trailing.clean(String(decoding: answer.body.prefix(200), as: UTF8.self)))")
        }
        return answer.body
    }

    /// The CRL at `url`, checked to be the issuer's, as PEM.
    static func crl(from url: String, issuer: Cert, timeout: TimeInterval) throws(Problem) -> Data {
        let body = try exchange(url, what: "CRL", timeout: timeout, method: "GET", accept: "application/pkix-crl")
        let parsed: CRL?
        do { parsed = try CRL(body) } catch { throw Problem(text: "CRL \(url): \(error.description)") }
        guard let parsed else { throw Problem(text: "CRL \(url): not a CRL") }
        guard parsed.issuedBy(issuer), parsed.signed(by: issuer) else {
            throw Problem(text: "CRL \(url) is not signed by \(issuer.subject) (issuer \(parsed.issuer))")
        }
        guard let bio = BIO_new(BIO_s_mem()) else { throw Problem(text: "CRL \(url): out of memory") }
        defer { BIO_free(bio) }
        PEM_write_bio_X509_CRL(bio, parsed.p)
        return Data(TimeStampVerifier.readAll(bio).utf8)
    }

    /// An OCSP response about `cert` from the responder at `url`, checked against the CA.
    static func ocsp(from url: String, cert: Cert, issuer: Cert, anchor: TimeStampVerifier.Anchor,
                     timeout: TimeInterval) throws(Problem) -> Data {
        guard let req = OCSP_REQUEST_new() else { throw Problem(text: "OCSP \(url): out of memory") }
        defer { OCSP_REQUEST_free(req) }
        guard let id = OCSP_cert_to_id(nil, cert.x, issuer.x), OCSP_request_add0_id(req, id) != nil else {
            throw Problem(text: "OCSP \(url): cannot name \(cert.subject): \(TimeStampVerifier.queue())")
        }
        OCSP_request_add1_nonce(req, nil, -1)
        let n = i2d_OCSP_REQUEST(req, nil)
        guard n > 0 else { throw Problem(text: "OCSP \(url): cannot encode the request") }
        var der = [UInt8](repeating: 0, count: Int(n))
        der.withUnsafeMutableBufferPointer { buf in
            var cursor: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            _ = i2d_OCSP_REQUEST(req, &cursor)
        }
        let body = try exchange(url, what: "OCSP responder", timeout: timeout, method: "POST", body: Data(der),
                                contentType: "application/ocsp-request", accept: "application/ocsp-response")
        do {
            guard try OCSPAnswer.judge(body, cert: cert, issuer: issuer, anchor: anchor) != nil else {
                throw Problem(text: "OCSP responder \(url) answered about other certificates than \(cert.subject)")
            }
        } catch let e as TimeStampError {
            throw Problem(text: "OCSP responder \(url): \(e.description)")
        } catch let e as Problem { throw e } catch { throw Problem(text: "OCSP responder \(url): \(error)") }
        return body
    }
}
