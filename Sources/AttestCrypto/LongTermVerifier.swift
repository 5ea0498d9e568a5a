import Foundation
internal import COpenSSL

/// Certificates as OpenSSL objects, each owned (freed) by its `Cert`.
final class Cert: @unchecked Sendable {
    let x: OpaquePointer
    /// Takes one reference (the caller's) to `x`.
    init(owning x: OpaquePointer) { self.x = x }
    /// Adds a reference to `x`, which the caller keeps.
    init(sharing x: OpaquePointer) { X509_up_ref(x); self.x = x }
    deinit { X509_free(x) }

    var subject: String { TimeStampVerifier.name(X509_get_subject_name(x)) }
    var issuerName: String { TimeStampVerifier.name(X509_get_issuer_name(x)) }
    var serial: String {
        guard let s = X509_get0_serialNumber(x) else { return "" }
        return SHA256.hex(TimeStampVerifier.integerBytes(s))
    }
    var selfIssued: Bool { X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 }
    var pem: Data {
        guard let bio = BIO_new(BIO_s_mem()) else { return Data() }
        defer { BIO_free(bio) }
        PEM_write_bio_X509(bio, x)
        return Data(TimeStampVerifier.readAll(bio).utf8)
    }
}

enum Certificates {
    /// Every certificate in PEM bytes (none when there is none).
    static func read(pem: Data) -> [Cert] {
        var out: [Cert] = []
        pem.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while let c = PEM_read_bio_X509(bio, nil, nil, nil) { out.append(Cert(owning: c)) }
        }
        ERR_clear_error()   // the loop ends on "no start line"
        return out
    }

    /// A new STACK_OF(X509) holding one more reference to each certificate (free with `free`).
    static func stack(_ certs: [Cert]) -> OpaquePointer {
        let sk = OPENSSL_sk_new_null()!
        for c in certs { X509_up_ref(c.x); OPENSSL_sk_push(sk, UnsafeRawPointer(c.x)) }
        return sk
    }

    static func free(_ sk: OpaquePointer) { OPENSSL_sk_pop_free(sk) { X509_free(OpaquePointer($0)) } }

    /// The certificates of a STACK_OF(X509), shared.
    static func items(_ sk: OpaquePointer?) -> [Cert] {
        guard let sk else { return [] }
        return (0..<OPENSSL_sk_num(sk)).compactMap { i in OPENSSL_sk_value(sk, i).map { Cert(sharing: OpaquePointer($0)) } }
    }
}

/// Offline long-term verification (docs/tsa.md, "Validation data"): a token, its TSA
/// certificate's chain to the CA and the revocation status of each certificate of that chain
/// at the token's `genTime`, judged with stored data only (no network).
///
/// - The chain is built and checked at `genTime` from the token's certificates and the stored
///   chain, up to a certificate of the CA file (the trust anchor, which is not itself checked
///   for revocation).
/// - For each other certificate, the stored CRLs issued by its issuer (signature checked) and
///   the OCSP responses for it (signature checked against the CA file) are read. Data that
///   speaks for `genTime` is a CRL or response issued at or after `genTime`, or one whose
///   next update is not before it. Without any, the token does not verify (`validation-data`).
/// - A revocation dated at or before `genTime` fails the token (`revoked`); one dated after is
///   reported in the result and does not invalidate it (the TSA's key was good when it signed).
public enum LongTermVerifier {
    public static func verify(token: Data, imprint: [UInt8], caPEM: Data, caName: String,
                              data: ValidationData) throws(TimeStampError) -> LongTermStamp {
        let anchor = TimeStampVerifier.Anchor.pem(caPEM, caName)
        let stamp = try TimeStampVerifier.verify(token: token, imprint: imprint, ca: anchor, nonce: nil, untrusted: data.chainPEM)
        let chain = try buildChain(token: token, anchor: anchor, extra: data.chainPEM, at: stamp.time)
        var standings: [CertificateStanding] = []
        for i in 0..<(chain.count - 1) {
            standings.append(try standing(of: chain[i], issuer: chain[i + 1], at: stamp.time, data: data, anchor: anchor))
        }
        return LongTermStamp(stamp: stamp, chain: chain.map(\.subject), standings: standings)
    }

