import Foundation

/// Recipient certificates and their keys for sealed evidence, made with the openssl CLI in a
/// scratch folder: `<name>.pem` (self-signed certificate) and `<name>.key` (PKCS#8, no passphrase).
public struct RecipientFixture: Sendable {
    public enum Kind: Sendable { case rsa, ec, ecP384 }
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public func cert(_ name: String) -> String { folder + "/\(name).pem" }
    public func key(_ name: String) -> String { folder + "/\(name).key" }

    /// Makes `<name>.pem` and `<name>.key`; fails the caller (by crashing the test) if openssl does.
    @discardableResult
    public func make(_ name: String, _ kind: Kind) -> (cert: String, key: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let keyArgs: [String]
        switch kind {
        case .rsa: keyArgs = ["-newkey", "rsa:2048"]
        case .ec: keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        case .ecP384: keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]
        }
        let r = run("openssl", ["req", "-x509"] + keyArgs + ["-nodes", "-keyout", key(name), "-out", cert(name),
                    "-subj", "/CN=\(name)/O=Raxx Test", "-days", "5000"])
        precondition(r.status == 0, "openssl req failed: \(r)")
        return (cert(name), key(name))
    }
}
