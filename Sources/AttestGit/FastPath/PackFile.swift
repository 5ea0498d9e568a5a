import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One pack file and its index as the fast path reads them: mapped once per repository and
/// shared by every reader (`PackReader`), an object found by its id through the fan-out and an
/// interpolation step, the packs of the object directories listed newest first.
extension PackReader {
    /// One mapped pack and its index, shared read-only by every reader of a repository
    /// (`PackFiles`); what a reader touches of it is accounted in the reader's own `Marks`.
    final class Pack: @unchecked Sendable {
        let idx: UnsafeRawBufferPointer
        let pack: UnsafeRawBufferPointer
        /// The pack file open for `pread` (`PackReader.reads`), -1 when it could not be opened.
        let fd: Int32
        let count: Int
        let namesOffset = 8 + 256 * 4
        var offsetsOffset: Int { namesOffset + count * 24 }
        var largeOffset: Int { namesOffset + count * 28 }

        init?(idxPath: String, packPath: String) {
            guard let i = PackReader.map(idxPath) else { return nil }
            guard let p = PackReader.map(packPath) else { PackReader.unmap(i); return nil }
            idx = i; pack = p
            // Index v2: "\377tOc", version 2, fan-out, names, CRCs, offsets, large offsets.
            guard i.count >= 8 + 1024 + 40, i.load(as: UInt32.self).bigEndian == 0xff74_4f63,
                  i.load(fromByteOffset: 4, as: UInt32.self).bigEndian == 2,
                  p.count >= 12 + 20, p.load(as: UInt32.self).bigEndian == 0x5041_434b else {
                PackReader.unmap(i); PackReader.unmap(p); return nil
            }
            count = Int(i.load(fromByteOffset: 8 + 255 * 4, as: UInt32.self).bigEndian)
            guard 8 + 1024 + count * 28 + 40 <= i.count else { PackReader.unmap(i); PackReader.unmap(p); return nil }
            fd = Glibc.open(packPath, O_RDONLY | O_CLOEXEC)
        }

        deinit { PackReader.unmap(idx); PackReader.unmap(pack); if fd >= 0 { close(fd) } }


        func fanout(_ k: Int) -> Int { Int(idx.load(fromByteOffset: 8 + k * 4, as: UInt32.self).bigEndian) }

        func name0(_ i: Int) -> UInt64 { idx.loadUnaligned(fromByteOffset: namesOffset + i * 20, as: UInt64.self).byteSwapped }

        /// The pack offset of an object. Object ids are uniformly distributed, so an
        /// interpolation step between the fan-out bounds lands next to the entry; a binary
        /// search finishes (a plain binary search touches ~20 cache lines of a large index).
        func offset(of id: ObjectID, _ marks: inout Marks) -> Int? {
            let k0 = id.a.byteSwapped, k1 = id.b.byteSwapped, k2 = id.c.byteSwapped
            let first = Int(k0 >> 56)
            var lo = first == 0 ? 0 : fanout(first - 1), hi = fanout(first)
            guard lo < hi, hi <= count else { return nil }
            marks.touchIndex(0)
            // Interpolate on the 56 bits after the first byte, then bracket the guess.
            if hi - lo > 8 {
                let span = UInt64(hi - lo)
                let frac = (k0 << 8) >> 8
                let guess = lo + Int((frac.multipliedFullWidth(by: span).high << 8) | ((frac.multipliedFullWidth(by: span).low) >> 56))
                let g = min(max(guess, lo), hi - 1)
                // Widen until the bracket holds every entry whose first 8 bytes equal the key's.
                var a = g, b = g, step = 1
                while a > lo && name0(a) >= k0 { a = max(lo, a - step); step <<= 1 }
                step = 1
                while b < hi && name0(b) <= k0 { b = min(hi, b + step); step <<= 1 }
                lo = max(lo, a); hi = min(hi, b)
                marks.touchIndex(namesOffset + a * 20); marks.touchIndex(namesOffset + b * 20)
            }
            while lo < hi {
                let mid = (lo + hi) >> 1
                let at = namesOffset + mid * 20
                let c = idx.compareObjectName(at: at, k0, k1, k2)
                if c == 0 {
                    marks.touchIndex(at); marks.touchIndex(offsetsOffset + mid * 4)
                    let o = idx.loadUnaligned(fromByteOffset: offsetsOffset + mid * 4, as: UInt32.self).bigEndian
                    if o & 0x8000_0000 == 0 { return Int(o) }
                    let li = Int(o & 0x7fff_ffff)
                    guard largeOffset + li * 8 + 8 <= idx.count else { return nil }
                    marks.touchIndex(largeOffset + li * 8)
                    let big = idx.loadUnaligned(fromByteOffset: largeOffset + li * 8, as: UInt64.self).bigEndian
                    return big < UInt64(pack.count) ? Int(big) : nil
                }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    /// Maps every pack under each of the object directories, in order, newest pack first.
    static func open(_ objectsDirectories: [String]) -> [Pack] {
        var packs: [Pack] = []
        for objects in objectsDirectories {
            let dir = objects + "/pack"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            // Newest pack first, as git searches them: recent objects are in recent packs.
            func mtime(_ path: String) -> Int {
                var st = stat()
                return stat(path, &st) == 0 ? st.st_mtim.tv_sec : 0
            }
            let idxs = names.filter { $0.hasSuffix(".idx") }.map { ($0, mtime(dir + "/" + $0)) }
            for (name, _) in idxs.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }) {
                let base = dir + "/" + name.dropLast(4)
                if let p = Pack(idxPath: base + ".idx", packPath: base + ".pack") { packs.append(p) }
            }
        }
        return packs
    }

    static func map(_ path: String) -> UnsafeRawBufferPointer? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else { return nil }
        return UnsafeRawBufferPointer(start: m, count: size)
    }

    static func unmap(_ b: UnsafeRawBufferPointer) {
        if let base = b.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), b.count) }
    }
}

extension UnsafeRawBufferPointer {
    /// Compares the 20-byte object name at `at` of a sorted table (a pack index, a commit-graph)
    /// with a key given as its three big-endian words: -1, 0 or 1.
    func compareObjectName(at: Int, _ k0: UInt64, _ k1: UInt64, _ k2: UInt32) -> Int {
        let n0 = loadUnaligned(fromByteOffset: at, as: UInt64.self).byteSwapped
        if n0 != k0 { return n0 < k0 ? -1 : 1 }
        let n1 = loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).byteSwapped
        if n1 != k1 { return n1 < k1 ? -1 : 1 }
        let n2 = loadUnaligned(fromByteOffset: at + 16, as: UInt32.self).byteSwapped
        return n2 == k2 ? 0 : (n2 < k2 ? -1 : 1)
    }
}