    /// The chain of the token's signer at `time`: signer first, the anchor last.
    static func buildChain(token: Data, anchor: TimeStampVerifier.Anchor, extra: Data, at time: Date) throws(TimeStampError) -> [Cert] {
        let p7 = try TimeStampVerifier.parseToken(token)
        guard let signers = PKCS7_get0_signers(p7.p, nil, 0) else {
            throw .corrupted("the token names no signer certificate: \(TimeStampVerifier.queue())")
        }
        let signer = Certificates.items(signers).first
        OPENSSL_sk_free(signers)
        guard let signer else { throw .corrupted("the token carries no signer certificate") }
        let carried = Certificates.items(p7.p.pointee.d.sign.pointee.cert) + Certificates.read(pem: extra)
        let store = try TimeStampVerifier.loadStore(anchor)
        defer { X509_STORE_free(store) }
        let untrusted = Certificates.stack(carried)
        defer { Certificates.free(untrusted) }
        guard let ctx = X509_STORE_CTX_new() else { throw .validationData("cannot allocate a verification context") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, signer.x, untrusted) == 1 else {
            throw .validationData("cannot start the chain check: \(TimeStampVerifier.queue())")
        }
        X509_STORE_CTX_set_time(ctx, 0, time_t(time.timeIntervalSince1970))
        guard X509_verify_cert(ctx) == 1 else {
            let code = X509_STORE_CTX_get_error(ctx)
            let why = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            ERR_clear_error()
            throw .untrustedSigner(caFile: anchor.name, detail: "the chain of \(signer.subject) at \(ISO.text(time)): \(why)")
        }
        guard let sk = X509_STORE_CTX_get1_chain(ctx) else { throw .validationData("no chain was built") }
        defer { Certificates.free(sk) }
        return Certificates.items(sk)
    }

    static func standing(of cert: Cert, issuer: Cert, at genTime: Date, data: ValidationData,
                         anchor: TimeStampVerifier.Anchor) throws(TimeStampError) -> CertificateStanding {
        var sources: [String] = []
        var after: Revocation?
        var seen: [String] = []
        for crlBytes in data.crls {
            guard let crl = try CRL(crlBytes) else { continue }
            guard crl.issuedBy(issuer) else { seen.append("a CRL by \(crl.issuer)"); continue }
            guard crl.signed(by: issuer) else {
                throw .validationData("a stored CRL names \(crl.issuer) as its issuer but its signature does not verify with that certificate (altered or forged)")
            }
            let source = "CRL by \(crl.issuer) issued \(ISO.text(crl.thisUpdate))"
            if let r = crl.revocation(of: cert) {
                if r.time <= genTime {
                    throw .revoked(subject: cert.subject, revokedAt: ISO.text(r.time), reason: r.reason, genTime: ISO.text(genTime), source: source)
                }
                after = after.map { $0.time <= r.time ? $0 : r } ?? r
            }
            guard speaks(for: genTime, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate) else {
                seen.append("\(source), next update \(crl.nextUpdate.map(ISO.text) ?? "none") (before the token's time)")
                continue
            }
            sources.append(source)
        }
        for der in data.ocspResponses {
            let answer = try OCSPAnswer.judge(der, cert: cert, issuer: issuer, anchor: anchor)
            guard let answer else { continue }
            let source = "OCSP response by \(answer.responder) produced \(ISO.text(answer.producedAt))"
            switch answer.status {
            case .revoked(let r):
                if r.time <= genTime {
                    throw .revoked(subject: cert.subject, revokedAt: ISO.text(r.time), reason: r.reason, genTime: ISO.text(genTime), source: source)
                }
                after = after.map { $0.time <= r.time ? $0 : r } ?? r
            case .unknown:
                seen.append("\(source) (status unknown)")
                continue
            case .good: break
            }
            guard speaks(for: genTime, thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate) else {
                seen.append("\(source), next update \(answer.nextUpdate.map(ISO.text) ?? "none") (before the token's time)")
                continue
            }
            sources.append(source)
        }
        guard !sources.isEmpty else {
            let stored = seen.isEmpty ? "none is stored for it" : "stored: " + seen.joined(separator: "; ")
            throw .validationData("no CRL or OCSP response from \(cert.issuerName) speaks for \(cert.subject) at the token's time \(ISO.text(genTime)) (\(stored))")
        }
        var unique: [String] = []
        for s in sources where !unique.contains(s) { unique.append(s) }
        return CertificateStanding(subject: cert.subject, serial: cert.serial, sources: unique, revokedAfter: after)
    }

