import Foundation
internal import COpenSSL

/// One recipient of sealed evidence: an X.509 certificate (PEM) whose public key is RSA or
/// EC P-256. A file that holds a private key is refused: keys never enter the repository.
public struct RecipientCertificate: Sendable, Equatable {
    /// Where it was read from, for messages (`.attest/recipients/auditor.pem`).
    public let name: String
    /// The certificate, DER.
    public let der: Data
    /// The subject, RFC 2253 style (`CN=auditor,O=Example`).
    public let subject: String
    /// `RSA 3072` or `EC P-256`.
    public let keyType: String
    /// SHA-256 of the DER certificate, lowercase hex (`openssl x509 -fingerprint -sha256`).
    public let fingerprint: String

    /// The certificate in `pem`; refused when the file holds a private key, holds no certificate
    /// or more than one, or its key is neither RSA (2048 bits or more) nor EC P-256.
    public static func load(pem: Data, name: String) throws(CryptoError) -> RecipientCertificate {
        let text = String(decoding: pem, as: UTF8.self)
        if text.contains("PRIVATE KEY-----") {
            throw CryptoError(operation: "recipient \(name)", message: "the file holds a private key; a recipient file must hold only the certificate (openssl x509 -in \(name) -out cert.pem), and the private key must never be in the repository")
        }
        let certs = text.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
        guard certs == 1 else {
            throw CryptoError(operation: "recipient \(name)", message: certs == 0 ? "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file" : "\(certs) certificates in the file; put one recipient certificate in each file")
        }
        guard let x509 = Self.readX509(pem) else {
            ERR_clear_error()
            throw CryptoError(operation: "recipient \(name)", message: "the PEM certificate cannot be parsed as X.509")
        }
        defer { X509_free(x509) }
        return try Self(x509: x509, name: name)
    }

    init(x509: OpaquePointer, name: String) throws(CryptoError) {
        guard let key = X509_get0_pubkey(x509) else { throw CryptoError.fromQueue("recipient \(name): read the public key") }
        let bits = EVP_PKEY_get_bits(key)
        if EVP_PKEY_is_a(key, "RSA") == 1 {
            guard bits >= 2048 else {
                throw CryptoError(operation: "recipient \(name)", message: "its RSA key has \(bits) bits; use 2048 bits or more")
            }
            keyType = "RSA \(bits)"
        } else if EVP_PKEY_is_a(key, "EC") == 1 {
            var curve = [CChar](repeating: 0, count: 80)
            var len = 0
            guard EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, &curve, curve.count, &len) == 1,
                  TimeStampVerifier.cString(curve) == "prime256v1" else {
                ERR_clear_error()
                throw CryptoError(operation: "recipient \(name)", message: "its EC key is not on P-256 (prime256v1); attest seals to RSA and EC P-256 keys")
            }
            keyType = "EC P-256"
        } else {
            throw CryptoError(operation: "recipient \(name)", message: "its key is neither RSA nor EC P-256 (CMS key transport or agreement needs one of them)")
        }
        var p: UnsafeMutablePointer<UInt8>?
        let n = i2d_X509(x509, &p)
        guard n > 0, let p else { throw CryptoError.fromQueue("recipient \(name): encode DER") }
        der = Data(bytes: p, count: Int(n))
        CRYPTO_free(p, #fileID, #line)
        subject = TimeStampVerifier.name(X509_get_subject_name(x509))
        fingerprint = try SHA256.hex(of: der)
        self.name = name
    }

    /// The certificate as PEM, the bytes attest stores beside a sealed blob.
    public var pem: String {
        let b64 = der.base64EncodedString()
        var lines: [String] = ["-----BEGIN CERTIFICATE-----"]
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[i..<j]))
            i = j
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }

    static func readX509(_ pem: Data) -> OpaquePointer? {
        pem.withUnsafeBytes { raw -> OpaquePointer? in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
    }

    func x509() throws(CryptoError) -> OpaquePointer {
        let made = der.withUnsafeBytes { raw -> OpaquePointer? in
            var p = raw.bindMemory(to: UInt8.self).baseAddress
            return d2i_X509(nil, &p, raw.count)
        }
        guard let made else { throw CryptoError.fromQueue("recipient \(name): decode DER") }
        return made
    }
}

