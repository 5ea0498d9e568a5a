import Foundation
internal import COpenSSL

/// An SSH public key as OpenSSH writes it (`ssh-ed25519 AAAAC3Nz…`), held as its wire blob.
///
/// Supported: `ssh-ed25519`, `ecdsa-sha2-nistp256` (and nistp384, nistp521) and `ssh-rsa`
/// (1024 bits or more, as OpenSSH requires). Certificates, security-key (`sk-`) and DSA keys
/// are refused with a message saying so.
public struct SSHPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The key type: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ….
    public let type: String
    /// The wire encoding (what the base64 field of an allowed-signers line decodes to).
    public let blob: [UInt8]

    /// Parses and checks a wire blob.
    public init(blob: [UInt8]) throws(SSHSignatureError) {
        var r = SSHReader(blob, what: "public key")
        let type = try r.name("key type")
        switch type {
        case "ssh-ed25519":
            let k = try r.string("ed25519 key")
            guard k.count == 32 else { throw SSHSignatureError("ssh-ed25519 key is \(k.count) bytes, expected 32") }
        case let t where t.hasPrefix("ecdsa-sha2-"):
            guard let curve = ECCurve(keyType: t) else { throw SSHSignatureError("unsupported ECDSA key type \(t)") }
            let name = try r.name("curve name")
            guard name == curve.sshName else { throw SSHSignatureError("\(t) key names curve \(name)") }
            let q = try r.string("EC point")
            guard q.count == 1 + 2 * curve.fieldBytes, q.first == 0x04 else {
                throw SSHSignatureError("\(t) key point is not an uncompressed \(curve.sshName) point")
            }
        case "ssh-rsa":
            let e = try r.mpint("RSA exponent"), n = try r.mpint("RSA modulus")
            guard !e.isEmpty else { throw SSHSignatureError("ssh-rsa key exponent is zero") }
            let bits = n.count * 8 - (n.first.map { $0.leadingZeroBitCount } ?? 8)
            guard bits >= 1024 else { throw SSHSignatureError("ssh-rsa key is \(bits) bits; at least 1024 are required") }
            guard bits <= 16384 else { throw SSHSignatureError("ssh-rsa key is \(bits) bits; at most 16384 are accepted") }
        case let t where t.contains("-cert-v01@openssh.com"):
            throw SSHSignatureError("certificate keys (\(t)) are not supported; list the plain public key")
        case let t where t.hasPrefix("sk-"):
            throw SSHSignatureError("security-key keys (\(t)) are not supported")
        default:
            throw SSHSignatureError("unsupported key type \(type); use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa")
        }
        try r.requireEnd()
        self.type = type
        self.blob = blob
    }

    /// Parses the two fields of an OpenSSH public key line: the type and the base64 blob.
    /// The type written must match the type inside the blob.
    public init(type: String, base64: String) throws(SSHSignatureError) {
        guard let data = Data(base64Encoded: base64) else { throw SSHSignatureError("the \(type) key is not valid base64") }
        try self.init(blob: Array(data))
        guard self.type == type else { throw SSHSignatureError("the key is written as \(type) but its data is \(self.type)") }
    }

    /// `SHA256:…`, the fingerprint `ssh-keygen -l` prints.
    public var fingerprint: String {
        let digest = (try? SHA256.digest(Data(blob))) ?? []
        var b64 = Data(digest).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    /// `ssh-ed25519 AAAA…`
    public var openSSH: String { type + " " + Data(blob).base64EncodedString() }
    public var description: String { "\(type) \(fingerprint)" }

    /// The key as an OpenSSL `EVP_PKEY`, built from a DER SubjectPublicKeyInfo so that
    /// OpenSSL checks it (an EC point must lie on its curve).
    func evpKey() throws(SSHSignatureError) -> EVPKey {
        var r = SSHReader(blob, what: "public key")
        _ = try r.name("key type")
        let spki: [UInt8]
        switch type {
        case "ssh-ed25519":
            spki = Wire.sequence(Wire.sequence(Wire.oid([0x2B, 0x65, 0x70])), Wire.bitString(try r.string("ed25519 key")))
        case "ssh-rsa":
            let e = try r.mpint("RSA exponent"), n = try r.mpint("RSA modulus")
            spki = Wire.sequence(Wire.sequence(Wire.oid([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]), Wire.null),
                                 Wire.bitString(Wire.sequence(Wire.integer(n), Wire.integer(e))))
        default:
            guard let curve = ECCurve(keyType: type) else { throw SSHSignatureError("unsupported key type \(type)") }
            _ = try r.name("curve name")
            let q = try r.string("EC point")
            spki = Wire.sequence(Wire.sequence(Wire.oid([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]), Wire.oid(curve.oid)),
                                 Wire.bitString(q))
        }
        ERR_clear_error()
        let key: OpaquePointer? = spki.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PUBKEY(nil, &p, buf.count)
        }
        guard let key else {
            let e = CryptoError.fromQueue("load \(type) key")
            throw SSHSignatureError("the \(type) public key is not valid: \(e.message)")
        }
        return EVPKey(key)
    }
}

/// The ECDSA curves OpenSSH names, with the digest each signs with.
struct ECCurve {
    let sshName: String
    let oid: [UInt8]
    let fieldBytes: Int
    let digest: DigestAlgorithm

    init?(keyType: String) {
        switch keyType {
        case "ecdsa-sha2-nistp256": self.init(sshName: "nistp256", oid: [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], fieldBytes: 32, digest: .sha256)
        case "ecdsa-sha2-nistp384": self.init(sshName: "nistp384", oid: [0x2B, 0x81, 0x04, 0x00, 0x22], fieldBytes: 48, digest: .sha384)
        case "ecdsa-sha2-nistp521": self.init(sshName: "nistp521", oid: [0x2B, 0x81, 0x04, 0x00, 0x23], fieldBytes: 66, digest: .sha512)
        default: return nil
        }
    }
    private init(sshName: String, oid: [UInt8], fieldBytes: Int, digest: DigestAlgorithm) {
        self.sshName = sshName; self.oid = oid; self.fieldBytes = fieldBytes; self.digest = digest
    }
}

/// The one owner of an `EVP_PKEY`.
final class EVPKey {
    let pointer: OpaquePointer
    init(_ p: OpaquePointer) { pointer = p }
    deinit { EVP_PKEY_free(pointer) }
}

enum DigestAlgorithm: String {
    case sha256, sha384, sha512

    var md: OpaquePointer? {
        switch self {
        case .sha256: return EVP_sha256()
        case .sha384: return EVP_sha384()
        case .sha512: return EVP_sha512()
        }
    }

    func hash(_ data: UnsafeRawBufferPointer) throws(SSHSignatureError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var len: UInt32 = 0
        guard EVP_Digest(data.baseAddress, data.count, &out, &len, md, nil) == 1 else {
            throw SSHSignatureError("cannot compute \(rawValue): \(CryptoError.fromQueue(rawValue).message)")
        }
        return Array(out[0..<Int(len)])
    }
}

extension SHA256 {
    /// SHA-256 of bytes, raw.
    public static func digest(_ data: Data) throws(CryptoError) -> [UInt8] {
        var h = try SHA256()
        try h.update(data)
        return try h.finalize()
    }
}
