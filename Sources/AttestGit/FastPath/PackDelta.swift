import Foundation

/// git's delta format, as the pack reader applies it: a whole object (`apply`), or only the first
/// bytes of one (`applyPrefix`, for tree lookups that stop early). Pure functions over bytes; the
/// differential tests (HistoryShapesTests) hold their output equal to libgit2's.
extension PackReader {
    /// The first `length` bytes of a delta's result (all when shorter): one pass finds how much
    /// of the base the copies into them read, `base` gives that much, a second pass writes.
    static func applyPrefix(delta: [UInt8], length: Int, base: (Int) -> Prefix?) -> Prefix? {
        delta.withUnsafeBufferPointer { d -> Prefix? in
            var i = 0
            func varint() -> Int? { deltaSize(d, &i) }
            guard let src = varint(), let dst = varint(), dst < 1 << 32 else { return nil }
            let opsStart = i
            let target = min(dst, length)
            // Pass 1: how far into the base the copies that land before `target` reach.
            func op(_ body: (_ copy: Bool, _ from: Int, _ len: Int) -> Bool) -> Bool {
                var w = 0
                while i < d.count && w < target {
                    switch deltaOp(d, &i) {
                    case .copy(let off, let len)?:
                        guard off + len <= src, w + len <= dst, body(true, off, min(len, target - w)) else { return false }
                        w += len
                    case .insert(let at, let len)?:
                        guard w + len <= dst, body(false, at, min(len, target - w)) else { return false }
                        w += len
                    case nil: return false
                    }
                }
                return w >= target
            }
            var need = 0
            guard op({ copy, from, len in if copy { need = max(need, from + len) }; return true }) else { return nil }
            // At least one byte, so that the base says its type.
            guard let b = base(max(need, 1)) else { return nil }
            guard b.bytes.count >= need, !b.complete || b.bytes.count == src else { return nil }
            var failed = false
            let out = [UInt8](unsafeUninitializedCapacity: max(target, 1)) { o, n in
                var w = 0
                i = opsStart
                let ok = b.bytes.withUnsafeBufferPointer { bb in
                    op { copy, from, len in
                        if copy { (o.baseAddress! + w).update(from: bb.baseAddress! + from, count: len) } else {
                            (o.baseAddress! + w).update(from: d.baseAddress! + from, count: len)
                        }
                        w += len
                        return true
                    }
                }
                failed = !ok || w != target
                n = failed ? 0 : target
            }
            return failed ? nil : Prefix(type: b.type, bytes: out, complete: target == dst)
        }
    }

    /// One instruction of git's delta format.
    enum DeltaOp {
        /// `length` bytes of the base from `offset`.
        case copy(offset: Int, length: Int)
        /// The `length` bytes of the delta itself from `offset`.
        case insert(offset: Int, length: Int)
    }

    /// The instruction at `i`, which it advances past it (and past an insert's bytes); nil when
    /// it is malformed: the reserved 0, or cut short by the end of the delta.
    @inline(__always) static func deltaOp(_ d: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> DeltaOp? {
        guard i < d.count else { return nil }
        let op = d[i]; i += 1
        if op & 0x80 != 0 {
            var off = 0, len = 0
            for bit in 0..<4 where op & (1 << bit) != 0 {
                guard i < d.count else { return nil }
                off |= Int(d[i]) << (8 * bit); i += 1
            }
            for bit in 0..<3 where op & (1 << (4 + bit)) != 0 {
                guard i < d.count else { return nil }
                len |= Int(d[i]) << (8 * bit); i += 1
            }
            return .copy(offset: off, length: len == 0 ? 0x10000 : len)
        }
        let len = Int(op)
        guard len != 0, i + len <= d.count else { return nil }
        defer { i += len }
        return .insert(offset: i, length: len)
    }

    /// A delta header's size: little-endian base-128 from `i`, which it advances; nil when
    /// truncated or over 56 bits.
    static func deltaSize(_ d: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        var v = 0, shift = 0
        while i < d.count {
            let c = d[i]; i += 1
            v |= Int(c & 0x7f) << shift
            if c & 0x80 == 0 { return v }
            shift += 7
            if shift > 56 { return nil }
        }
        return nil
    }

    /// git's delta format: source and target sizes, then copy (from the base) and insert ops.
    static func apply(delta: [UInt8], to base: [UInt8]) -> [UInt8]? {
        delta.withUnsafeBufferPointer { d -> [UInt8]? in
            base.withUnsafeBufferPointer { b -> [UInt8]? in
                var i = 0
                func varint() -> Int? { deltaSize(d, &i) }
                guard let src = varint(), src == b.count, let dst = varint(), dst < 1 << 32 else { return nil }
                var failed = false
                let out = [UInt8](unsafeUninitializedCapacity: max(dst, 1)) { o, n in
                    var w = 0
                    while i < d.count {
                        switch deltaOp(d, &i) {
                        case .copy(let off, let len)?:
                            guard off + len <= b.count, w + len <= dst else { failed = true; break }
                            (o.baseAddress! + w).update(from: b.baseAddress! + off, count: len)
                            w += len
                        case .insert(let at, let len)?:
                            guard w + len <= dst else { failed = true; break }
                            (o.baseAddress! + w).update(from: d.baseAddress! + at, count: len)
                            w += len
                        case nil: failed = true
                        }
                        if failed { break }
                    }
                    if w != dst { failed = true }
                    n = failed ? 0 : dst
                }
                return failed ? nil : out
            }
        }
    }
}
