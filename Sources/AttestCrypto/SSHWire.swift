/// Bounds-checked readers and writers for the SSH wire encoding (RFC 4251 §5) and the
/// few DER structures OpenSSL needs. Every length is checked against what is left before a
/// byte is touched: hostile input fails with a message, never a crash.
struct SSHReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    /// What is being read, for messages: "SSHSIG blob", "public key".
    let what: String

    init(_ bytes: [UInt8], what: String) { self.bytes = bytes; self.what = what }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func fixed(_ n: Int, _ field: String) throws(SSHSignatureError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw SSHSignatureError("\(what) is truncated: \(field) needs \(n) bytes, \(remaining) left")
        }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func uint32(_ field: String) throws(SSHSignatureError) -> UInt32 {
        let b = try fixed(4, field)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// `string`: a uint32 length and that many bytes.
    mutating func string(_ field: String) throws(SSHSignatureError) -> [UInt8] {
        let n = try uint32("length of \(field)")
        guard Int(n) <= remaining else {
            throw SSHSignatureError("\(what) is truncated: \(field) claims \(n) bytes, \(remaining) left")
        }
        return try fixed(Int(n), field)
    }

    /// A `string` that must be printable ASCII (algorithm and namespace names).
    mutating func name(_ field: String) throws(SSHSignatureError) -> String {
        let b = try string(field)
        guard b.count <= 256, b.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw SSHSignatureError("\(what): \(field) is not a printable name")
        }
        return String(decoding: b, as: UTF8.self)
    }

    /// `mpint`: a non-negative two's-complement integer; returns its magnitude without
    /// leading zero bytes.
    mutating func mpint(_ field: String) throws(SSHSignatureError) -> [UInt8] {
        let b = try string(field)
        if let first = b.first, first & 0x80 != 0 { throw SSHSignatureError("\(what): \(field) is negative") }
        return Array(b.drop { $0 == 0 })
    }

    func requireEnd() throws(SSHSignatureError) {
        guard isAtEnd else { throw SSHSignatureError("\(what) has \(remaining) unexpected trailing bytes") }
    }
}

/// Writers for the SSH wire format (the signed blob) and DER (keys and ECDSA signatures).
enum Wire {
    static func uint32(_ n: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
    }
    static func string(_ b: [UInt8]) -> [UInt8] { uint32(b.count) + b }
    static func string(_ s: String) -> [UInt8] { string(Array(s.utf8)) }

    static func derLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + derLength(content.count) + content }
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { der(0x30, parts.flatMap { $0 }) }
    /// A DER INTEGER from a non-negative magnitude (big-endian, leading zeros allowed).
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var m = Array(magnitude.drop { $0 == 0 })
        if m.isEmpty { m = [0] }
        if m[0] & 0x80 != 0 { m.insert(0, at: 0) }
        return der(0x02, m)
    }
    static func bitString(_ b: [UInt8]) -> [UInt8] { der(0x03, [0] + b) }
    static func oid(_ encoded: [UInt8]) -> [UInt8] { der(0x06, encoded) }
    static let null: [UInt8] = [0x05, 0x00]
}
