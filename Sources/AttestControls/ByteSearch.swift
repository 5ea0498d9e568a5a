import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Byte-level search on raw buffers for the pg_audit scanner's hot path.
///
/// glibc's `memmem` is vectorised but is a GNU extension that Swift's Glibc module does not
/// declare, so it is looked up once with `dlsym`; a portable loop built on `memchr` stands in
/// when it is missing.
enum ByteSearch {
    typealias MemmemFn = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?

    static let libcMemmem: MemmemFn? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "memmem") else { return nil }
        return unsafeBitCast(sym, to: MemmemFn.self)
    }()

    /// The first occurrence of `needle` in `[hay, hay + count)`, or nil.
    @inline(__always)
    static func find(_ hay: UnsafePointer<UInt8>, _ count: Int, _ needle: UnsafePointer<UInt8>, _ needleCount: Int) -> UnsafePointer<UInt8>? {
        if count < needleCount { return nil }
        if let f = libcMemmem {
            return f(hay, count, needle, needleCount).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }
        }
        var p = hay
        let end = hay + count
        let first = Int32(needle[0])
        while end - p >= needleCount {
            guard let hit = memchr(p, first, end - p - needleCount + 1) else { return nil }
            let h = hit.assumingMemoryBound(to: UInt8.self)
            if memcmp(h, needle, needleCount) == 0 { return UnsafePointer(h) }
            p = UnsafePointer(h) + 1
        }
        return nil
    }

    /// Whether the seven bytes at `p` are `AUDIT: ` (two unaligned loads, no call).
    @inline(__always)
    static func isAudit(_ p: UnsafePointer<UInt8>) -> Bool {
        let raw = UnsafeRawPointer(p)
        return raw.loadUnaligned(as: UInt32.self) == 0x4944_5541 && raw.loadUnaligned(fromByteOffset: 3, as: UInt32.self) == 0x203A_5449
    }

    /// The first `byte` in `[p, p + count)`, or nil.
    @inline(__always)
    static func find(_ byte: UInt8, _ p: UnsafePointer<UInt8>, _ count: Int) -> UnsafePointer<UInt8>? {
        guard count > 0, let hit = memchr(p, Int32(byte), count) else { return nil }
        return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Case-insensitive (ASCII) search for a lower-case needle as a whole SQL identifier:
    /// not preceded or followed by a letter, digit, `_` or `$`.
    static func containsIdentifier(_ hay: UnsafePointer<UInt8>, _ count: Int, lowerNeedle: [UInt8]) -> Bool {
        let n = lowerNeedle.count
        guard n > 0, count >= n else { return false }
        func isWord(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b == 0x24
        }
        // Fast path: the name as written in lower case, the usual spelling.
        var from = hay
        while let hit = lowerNeedle.withUnsafeBufferPointer({ find(from, count - (from - hay), $0.baseAddress!, n) }) {
            let i = hit - hay
            if (i == 0 || !isWord(hay[i - 1])) && (i + n == count || !isWord(hay[i + n])) { return true }
            from = hit + 1
        }
        // Any other casing: only when the first letter appears in upper case at all.
        let first = lowerNeedle[0]
        guard first >= 0x61 && first <= 0x7a, find(first & 0xdf, hay, count) != nil else { return false }
        var i = 0
        while i + n <= count {
            var j = 0
            while j < n {
                var b = hay[i + j]
                if b >= 0x41 && b <= 0x5a { b |= 0x20 }
                if b != lowerNeedle[j] { break }
                j += 1
            }
            if j == n && (i == 0 || !isWord(hay[i - 1])) && (i + n == count || !isWord(hay[i + n])) { return true }
            i += 1
        }
        return false
    }
}