/// CMS sealing of an evidence archive (docs/evidence.md).
///
/// The output is DER CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, one
/// RecipientInfo per certificate: KeyTransRecipientInfo (RSA) or KeyAgreeRecipientInfo (ECDH,
/// EC P-256). `openssl cms -decrypt -inform DER -recip CERT -inkey KEY` opens it.
public enum EvidenceSeal {
    /// Seals `plaintext` to every recipient. The content-encryption key and IV are random:
    /// sealing the same bytes twice gives different ciphertexts (the archive inside is the same).
    public static func seal(_ plaintext: Data, to recipients: [RecipientCertificate]) throws(CryptoError) -> Data {
        guard !recipients.isEmpty else { throw CryptoError(operation: "seal", message: "no recipient certificate") }
        guard let stack = OPENSSL_sk_new_null() else { throw CryptoError.fromQueue("seal: certificate list") }
        var certs: [OpaquePointer] = []
        defer {
            OPENSSL_sk_free(stack)
            certs.forEach { X509_free($0) }
        }
        for r in recipients {
            let c = try r.x509()
            certs.append(c)
            guard OPENSSL_sk_push(stack, UnsafeRawPointer(c)) > 0 else { throw CryptoError.fromQueue("seal: certificate list") }
        }
        var input = plaintext
        let cms: OpaquePointer? = input.withUnsafeMutableBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1), Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return CMS_encrypt(stack, bio, EVP_aes_256_gcm(), UInt32(CMS_BINARY))
        }
        guard let cms else { throw CryptoError.fromQueue("seal: CMS_encrypt (AES-256-GCM AuthEnvelopedData)") }
        defer { CMS_ContentInfo_free(cms) }
        var out: UnsafeMutablePointer<UInt8>?
        let n = i2d_CMS_ContentInfo(cms, &out)
        guard n > 0, let out else { throw CryptoError.fromQueue("seal: encode DER") }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Data(bytes: out, count: Int(n))
    }

    /// Opens a sealed blob with one recipient's private key (PEM, unencrypted or not: an
    /// encrypted key is refused with a message saying how to decrypt it) and, when given, its
    /// certificate (which picks the RecipientInfo, as `openssl cms -recip` does).
    public static func open(_ sealed: Data, keyPEM: Data, keyName: String, certificate: RecipientCertificate?) throws(CryptoError) -> Data {
        let key: OpaquePointer? = keyPEM.withUnsafeBytes { raw -> OpaquePointer? in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            // An empty passphrase callback: an encrypted key fails instead of prompting.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else {
            let e = CryptoError.fromQueue("key \(keyName)")
            throw CryptoError(operation: "key \(keyName)", message: "no usable PEM private key (an encrypted key needs 'openssl pkey -in KEY -out plain.key' first): \(e.message)")
        }
        defer { EVP_PKEY_free(key) }
        let cms: OpaquePointer? = sealed.withUnsafeBytes { raw -> OpaquePointer? in
            var p = raw.bindMemory(to: UInt8.self).baseAddress
            return d2i_CMS_ContentInfo(nil, &p, raw.count)
        }
        guard let cms else { throw CryptoError.fromQueue("open: the sealed blob is not DER CMS") }
        defer { CMS_ContentInfo_free(cms) }
        let cert = try certificate?.x509()
        defer { if let cert { X509_free(cert) } }
        guard let out = BIO_new(BIO_s_mem()) else { throw CryptoError.fromQueue("open: memory") }
        defer { BIO_free(out) }
        guard CMS_decrypt(cms, key, cert, nil, out, UInt32(CMS_BINARY)) == 1 else {
            let e = CryptoError.fromQueue("open")
            throw CryptoError(operation: "open", message: "the key \(keyName) does not open this sealed evidence (not a recipient, or the blob was altered): \(e.message)")
        }
        var bytes = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = BIO_read(out, &buf, Int32(buf.count))
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<Int(n)])
        }
        return bytes
    }

    /// The content type of a sealed blob, for messages and checks: `authEnvelopedData`,
    /// `envelopedData`, or nil when it is not DER CMS.
    public static func contentType(_ sealed: Data) -> String? {
        let cms: OpaquePointer? = sealed.withUnsafeBytes { raw -> OpaquePointer? in
            var p = raw.bindMemory(to: UInt8.self).baseAddress
            return d2i_CMS_ContentInfo(nil, &p, raw.count)
        }
        guard let cms else { ERR_clear_error(); return nil }
        defer { CMS_ContentInfo_free(cms) }
        guard let oid = CMS_get0_type(cms) else { return nil }
        return String(cString: OBJ_nid2ln(OBJ_obj2nid(oid)))
    }
}
