internal import CGit2

/// A SHA-1 object id (40 hex digits). Hashable and cheap to copy: the 20 bytes live inline.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    let a: UInt64, b: UInt64, c: UInt32

    init(_ oid: git_oid) {
        var o = oid
        (a, b, c) = withUnsafeBytes(of: &o.id) { p in
            (p.loadUnaligned(fromByteOffset: 0, as: UInt64.self), p.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             p.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        }
    }

    var oid: git_oid {
        var o = git_oid()
        withUnsafeMutableBytes(of: &o.id) { p in
            p.storeBytes(of: a, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            p.storeBytes(of: c, toByteOffset: 16, as: UInt32.self)
        }
        return o
    }

    /// Parses exactly 40 hex digits (either case); nil otherwise.
    public init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count == 40, u.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else { return nil }
        var o = git_oid()
        guard git_oid_fromstrn(&o, hex, 40) == 0 else { return nil }
        self.init(o)
    }

    /// The all-zero id git uses for "no object" in hook input.
    public static let zero = ObjectID(git_oid())
    public var isZero: Bool { self == .zero }

    public var hex: String {
        var o = oid
        var buf = [CChar](repeating: 0, count: 41)
        git_oid_fmt(&buf, &o)
        return String(decoding: buf.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (l: ObjectID, r: ObjectID) -> Bool { l.hex < r.hex }
}
