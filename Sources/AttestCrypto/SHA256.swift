import Foundation
import AttestSystem
internal import COpenSSL

/// Streaming SHA-256 through OpenSSL's EVP interface.
///
/// ```swift
/// var h = try SHA256()
/// try h.update(Data("abc".utf8))
/// let hex = try h.finalizeHex()   // ba7816bf…
/// ```
public struct SHA256: ~Copyable {
    private let ctx: OpaquePointer

    public init() throws(CryptoError) {
        guard let c = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("SHA-256 context") }
        guard EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(c)
            throw CryptoError.fromQueue("SHA-256 init")
        }
        ctx = c
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public mutating func update(_ data: Data) throws(CryptoError) {
        let ok = data.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
        guard ok == 1 else { throw CryptoError.fromQueue("SHA-256 update") }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) == 1 else { throw CryptoError.fromQueue("SHA-256 update") }
    }

    public consuming func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &out, &len) == 1 else { throw CryptoError.fromQueue("SHA-256 final") }
        return out
    }

    public consuming func finalizeHex() throws(CryptoError) -> String {
        Self.hex(try finalize())
    }

    /// SHA-256 of bytes, the 32 raw bytes.
    public static func digest(of data: Data) throws(CryptoError) -> [UInt8] {
        var h = try SHA256()
        try h.update(data)
        return try h.finalize()
    }

    /// SHA-256 of bytes, lowercase hex.
    public static func hex(of data: Data) throws(CryptoError) -> String {
        var h = try SHA256()
        try h.update(data)
        return try h.finalizeHex()
    }

    /// SHA-256 of a file, read in 1 MiB chunks, lowercase hex. Only a regular file is read
    /// (`AttestSystem.RegularFile`): a FIFO or a device named as evidence is refused, never waited on.
    public static func hex(ofFile path: String) throws(CryptoError) -> String {
        let fd: Int32
        do { fd = try RegularFile.open(path, what: "the file")!.fd } catch {
            throw CryptoError(operation: "SHA-256 of \(path)", message: error.description)
        }
        defer { close(fd) }
        var h = try SHA256()
        var chunk = Data(count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { b in read(fd, b.baseAddress!, b.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CryptoError(operation: "SHA-256 of \(path)", message: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            try h.update(chunk.prefix(n))
        }
        return try h.finalizeHex()
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