    /// Revocation data speaks for an instant it was issued at or before and had not expired
    /// by, or for any instant before it was issued (it lists every revocation until then).
    static func speaks(for t: Date, thisUpdate: Date, nextUpdate: Date?) -> Bool {
        thisUpdate >= t || (nextUpdate.map { $0 >= t } ?? false)
    }
}

/// One CRL, PEM or DER.
final class CRL {
    let p: OpaquePointer
    let thisUpdate: Date
    let nextUpdate: Date?

    /// nil for bytes that are no CRL at all would hide damage: unreadable bytes throw.
    init?(_ bytes: Data) throws(TimeStampError) {
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            if bytes.starts(with: Data("-----BEGIN".utf8)) {
                guard let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_X509_CRL(bio, nil, nil, nil)
            }
            var cursor: UnsafePointer<UInt8>? = base
            return d2i_X509_CRL(nil, &cursor, raw.count)
        }
        guard let parsed else {
            throw .validationData("a stored CRL cannot be read (\(bytes.count) bytes; \(TimeStampVerifier.queue()))")
        }
        p = parsed
        guard let last = X509_CRL_get0_lastUpdate(parsed), let t = TimeStampVerifier.date(of: last) else {
            X509_CRL_free(parsed)
            throw .validationData("a stored CRL has no readable thisUpdate")
        }
        thisUpdate = t
        nextUpdate = X509_CRL_get0_nextUpdate(parsed).flatMap(TimeStampVerifier.date(of:))
    }
    deinit { X509_CRL_free(p) }

    var issuer: String { TimeStampVerifier.name(X509_CRL_get_issuer(p)) }
    func issuedBy(_ c: Cert) -> Bool { X509_NAME_cmp(X509_CRL_get_issuer(p), X509_get_subject_name(c.x)) == 0 }
    func signed(by c: Cert) -> Bool {
        defer { ERR_clear_error() }
        guard let key = X509_get0_pubkey(c.x) else { return false }
        return X509_CRL_verify(p, key) == 1
    }

    /// The certificate's entry, unless it is removeFromCRL (a hold lifted).
    func revocation(of c: Cert) -> Revocation? {
        var entry: OpaquePointer? = nil
        guard X509_CRL_get0_by_cert(p, &entry, c.x) == 1, let entry,
              let when = X509_REVOKED_get0_revocationDate(entry), let t = TimeStampVerifier.date(of: when) else { return nil }
        var reason: Int = -1
        if let ext = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nil, nil) {
            let e = ext.assumingMemoryBound(to: ASN1_STRING.self)
            reason = ASN1_ENUMERATED_get(e)
            ASN1_ENUMERATED_free(e)
        }
        if reason == 8 { return nil }
        return Revocation(time: t, reason: ReasonCode.word(reason))
    }
}

enum ReasonCode {
    /// RFC 5280 §5.3.1 CRLReason as a word.
    static func word(_ code: Int) -> String {
        switch code {
        case 0: return "unspecified"
        case 1: return "keyCompromise"
        case 2: return "cACompromise"
        case 3: return "affiliationChanged"
        case 4: return "superseded"
        case 5: return "cessationOfOperation"
        case 6: return "certificateHold"
        case 8: return "removeFromCRL"
        case 9: return "privilegeWithdrawn"
        case 10: return "aACompromise"
        case -1: return "no reason given"
        default: return "reason \(code)"
        }
    }
}

