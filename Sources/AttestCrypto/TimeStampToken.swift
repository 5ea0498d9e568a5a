import Foundation
internal import COpenSSL

/// A verified RFC 3161 timestamp: what the token says, once its signature, its signer's chain
/// to the CA file and its imprint have been checked.
public struct TimeStamp: Sendable, Equatable {
    /// The TSA's `genTime` (whole seconds, UTC).
    public let time: Date
    /// The signing certificate's subject, RFC 2253 (`CN=Example TSA,O=Example`).
    public let tsaSubject: String
    /// The token's serial number, hex.
    public let serial: String
    /// The TSA policy OID the token was issued under.
    public let policy: String
    /// The imprint the token stamps (SHA-256, hex).
    public let imprint: String
    /// The token itself: DER of the CMS SignedData (ContentInfo), as stored in `Attest-Timestamp`.
    public let token: Data
}

/// Offline verification of a stored TimeStampToken (a CMS SignedData whose content is a
/// TSTInfo) against a CA file and an expected SHA-256 imprint.
///
/// The checks run in this order, so the first failure names the cause:
/// 1. the bytes are one DER TimeStampToken with a TSTInfo (else `corrupted`);
/// 2. the signer certificate carried in the token chains to the CA file at the token's own
///    `genTime` and holds the critical timeStamping extended key usage (else
///    `untrustedSigner`); the ESS signing-certificate attribute names it and the CMS signature
///    verifies (else `corrupted`);
/// 3. the imprint is SHA-256 and equals the expected one (else `imprintMismatch`);
/// 4. when given, the nonce equals the request's.
///
/// The chain is checked at `genTime`, not at the verifier's clock, so a token stays
/// verifiable after the TSA certificate expires (docs/trust-model.md says what that trusts).
public enum TimeStampVerifier {
    public static func verify(token: Data, imprint: [UInt8], caFile: String) throws(TimeStampError) -> TimeStamp {
        try verify(token: token, imprint: imprint, ca: .file(caFile), nonce: nil)
    }

    /// The same, with the CA certificates given as PEM bytes (a blob read from a commit);
    /// `caName` names them in messages (`.attest/tsa/ca.pem@1a2b3c4d5e6f`).
    public static func verify(token: Data, imprint: [UInt8], caPEM: Data, caName: String) throws(TimeStampError) -> TimeStamp {
        try verify(token: token, imprint: imprint, ca: .pem(caPEM, caName), nonce: nil)
    }

    enum Anchor {
        case file(String)
        case pem(Data, String)
        var name: String {
            switch self { case .file(let p): return p; case .pem(_, let n): return n }
        }
    }

    static func verify(token: Data, imprint: [UInt8], caFile: String, nonce: [UInt8]?) throws(TimeStampError) -> TimeStamp {
        try verify(token: token, imprint: imprint, ca: .file(caFile), nonce: nonce)
    }

    /// `untrusted`: PEM certificates to complete the chain beside those the token carries
    /// (stored validation data).
    static func verify(token: Data, imprint: [UInt8], ca: Anchor, nonce: [UInt8]?, untrusted: Data? = nil) throws(TimeStampError) -> TimeStamp {
        let caFile = ca.name
        ERR_clear_error()
        guard !token.isEmpty else { throw .corrupted("the token is empty") }
        let p7 = try parseToken(token)
        guard let tstPtr = PKCS7_to_TS_TST_INFO(p7.p) else {
            throw .corrupted("not a TimeStampToken (no TSTInfo inside the CMS SignedData): \(queue())")
        }
        let tst = Handle(tstPtr, TS_TST_INFO_free)
        guard let genTime = TS_TST_INFO_get_time(tst.p), let time = date(of: genTime) else {
            throw .corrupted("the TSTInfo has no readable genTime")
        }

        // 2. Signature, chain to the CA at genTime, EKU, ESS signing certificate.
        let store = try loadStore(ca)
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(time.timeIntervalSince1970))
        guard let ctxPtr = TS_VERIFY_CTX_new() else {
            X509_STORE_free(store)
            throw .corrupted("cannot allocate a verification context: \(queue())")
        }
        let ctx = Handle(ctxPtr, TS_VERIFY_CTX_free)
        TS_VERIFY_CTX_set_store(ctx.p, store)   // the context owns the store from here
        if let untrusted {
            let certs = Certificates.read(pem: untrusted)
            if !certs.isEmpty { TS_VERIFY_CTX_set_certs(ctx.p, Certificates.stack(certs)) }   // owned by the context
        }
        TS_VERIFY_CTX_set_flags(ctx.p, Int32(TS_VFY_SIGNATURE | TS_VFY_VERSION))
        if TS_RESP_verify_token(ctx.p, p7.p) != 1 {
            let (reasons, text) = drainReasons()
            // OpenSSL checks the chain (and the purpose) before the ESS attribute and the signature.
            let chain: Set<Int32> = [TS_R_CERTIFICATE_VERIFY_ERROR, TS_R_TSA_UNTRUSTED, TS_R_INVALID_SIGNER_CERTIFICATE_PURPOSE]
            if !reasons.isDisjoint(with: chain) { throw .untrustedSigner(caFile: caFile, detail: text) }
            throw .corrupted("its signature does not verify (\(text))")
        }

