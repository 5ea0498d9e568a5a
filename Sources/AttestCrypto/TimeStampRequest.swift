import Foundation
internal import COpenSSL

/// An RFC 3161 TimeStampReq: version 1, a SHA-256 message imprint, a random 64-bit nonce,
/// `certReq` true (the TSA must put its certificate in the token), no policy.
public struct TimeStampRequest: Sendable {
    /// The DER bytes to POST as `application/timestamp-query`.
    public let der: Data
    /// The nonce, big-endian, as sent.
    public let nonce: [UInt8]
    /// The SHA-256 imprint.
    public let imprint: [UInt8]

    public init(imprint: [UInt8]) throws(CryptoError) {
        guard imprint.count == 32 else {
            throw CryptoError(operation: "timestamp request", message: "a SHA-256 imprint has 32 bytes, not \(imprint.count)")
        }
        var nonce = [UInt8](repeating: 0, count: 8)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else { throw CryptoError.fromQueue("timestamp request nonce") }
        nonce[0] |= 0x40   // eight significant bytes, positive: the TSA echoes exactly these
        self.nonce = nonce
        self.imprint = imprint

        guard let req = TS_REQ_new() else { throw CryptoError.fromQueue("timestamp request") }
        let r = Handle(req, TS_REQ_free)
        guard let mi = TS_MSG_IMPRINT_new() else { throw CryptoError.fromQueue("timestamp request imprint") }
        let m = Handle(mi, TS_MSG_IMPRINT_free)
        guard let algo = X509_ALGOR_new() else { throw CryptoError.fromQueue("timestamp request algorithm") }
        let a = Handle(algo, X509_ALGOR_free)
        guard X509_ALGOR_set0(a.p, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil) == 1,
              TS_MSG_IMPRINT_set_algo(m.p, a.p) == 1,                      // copies
              imprint.withUnsafeBufferPointer({ TS_MSG_IMPRINT_set_msg(m.p, UnsafeMutablePointer(mutating: $0.baseAddress), 32) }) == 1,
              TS_REQ_set_version(r.p, 1) == 1,
              TS_REQ_set_msg_imprint(r.p, m.p) == 1,                       // copies
              TS_REQ_set_cert_req(r.p, 1) == 1
        else { throw CryptoError.fromQueue("timestamp request") }

        guard let bn = BN_bin2bn(nonce, Int32(nonce.count), nil) else { throw CryptoError.fromQueue("timestamp request nonce") }
        defer { BN_free(bn) }
        guard let n = BN_to_ASN1_INTEGER(bn, nil) else { throw CryptoError.fromQueue("timestamp request nonce") }
        defer { ASN1_INTEGER_free(n) }
        guard TS_REQ_set_nonce(r.p, n) == 1 else { throw CryptoError.fromQueue("timestamp request nonce") }   // copies

        let length = i2d_TS_REQ(r.p, nil)
        guard length > 0 else { throw CryptoError.fromQueue("timestamp request encoding") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buf -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            return i2d_TS_REQ(r.p, &cursor)
        }
        guard written == length else { throw CryptoError.fromQueue("timestamp request encoding") }
        der = Data(out)
    }
}

/// Reading a TimeStampResp (RFC 3161 §2.4.2) received for a request.
enum TimeStampResponse {
    /// The token inside a granted response; a `rejected` or `badAnswer` error otherwise.
    static func token(from answer: Data, url: String) throws(TimeStampError) -> Data {
        ERR_clear_error()
        let parsed: (OpaquePointer?, Int) = answer.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return (nil, 0) }
            var cursor: UnsafePointer<UInt8>? = base
            let p = d2i_TS_RESP(nil, &cursor, raw.count)
            return (p, cursor.map { $0 - base } ?? 0)
        }
        guard let respPtr = parsed.0 else {
            throw .badAnswer(url: url, detail: "the body (\(answer.count) bytes) is not a DER TimeStampResp: \(TimeStampVerifier.queue())")
        }
        let resp = Handle(respPtr, TS_RESP_free)
        guard parsed.1 == answer.count else {
            throw .badAnswer(url: url, detail: "\(answer.count - parsed.1) stray bytes after the TimeStampResp")
        }
        guard let info = TS_RESP_get_status_info(resp.p), let st = TS_STATUS_INFO_get0_status(info) else {
            throw .badAnswer(url: url, detail: "the TimeStampResp has no status")
        }
        let status = ASN1_INTEGER_get(st)
        guard status == 0 || status == 1 else {
            throw .rejected(url: url, status: statusName(status), detail: statusDetail(info))
        }
        guard let p7 = TS_RESP_get_token(resp.p) else {
            throw .badAnswer(url: url, detail: "status \(statusName(status)) but no token in the answer")
        }
        let length = i2d_PKCS7(p7, nil)
        guard length > 0 else { throw .badAnswer(url: url, detail: "cannot re-encode the token: \(TimeStampVerifier.queue())") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buf -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            return i2d_PKCS7(p7, &cursor)
        }
        guard written == length else { throw .badAnswer(url: url, detail: "cannot re-encode the token") }
        return Data(out)
    }

    static func statusName(_ s: Int) -> String {
        switch s {
        case 0: return "granted"
        case 1: return "grantedWithMods"
        case 2: return "rejection"
        case 3: return "waiting"
        case 4: return "revocationWarning"
        case 5: return "revocationNotification"
        default: return "unknown status \(s)"
        }
    }

    /// The status strings and failure-info bits of a non-granted answer (RFC 3161 PKIFailureInfo).
    static func statusDetail(_ info: OpaquePointer) -> String {
        var parts: [String] = []
        if let texts = TS_STATUS_INFO_get0_text(info) {
            let sk = texts
            for i in 0..<OPENSSL_sk_num(sk) {
                guard let s = OPENSSL_sk_value(sk, i) else { continue }
                let text = String(decoding: TimeStampVerifier.bytes(of: s.assumingMemoryBound(to: ASN1_STRING.self)), as: UTF8.self)
                parts.append("'\(Trailing.clean(text))'")
            }
        }
        if let fi = TS_STATUS_INFO_get0_failure_info(info) {
            let names: [(Int32, String)] = [(0, "badAlg"), (2, "badRequest"), (5, "badDataFormat"), (14, "timeNotAvailable"),
                                            (15, "unacceptedPolicy"), (16, "unacceptedExtension"),
                                            (17, "addInfoNotAvailable"), (25, "systemFailure")]
            let set = names.filter { ASN1_BIT_STRING_get_bit(fi, $0.0) == 1 }.map(\.1)
            if !set.isEmpty { parts.append("failure info " + set.joined(separator: ", ")) }
        }
        return parts.joined(separator: ", ")
    }
}

/// Text from a remote party, made safe to print on one line.
enum Trailing {
    static func clean(_ s: String, limit: Int = 200) -> String {
        let one = String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            .trimmingCharacters(in: .whitespaces)
        return one.count > limit ? String(one.prefix(limit)) + "…" : one
    }
}