/// A stored OCSP response judged for one certificate.
struct OCSPAnswer {
    enum Status { case good, revoked(Revocation), unknown }
    let status: Status
    let responder: String
    let producedAt: Date
    let thisUpdate: Date
    let nextUpdate: Date?

    /// nil when the response is about other certificates; throws when it is unreadable, not
    /// successful, or its signature does not verify against the CA file (at its own
    /// producedAt, like the token's chain at genTime).
    static func judge(_ der: Data, cert: Cert, issuer: Cert, anchor: TimeStampVerifier.Anchor) throws(TimeStampError) -> OCSPAnswer? {
        let parsed: OpaquePointer? = der.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            return d2i_OCSP_RESPONSE(nil, &cursor, raw.count)
        }
        guard let resp = parsed else {
            throw .validationData("a stored OCSP response cannot be read (\(der.count) bytes; \(TimeStampVerifier.queue()))")
        }
        defer { OCSP_RESPONSE_free(resp) }
        let status = OCSP_response_status(resp)
        guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            throw .validationData("a stored OCSP response is not successful (\(OCSP_response_status_str(Int(status)).map { String(cString: $0) } ?? "status \(status)"))")
        }
        guard let basic = OCSP_response_get1_basic(resp) else {
            throw .validationData("a stored OCSP response has no basic response: \(TimeStampVerifier.queue())")
        }
        defer { OCSP_BASICRESP_free(basic) }
        guard let id = OCSP_cert_to_id(nil, cert.x, issuer.x) else {
            throw .validationData("cannot name \(cert.subject) for OCSP: \(TimeStampVerifier.queue())")
        }
        defer { OCSP_CERTID_free(id) }
        var code: Int32 = 0, reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var thisUpd: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var nextUpd: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        guard OCSP_resp_find_status(basic, id, &code, &reason, &revoked, &thisUpd, &nextUpd) == 1 else {
            ERR_clear_error()
            return nil
        }
        guard let produced = OCSP_resp_get0_produced_at(basic).flatMap(TimeStampVerifier.date(of:)),
              let thisUpdate = thisUpd.flatMap({ TimeStampVerifier.date(of: $0) }) else {
            throw .validationData("a stored OCSP response for \(cert.subject) has no readable producedAt or thisUpdate")
        }
        // The responder's signature, its certificate chained to the CA file at producedAt.
        let store = try TimeStampVerifier.loadStore(anchor)
        defer { X509_STORE_free(store) }
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(produced.timeIntervalSince1970))
        let helpers = Certificates.stack([issuer])
        defer { Certificates.free(helpers) }
        guard OCSP_basic_verify(basic, helpers, store, 0) == 1 else {
            throw .validationData("the stored OCSP response for \(cert.subject) does not verify against \(anchor.name): \(TimeStampVerifier.queue())")
        }
        var responder = issuer.subject
        var signer: OpaquePointer? = nil
        if OCSP_resp_get0_signer(basic, &signer, helpers) == 1, let signer { responder = TimeStampVerifier.name(X509_get_subject_name(signer)) }
        ERR_clear_error()
        let judged: Status
        switch code {
        case V_OCSP_CERTSTATUS_GOOD: judged = .good
        case V_OCSP_CERTSTATUS_REVOKED:
            guard let t = revoked.flatMap({ TimeStampVerifier.date(of: $0) }) else {
                throw .validationData("a stored OCSP response says \(cert.subject) is revoked with no readable revocation time")
            }
            judged = .revoked(Revocation(time: t, reason: ReasonCode.word(Int(reason))))
        default: judged = .unknown
        }
        return OCSPAnswer(status: judged, responder: responder, producedAt: produced, thisUpdate: thisUpdate,
                          nextUpdate: nextUpd.flatMap { TimeStampVerifier.date(of: $0) })
    }
}