        // 3. Imprint.
        guard let mi = TS_TST_INFO_get_msg_imprint(tst.p), let algo = TS_MSG_IMPRINT_get_algo(mi),
              let msg = TS_MSG_IMPRINT_get_msg(mi) else {
            throw .corrupted("the TSTInfo has no message imprint")
        }
        var obj: OpaquePointer? = nil
        X509_ALGOR_get0(&obj, nil, nil, algo)
        let found = bytes(of: msg)
        let foundHex = SHA256.hex(found)
        guard OBJ_obj2nid(obj) == NID_sha256, found.count == 32 else {
            throw .imprintMismatch(expected: "sha256 " + SHA256.hex(imprint), found: "\(objectName(obj)) \(foundHex)")
        }
        guard found == imprint else {
            throw .imprintMismatch(expected: "sha256 " + SHA256.hex(imprint), found: "sha256 " + foundHex)
        }

        // 4. Nonce (only for an answer to our own request).
        if let nonce {
            guard let n = TS_TST_INFO_get_nonce(tst.p), integerBytes(n) == stripZeros(nonce) else {
                throw .corrupted("its nonce is not the one sent in the request (a replayed or foreign answer)")
            }
        }

        let serial = TS_TST_INFO_get_serial(tst.p).map { SHA256.hex(integerBytes($0)) } ?? ""
        let policy = TS_TST_INFO_get_policy_id(tst.p).map(objectText) ?? ""
        return TimeStamp(time: time, tsaSubject: signerSubject(p7.p), serial: serial, policy: policy,
                         imprint: foundHex, token: token)
    }

    /// The `genTime` of a token without verifying anything (for reports about a bad token).
    public static func unverifiedTime(token: Data) -> Date? {
        guard let p7 = try? parseToken(token), let t = PKCS7_to_TS_TST_INFO(p7.p) else { ERR_clear_error(); return nil }
        let tst = Handle(t, TS_TST_INFO_free)
        return TS_TST_INFO_get_time(tst.p).flatMap(date(of:))
    }

    // MARK: - pieces

    static func parseToken(_ token: Data) throws(TimeStampError) -> Handle<UnsafeMutablePointer<PKCS7>> {
        let parsed: (UnsafeMutablePointer<PKCS7>?, Int) = token.withUnsafeBytes { raw in
            let base = raw.bindMemory(to: UInt8.self).baseAddress!
            var cursor: UnsafePointer<UInt8>? = base
            let p = d2i_PKCS7(nil, &cursor, raw.count)
            return (p, cursor.map { $0 - base } ?? 0)
        }
        guard let p = parsed.0 else {
            throw .corrupted("not DER of a CMS SignedData (\(token.count) bytes; \(queue()))")
        }
        let p7 = Handle(p, { PKCS7_free($0) })
        guard parsed.1 == token.count else {
            throw .corrupted("\(token.count - parsed.1) stray bytes after the DER structure")
        }
        guard OBJ_obj2nid(p.pointee.type) == NID_pkcs7_signed else {
            throw .corrupted("the CMS content is not SignedData")
        }
        return p7
    }

    static func loadStore(_ ca: Anchor) throws(TimeStampError) -> OpaquePointer {
        guard case .file(let caFile) = ca else { return try loadStore(pem: ca) }
        guard FileManager.default.isReadableFile(atPath: caFile) else {
            throw .caFile(path: caFile, detail: "no such readable file")
        }
        guard let store = X509_STORE_new() else { throw .caFile(path: caFile, detail: queue()) }
        guard X509_STORE_load_file(store, caFile) == 1 else {
            X509_STORE_free(store)
            throw .caFile(path: caFile, detail: "no PEM certificate could be read from it (\(queue()))")
        }
        return store
    }

    /// A store holding every certificate of PEM bytes.
    static func loadStore(pem ca: Anchor) throws(TimeStampError) -> OpaquePointer {
        guard case .pem(let pem, let name) = ca else { return try loadStore(ca) }
        guard let store = X509_STORE_new() else { throw .caFile(path: name, detail: queue()) }
        var count = 0
        pem.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                if X509_STORE_add_cert(store, cert) == 1 { count += 1 }
                X509_free(cert)
            }
        }
        ERR_clear_error()   // the loop ends on "no start line"
        guard count > 0 else {
            X509_STORE_free(store)
            throw .caFile(path: name, detail: "no PEM certificate could be read from it")
        }
        return store
    }

    static func signerSubject(_ p7: UnsafeMutablePointer<PKCS7>) -> String {
        guard let signers = PKCS7_get0_signers(p7, nil, 0) else { ERR_clear_error(); return "(unknown signer)" }
        defer { OPENSSL_sk_free(signers) }
        guard OPENSSL_sk_num(signers) > 0,
              let cert = OPENSSL_sk_value(signers, 0) else { return "(unknown signer)" }
        return name(X509_get_subject_name(OpaquePointer(cert)))
    }

    static func name(_ n: OpaquePointer?) -> String {
        guard let n, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        let strings = ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER
        let flags = UInt(strings) | UInt(XN_FLAG_SEP_COMMA_PLUS) | UInt(XN_FLAG_DN_REV) | UInt(XN_FLAG_FN_SN)
        guard X509_NAME_print_ex(bio, n, 0, flags) >= 0 else { return "" }
        return readAll(bio)
    }

    static func readAll(_ bio: OpaquePointer) -> String {
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = BIO_read(bio, &buf, Int32(buf.count))
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<Int(n)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func date(of t: UnsafePointer<ASN1_STRING>) -> Date? {
        var tm = tm()
        guard ASN1_TIME_to_tm(t, &tm) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }

    static func bytes(of s: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let n = Int(ASN1_STRING_length(s))
        guard n > 0, let d = ASN1_STRING_get0_data(s) else { return [] }
        return Array(UnsafeBufferPointer(start: d, count: n))
    }

    /// An INTEGER's magnitude, big-endian, without leading zeros.
    static func integerBytes(_ i: UnsafePointer<ASN1_STRING>) -> [UInt8] { stripZeros(bytes(of: i)) }

    static func stripZeros(_ b: [UInt8]) -> [UInt8] { Array(b.drop { $0 == 0 }) }

    static func objectText(_ obj: OpaquePointer?) -> String {
        var buf = [CChar](repeating: 0, count: 128)
        let n = OBJ_obj2txt(&buf, Int32(buf.count), obj, 1)
        return n > 0 ? cString(buf) : ""
    }

    static func objectName(_ obj: OpaquePointer?) -> String {
        var buf = [CChar](repeating: 0, count: 128)
        let n = OBJ_obj2txt(&buf, Int32(buf.count), obj, 0)
        return n > 0 ? cString(buf) : "unknown algorithm"
    }

    static func cString(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// OpenSSL's error queue as text, emptied.
    static func queue() -> String { drainReasons().1 }

    /// The reason codes and the text of OpenSSL's error queue, emptied.
    static func drainReasons() -> (Set<Int32>, String) {
        var reasons = Set<Int32>()
        var parts: [String] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            reasons.insert(ERR_GET_REASON(code))
            let text = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
            if let data, flags & ERR_TXT_STRING != 0, data.pointee != 0 {
                parts.append("\(text): \(String(cString: data))")
            } else {
                parts.append(text)
            }
        }
        return (reasons, parts.isEmpty ? "no detail from OpenSSL" : parts.joined(separator: "; "))
    }
}

/// One owner for one OpenSSL object: frees it when released.
final class Handle<P> {
    let p: P
    private let release: (P) -> Void
    init(_ p: P, _ release: @escaping (P) -> Void) { self.p = p; self.release = release }
    deinit { release(p) }
}
