import Foundation
internal import COpenSSL

/// Why an SSH signature was refused: one sentence saying exactly which check failed.
public struct SSHSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An OpenSSH signature (`ssh-keygen -Y sign`, the SSHSIG format of OpenSSH's PROTOCOL.sshsig),
/// as git writes it into a commit's `gpgsig` header with `gpg.format=ssh`.
///
/// Parsing checks the armor, the magic, the version, and the structure of every field with
/// bounds-checked reads; `verify` checks the namespace and the signature itself with OpenSSL.
/// Which keys are trusted is the caller's business (`AllowedSigners` in AttestCore).
///
/// ```swift
/// let sig = try SSHSignature(armored: gpgsigHeader)
/// try sig.verify(payload, namespace: "git")
/// ```
public struct SSHSignature: Sendable {
    public static let armorBegin = "-----BEGIN SSH SIGNATURE-----"
    public static let armorEnd = "-----END SSH SIGNATURE-----"
    /// Largest armored signature accepted (an RSA-16384 signature is under 6 KiB).
    public static let maxArmoredBytes = 64 * 1024

    /// The signer's public key, carried inside the signature.
    public let publicKey: SSHPublicKey
    public let namespace: String
    /// `sha512` or `sha256`: the digest of the message that was signed.
    public let hashAlgorithm: String
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `rsa-sha2-512`, `rsa-sha2-256`, ….
    public let signatureAlgorithm: String
    let reserved: [UInt8]
    let signature: [UInt8]

    /// Parses an armored signature (`-----BEGIN SSH SIGNATURE-----` … `-----END SSH SIGNATURE-----`).
    public init(armored text: String) throws(SSHSignatureError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxArmoredBytes else {
            throw SSHSignatureError("the signature is \(bytes.count) bytes; at most \(Self.maxArmoredBytes) are accepted")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        guard let first = lines.first, first == Self.armorBegin else {
            throw SSHSignatureError("the signature does not start with \(Self.armorBegin)")
        }
        guard lines.count >= 2, let endIndex = lines.firstIndex(where: { $0 == Self.armorEnd }) else {
            throw SSHSignatureError("the signature armor is truncated: no \(Self.armorEnd) line")
        }
        guard endIndex == lines.count - 1 else {
            throw SSHSignatureError("the signature has text after \(Self.armorEnd)")
        }
        let body = lines[1..<endIndex].joined()
        guard !body.isEmpty else { throw SSHSignatureError("the signature armor is empty") }
        guard let data = Data(base64Encoded: body) else {
            throw SSHSignatureError("the signature armor is not valid base64 (truncated or altered)")
        }
        try self.init(blob: Array(data))
    }

    /// Parses the binary SSHSIG blob.
    public init(blob: [UInt8]) throws(SSHSignatureError) {
        var r = SSHReader(blob, what: "SSH signature")
        guard try r.fixed(6, "magic") == Array("SSHSIG".utf8) else {
            throw SSHSignatureError("the signature does not start with the SSHSIG magic")
        }
        let version = try r.uint32("version")
        guard version == 1 else { throw SSHSignatureError("SSHSIG version \(version) is not supported (only 1)") }
        publicKey = try SSHPublicKey(blob: try r.string("public key"))
        namespace = try r.name("namespace")
        reserved = try r.string("reserved")
        hashAlgorithm = try r.name("hash algorithm")
        guard hashAlgorithm == "sha512" || hashAlgorithm == "sha256" else {
            throw SSHSignatureError("hash algorithm \(hashAlgorithm) is not allowed (sha512 or sha256)")
        }
        var s = SSHReader(try r.string("signature"), what: "signature field")
        try r.requireEnd()
        signatureAlgorithm = try s.name("signature algorithm")
        signature = try s.string("signature bytes")
        try s.requireEnd()
        let allowed: [String]
        switch publicKey.type {
        case "ssh-rsa": allowed = ["rsa-sha2-512", "rsa-sha2-256"]
        default: allowed = [publicKey.type]
        }
        guard allowed.contains(signatureAlgorithm) else {
            throw SSHSignatureError("signature algorithm \(signatureAlgorithm) does not go with a \(publicKey.type) key"
                + (signatureAlgorithm == "ssh-rsa" ? " (SHA-1 RSA signatures are refused)" : ""))
        }
    }

    /// Verifies the signature over `message` in `namespace`. Throws naming the check that failed.
    public func verify(_ message: Data, namespace expected: String = "git") throws(SSHSignatureError) {
        guard namespace == expected else {
            throw SSHSignatureError("the signature is for namespace '\(namespace)', not '\(expected)'")
        }
        let algorithm = DigestAlgorithm(rawValue: hashAlgorithm)!
        let hashed = message.withUnsafeBytes { b in Result { () throws(SSHSignatureError) in try algorithm.hash(b) } }
        let digest = try hashed.get()
        let signed = Array("SSHSIG".utf8) + Wire.string(namespace) + Wire.string(reserved)
            + Wire.string(hashAlgorithm) + Wire.string(digest)
        let key = try publicKey.evpKey()
        let md: DigestAlgorithm?
        var sig = signature
        switch signatureAlgorithm {
        case "ssh-ed25519":
            guard sig.count == 64 else { throw SSHSignatureError("the ssh-ed25519 signature is \(sig.count) bytes, expected 64") }
            md = nil
        case "rsa-sha2-512": md = .sha512
        case "rsa-sha2-256": md = .sha256
        default:
            guard let curve = ECCurve(keyType: signatureAlgorithm) else {
                throw SSHSignatureError("unsupported signature algorithm \(signatureAlgorithm)")
            }
            // SSH carries ECDSA's (r, s) as two mpints; OpenSSL wants DER.
            var r = SSHReader(sig, what: "ECDSA signature")
            let rr = try r.mpint("r"), ss = try r.mpint("s")
            try r.requireEnd()
            guard !rr.isEmpty, !ss.isEmpty, rr.count <= curve.fieldBytes, ss.count <= curve.fieldBytes else {
                throw SSHSignatureError("the ECDSA signature values are out of range")
            }
            sig = Wire.sequence(Wire.integer(rr), Wire.integer(ss))
            md = curve.digest
        }
        if publicKey.type == "ssh-rsa" {
            let modulusBytes = Int(EVP_PKEY_get_size(key.pointer))
            guard sig.count == modulusBytes else {
                throw SSHSignatureError("the RSA signature is \(sig.count) bytes, the key needs \(modulusBytes)")
            }
        }
        guard let ctx = EVP_MD_CTX_new() else { throw SSHSignatureError("cannot allocate a verify context") }
        defer { EVP_MD_CTX_free(ctx) }
        ERR_clear_error()
        guard EVP_DigestVerifyInit(ctx, nil, md?.md, nil, key.pointer) == 1 else {
            throw SSHSignatureError("cannot set up \(signatureAlgorithm) verification: \(CryptoError.fromQueue("verify").message)")
        }
        let rc = EVP_DigestVerify(ctx, sig, sig.count, signed, signed.count)
        ERR_clear_error()
        guard rc == 1 else {
            throw SSHSignatureError("the \(signatureAlgorithm) signature by \(publicKey.fingerprint) does not match the signed data (altered or signed by another key)")
        }
    }
}
