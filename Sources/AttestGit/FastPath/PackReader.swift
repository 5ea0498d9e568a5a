import Foundation
internal import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reads objects straight out of a repository's pack files (`objects/pack/*.idx` + `*.pack`,
/// index version 2), for the audit's history walk, which reads every commit and root tree once.
///
/// libgit2 reads an object through several layers (backend search, windows under a global lock,
/// allocations, an object cache); here a lookup is a fan-out step and a binary search on the
/// memory-mapped index, and a read is one zlib inflate into a buffer, with delta chains resolved
/// through a small cache of recent objects (bases are usually objects read just before).
///
/// Anything this reader does not handle (loose objects, alternates, a malformed entry) returns
/// nil, and the caller falls back to libgit2, which reports errors properly. Every offset and
/// length read from a file is bounds-checked: a repository is input like any other.
final class PackReader {
    private let packs: [Pack]
    /// The packs in the order they are searched: the one that answered last first, as git keeps
    /// its packs most recently used first (`packed_git_mru`). A walk of old history does not
    /// first miss in every newer pack's index (with a second pack of recent objects, index
    /// look-ups were 11% of the audit's samples, 6.5% with one pack); a push's recent objects
    /// are found in the newest.
    private var searchOrder: [Int]

    /// The pack holding `id` and its offset there; that pack is searched first from then on.
    private func locate(_ id: ObjectID) -> (k: Int, offset: Int)? {
        for n in 0..<searchOrder.count {
            let k = searchOrder[n]
            if let off = packs[k].offset(of: id, &marks[k]) {
                if n > 0 { searchOrder.remove(at: n); searchOrder.insert(k, at: 0) }
                return (k, off)
            }
        }
        return nil
    }
    /// Per pack, what this reader touched of it (`Marks`, PackBudget.swift).
    private var marks: [Marks]

    let budget: Budget
    /// `budget.mapped` for these packs.
    private let mappedBudget: Int

    /// Called once per object asked for (however long its delta chain): the budget is checked
    /// between objects, never in the middle of a chain.
    private func counted() {
        var touched = 0
        for m in marks { touched += m.touched }
        if touched << Self.windowShift > mappedBudget { release() }
    }

    /// Gives the pages of the mapped files back (they stay in the page cache; a later read
    /// maps them again), so the resident set stays bounded however much of a pack a walk reads.
    /// Another reader of the same files only maps again what it reads next.
    private func release() {
        for (k, p) in packs.enumerated() {
            madvise(UnsafeMutableRawPointer(mutating: p.pack.baseAddress!), p.pack.count, MADV_DONTNEED)
            madvise(UnsafeMutableRawPointer(mutating: p.idx.baseAddress!), p.idx.count, MADV_DONTNEED)
            marks[k] = Marks(p)
        }
        if budget.reads { startReading() }
    }

    /// From now on, reads the packs with `pread` (when every pack file could be opened).
    func startReading() {
        if packs.allSatisfy({ $0.fd >= 0 }) { reads = true }
    }
    private var stream = z_stream()
    private var streamReady = false
    /// Pack bytes are read with `pread` into a window, no longer touched through the mapping:
    /// a tree resolver's chains hop over the whole pack (up to 250 deltas of a few hundred bytes
    /// each after a deep repack), and every fault on the mapping maps 64 KiB around its page,
    /// which the budget then gives back (`madvise`) and the next chain faults in again. A
    /// reader whose `Budget.reads` allows it reads from the start when the packs are more than
    /// twice its mapped budget, else starts mapped (cheaper while what it touches stays within
    /// the budget) and reads from its first `release` on. Only the index stays mapped.
    private(set) var reads = false
    /// The last bytes read: `window.count` bytes of pack `window.k` from `window.start`, at
    /// `window.base` (the read buffer `input`, or a kept page). One
    /// read of 4 KiB at an entry holds its header and, for the deltas of trees (a few hundred
    /// bytes), all of its data.
    private var input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    private var window: (k: Int, start: Int, count: Int, base: UnsafeRawPointer?) = (-1, 0, 0, nil)
    /// Whole 4 KiB pages read with `pread`, direct-mapped by (pack, page): `budget.pageCache`
    /// bytes, allocated on the first read (untouched pages are not resident).
    private var pages: UnsafeMutableRawPointer?
    private var pageKeys: [Int] = []
    static let pageShift = 12
    // Recently read objects, whole and as prefixes (see `ObjectCache`).
    private var cache: ObjectCache<(type: UInt8, bytes: [UInt8])>
    private var prefixes: ObjectCache<Prefix>
    private var answers: ObjectCache<TreeAnswer>

    /// Opens every pack under `objects`; nil when there is none (the caller uses libgit2 alone).
    convenience init?(objectsDirectory objects: String) { self.init(objectsDirectories: [objects]) }

    /// Opens every pack under each of the object directories, in order; nil when there is none.
    convenience init?(objectsDirectories: [String], budget: Budget = .commits) {
        self.init(files: PackReader.open(objectsDirectories), budget: budget)
    }

    /// A reader of packs already mapped (a repository's, `Repository.packFiles`); nil when
    /// there is none.
    init?(files: [Pack], budget: Budget) {
        packs = files
        searchOrder = Array(files.indices)
        marks = files.map(Marks.init)
        self.budget = budget
        let sizes = budget.resolved(packBytes: files.reduce(0) { $0 + $1.pack.count })
        mappedBudget = sizes.mapped
        cache = ObjectCache(slots: budget.objectSlots, budget: budget.objects) { $0.bytes.count }
        prefixes = ObjectCache(slots: budget.prefixSlots, budget: sizes.prefixes) { $0.bytes.count }
        answers = ObjectCache(slots: budget.prefixSlots, budget: sizes.prefixes / 2) { $0.footprint }
        guard !packs.isEmpty else { return nil }
        // Packs of more than twice the budget will be given back and faulted in again: read
        // from the start (git/git's 500 MiB pack; a generated 80 MiB one stays mapped).
        if budget.reads && files.reduce(0, { $0 + $1.pack.count }) > 2 * mappedBudget { startReading() }
        guard attest_inflate_init(&stream) == Z_OK else { return nil }
        streamReady = true
    }

    deinit {
        if streamReady { inflateEnd(&stream) }
        scratch.deallocate(); input.deallocate(); pages?.deallocate()
    }

    /// The object's type (1 commit, 2 tree, 3 blob, 4 tag) and bytes; nil when it is not in a
    /// pack or its entry cannot be read.
    func read(_ id: ObjectID) -> (type: UInt8, bytes: [UInt8])? {
        counted()
        return read(id, depth: 0)
    }

    private func read(_ id: ObjectID, depth: Int) -> (type: UInt8, bytes: [UInt8])? {
        guard let (k, off) = locate(id) else { return nil }
        return object(in: k, at: off, depth: depth)
    }

    private func object(in k: Int, at offset: Int, depth: Int) -> (type: UInt8, bytes: [UInt8])? {
        if let hit = cache[k, offset] { return hit }
        guard depth < 4096, let e = entry(in: k, at: offset) else { return nil }
        let end = packs[k].pack.count - 20
        let result: (type: UInt8, bytes: [UInt8])
        switch e.type {
        case 1, 2, 3, 4:
            guard let data = inflate(k, at: e.data, end: end, size: e.size) else { return nil }
            result = (e.type, data)
        case 6, 7:
            guard let base = e.base.map({ object(in: k, at: $0, depth: depth + 1) }) ?? e.baseID.map({ read($0, depth: depth + 1) }) ?? nil,
                  let delta = inflate(k, at: e.data, end: end, size: e.size),
                  let out = PackReader.apply(delta: delta, to: base.bytes) else { return nil }
            result = (base.type, out)
        default:
            return nil
        }
        cache[k, offset] = result
        return result
    }

    /// The bytes of the pack from `offset` on that an entry's header and delta base reference
    /// fit in (at most 64, fewer at the end): the mapping itself, or the read window.
    private func headBytes(in k: Int, at offset: Int) -> UnsafeRawBufferPointer {
        let pack = packs[k].pack
        let end = pack.count - 20
        guard offset < end else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let n = min(64, end - offset)
        if !reads {
            marks[k].touchPack(offset, 32)
            return UnsafeRawBufferPointer(rebasing: pack[offset..<(offset + n)])
        }
        if !(window.k == k && offset >= window.start && offset + n <= window.start + window.count) {
            guard fill(k, at: offset, min(4096, end - offset), need: n) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        }
        return UnsafeRawBufferPointer(start: window.base! + (offset - window.start), count: min(n, window.start + window.count - offset))
    }

    /// Makes the window hold at least `need` bytes of pack `k` from `offset` (fewer only at
    /// the pack's end), and up to `count`; false when nothing could be read. With a page cache
    /// (`Budget.pageCache`) whole 4 KiB pages are kept once read: a window within one kept page
    /// is that page, one over several kept pages is copied from them, and only a window with a
    /// page not kept is read (from the page of `offset` on, its whole pages then kept).
    private func fill(_ k: Int, at offset: Int, _ count: Int, need: Int) -> Bool {
        let slots = budget.pageCache >> Self.pageShift
        guard slots > 0 else {
            let got = pread(packs[k].fd, input.baseAddress, min(count, input.count), off_t(offset))
            window = got > 0 ? (k, offset, got, UnsafeRawPointer(input.baseAddress!)) : (-1, 0, 0, nil)
            return got > 0
        }
        if pages == nil {
            pages = .allocate(byteCount: slots << Self.pageShift, alignment: 1 << Self.pageShift)
            pageKeys = [Int](repeating: -1, count: slots)
        }
        let page = 1 << Self.pageShift
        let size = packs[k].pack.count
        let start = offset & ~(page - 1)
        let end = min(start + input.count, (offset + max(count, need, 1) + page - 1) & ~(page - 1), size)
        guard start < end else { window.k = -1; return false }
        func slot(_ p: Int) -> Int { (p ^ (p >> 11) ^ (k &* 0x9E37)) & (slots - 1) }
        func kept(_ p: Int) -> Bool { pageKeys[slot(p)] == k << 48 | p }
        let first = start >> Self.pageShift
        // Only whole pages are kept: the pack's last, short page is read each time.
        if start + page <= size, kept(first), offset + need <= start + page {
            window = (k, start, page, UnsafeRawPointer(pages! + (slot(first) << Self.pageShift)))
            return true
        }
        let last = (min(end, offset + max(need, 1)) - 1) >> Self.pageShift
        if (last + 1) << Self.pageShift <= size, (first...last).allSatisfy(kept) {
            for p in first...last {
                (input.baseAddress! + ((p - first) << Self.pageShift)).copyMemory(from: pages! + (slot(p) << Self.pageShift), byteCount: page)
            }
            window = (k, start, (last - first + 1) << Self.pageShift, UnsafeRawPointer(input.baseAddress!))
            return true
        }
        let got = pread(packs[k].fd, input.baseAddress, end - start, off_t(start))
        guard got > offset - start else { window.k = -1; return false }
        for p in first...((end - 1) >> Self.pageShift) where (p - first + 1) << Self.pageShift <= got {
            (pages! + (slot(p) << Self.pageShift)).copyMemory(from: input.baseAddress! + ((p - first) << Self.pageShift), byteCount: page)
            pageKeys[slot(p)] = k << 48 | p
        }
        window = (k, start, got, UnsafeRawPointer(input.baseAddress!))
        return true
    }

    /// An entry's type, inflated size and where its data (or delta base reference) starts.
    private func entryHeader(in k: Int, at offset: Int) -> (type: UInt8, size: Int, start: Int)? {
        entry(in: k, at: offset).map { ($0.type, $0.size, $0.data) }
    }

    /// An entry's type, inflated size, its delta base (an offset in the same pack for an
    /// OFS_DELTA, an id for a REF_DELTA) and where its zlib data starts.
    private func entry(in k: Int, at offset: Int) -> (type: UInt8, size: Int, base: Int?, baseID: ObjectID?, data: Int)? {
        let h = headBytes(in: k, at: offset)
        let n = h.count
        var p = 0
        guard p < n else { return nil }
        var c = h[p]; p += 1
        let type = (c >> 4) & 7
        var size = Int(c & 15)
        var shift = 4
        while c & 0x80 != 0 {
            guard p < n, shift < 57 else { return nil }
            c = h[p]; p += 1
            size |= Int(c & 0x7f) << shift
            shift += 7
        }
        switch type {
        case 6: // OFS_DELTA: the base is earlier in this pack, at a negative offset.
            guard p < n else { return nil }
            c = h[p]; p += 1
            var back = Int(c & 0x7f)
            while c & 0x80 != 0 {
                guard p < n, back < (1 << 48) else { return nil }
                c = h[p]; p += 1
                back = ((back + 1) << 7) | Int(c & 0x7f)
            }
            guard back > 0, back <= offset else { return nil }
            return (type, size, offset - back, nil, offset + p)
        case 7: // REF_DELTA: the base is named by id.
            guard p + 20 <= n else { return nil }
            return (type, size, nil, ObjectID(bytes: h.baseAddress! + p), offset + p + 20)
        default:
            return (type, size, nil, nil, offset + p)
        }
    }

    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)

    /// Calls `body` with the object's type and bytes; nil when the object is not in a pack or
    /// its entry cannot be read. A commit stored whole is inflated into a reused buffer (the
    /// walk reads each commit once); everything else goes through the cache of recent objects.
    func withObject<T, E: Error>(_ id: ObjectID, _ body: (UnsafeBufferPointer<UInt8>, UInt8) throws(E) -> T) throws(E) -> T? {
        counted()
        if let (k, off) = locate(id) {
            let p = packs[k]
            if let (type, size, start) = entryHeader(in: k, at: off), type == 1, size <= 1 << 24 {
                if scratch.count < size {
                    scratch.deallocate()
                    scratch = .allocate(byteCount: max(size, scratch.count * 2), alignment: 8)
                }
                let out = UnsafeMutableBufferPointer(start: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size)
                if inflate(k, at: start, end: p.pack.count - 20, into: out) {
                    return try body(UnsafeBufferPointer(out), type)
                }
            }
            guard let o = object(in: k, at: off, depth: 0) else { return nil }
            return try o.bytes.withUnsafeBufferPointer { buf throws(E) in try body(buf, o.type) }
        }
        return nil
    }

    // MARK: - Prefixes

    /// The first bytes of an object: at least `length` of them, or all when it is shorter.
    struct Prefix { var type: UInt8; var bytes: [UInt8]; var complete: Bool }

    /// At least the first `length` bytes of an object (all of it when shorter), without
    /// inflating or applying more of it, or of the objects its delta chain names, than those
    /// bytes need. A tree's entries are sorted, so a lookup of `Documentation` in a root tree of
    /// 20 KiB needs its first few hundred bytes: the copies of a delta that land there, the
    /// bases' bytes they copy, and no more. Nil when the object is not in a pack.
    func prefix(_ id: ObjectID, _ length: Int) -> Prefix? {
        counted()
        guard let (k, off) = locate(id) else { return nil }
        return prefix(in: k, at: off, length, depth: 0)
    }

    /// `delta`: the entry's delta data, when the caller has inflated it already.
    private func prefix(in k: Int, at offset: Int, _ length: Int, depth: Int, delta inflated: [UInt8]? = nil) -> Prefix? {
        if let hit = prefixes[k, offset], hit.complete || hit.bytes.count >= length { return hit }
        guard depth < 4096, let e = entry(in: k, at: offset) else { return nil }
        let end = packs[k].pack.count - 20
        let result: Prefix
        switch e.type {
        case 1, 2, 3, 4:
            let want = min(e.size, length)
            guard let data = inflate(k, at: e.data, end: end, size: want, partial: want < e.size) else { return nil }
            result = Prefix(type: e.type, bytes: data, complete: want == e.size)
        case 6, 7:
            guard let delta = inflated ?? inflate(k, at: e.data, end: end, size: e.size) else { return nil }
            let baseOf = { (need: Int) -> Prefix? in
                if let base = e.base { return self.prefix(in: k, at: base, need, depth: depth + 1) }
                guard let (j, o) = self.locate(e.baseID!) else { return nil }
                return self.prefix(in: j, at: o, need, depth: depth + 1)
            }
            guard let r = PackReader.applyPrefix(delta: delta, length: length, base: baseOf) else { return nil }
            result = r
        default:
            return nil
        }
        prefixes[k, offset] = result
        return result
    }

    // MARK: - Tree lookups

    /// The answers for `set` in tree `id` (`TreeParser.answer`), nil when it is not in a pack,
    /// is not a tree, or cannot be read (the caller asks libgit2). A tree stored as a delta
    /// whose base is answered is answered from the delta alone when the delta left the bytes
    /// the answers were decided on in place (`TreeParser.inherit`): neither it nor its base is
    /// rebuilt. Otherwise its first bytes are (`prefix`), `hint` of them first, twice as many
    /// until every name is decided.
    func lookup(_ id: ObjectID, _ set: TreeNameSet, hint: Int) -> TreeAnswer? {
        counted()
        guard let (k, off) = locate(id) else { return nil }
        return lookup(in: k, at: off, set, hint: hint, depth: 0)
    }

    private func lookup(in k: Int, at offset: Int, _ set: TreeNameSet, hint: Int, depth: Int) -> TreeAnswer? {
        if let hit = answers[k, offset], hit.set == set.id { return hit }
        guard depth < 4096, let e = entry(in: k, at: offset) else { return nil }
        let end = packs[k].pack.count - 20
        var delta: [UInt8]?
        var result: TreeAnswer?
        if e.type == 6 || e.type == 7 {
            var base: (k: Int, offset: Int)?
            if let b = e.base { base = (k, b) } else if let (j, o) = locate(e.baseID!) { base = (j, o) }
            if let base, let a = lookup(in: base.k, at: base.offset, set, hint: hint, depth: depth + 1) {
                delta = inflate(k, at: e.data, end: end, size: e.size)
                result = delta?.withUnsafeBufferPointer { TreeParser.inherit($0, from: a) }
            }
        }
        if result == nil {
            var length = max(hint, 64)
            while let p = prefix(in: k, at: offset, length, depth: depth, delta: delta), p.type == 2 {
                let size: Int? = e.type == 2 ? e.size : (p.complete ? p.bytes.count : nil)
                result = p.bytes.withUnsafeBufferPointer { TreeParser.answer(set, in: $0, complete: p.complete, size: size) }
                if result != nil || p.complete { break }
                length *= 2
            }
        }
        if let result { answers[k, offset] = result }
        return result
    }

    /// Inflates exactly `out.count` bytes from the zlib stream at `at` into `out`.
    private func inflate(_ k: Int, at: Int, end: Int, into out: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        let pack = packs[k].pack
        guard at < end, out.count > 0, inflateReset(&stream) == Z_OK else { return false }
        if reads { return inflateRead(k, at: at, end: end, into: out, partial: false) == out.count }
        defer { if !reads { marks[k].touchPack(at, Int(stream.total_in)) } }
        stream.next_in = UnsafeMutablePointer(mutating: pack.baseAddress!.assumingMemoryBound(to: UInt8.self) + at)
        stream.avail_in = UInt32(min(end - at, Int(UInt32.max)))
        stream.next_out = out.baseAddress
        stream.avail_out = UInt32(out.count)
        let rc = CZlib.inflate(&stream, Z_FINISH)
        return rc == Z_STREAM_END && stream.avail_out == 0
    }

    /// Inflates exactly `size` bytes from the zlib stream at `at`.
    private func inflate(_ k: Int, at: Int, end: Int, size: Int, partial: Bool = false) -> [UInt8]? {
        let pack = packs[k].pack
        guard at < end, size >= 0, size < 1 << 32 else { return nil }
        guard inflateReset(&stream) == Z_OK else { return nil }
        defer { if !reads { marks[k].touchPack(at, Int(stream.total_in)) } }
        var ok = false
        if reads {
            let out = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buf, n in
                let got = inflateRead(k, at: at, end: end, into: UnsafeMutableBufferPointer(rebasing: buf[0..<size]), partial: partial)
                ok = got == size
                n = ok ? size : 0
            }
            return ok ? out : nil
        }
        let out = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buf, n in
            stream.next_in = UnsafeMutablePointer(mutating: pack.baseAddress!.assumingMemoryBound(to: UInt8.self) + at)
            stream.avail_in = UInt32(min(end - at, Int(UInt32.max)))
            stream.next_out = buf.baseAddress
            stream.avail_out = UInt32(max(size, 1))
            // A prefix stops when the buffer is full, before the stream ends.
            let rc = CZlib.inflate(&stream, partial ? Z_NO_FLUSH : Z_FINISH)
            n = max(size, 1) - Int(stream.avail_out)
            ok = (rc == Z_STREAM_END || (partial && (rc == Z_OK || rc == Z_BUF_ERROR))) && n == size
            if size == 0 { n = 0 }
        }
        return ok ? out : nil
    }

    /// Inflates the zlib stream at pack offset `at` into `out`, reading its compressed bytes with
    /// `pread` a chunk at a time (the first sized for `out`: deflate grows nothing by more than
    /// a few bytes per block). The stream must end exactly at `out`'s end, or, when `partial`,
    /// may go on past it. Returns the bytes written, nil on a read or stream error. The stream
    /// has been reset by the caller.
    private func inflateRead(_ k: Int, at: Int, end: Int, into out: UnsafeMutableBufferPointer<UInt8>, partial: Bool) -> Int? {
        var next = at
        stream.next_out = out.baseAddress
        stream.avail_out = UInt32(out.count)
        stream.avail_in = 0
        var chunk = min(out.count + out.count / 16 + 64, input.count)
        while true {
            if stream.avail_in == 0 {
                // What the window already holds from `next` on (an entry's data after its
                // header), else the next chunk read into it.
                if !(window.k == k && next >= window.start && next < window.start + window.count) {
                    let want = min(max(chunk, 4096), end - next)
                    guard want > 0, fill(k, at: next, want, need: 1) else { return nil }
                    chunk = input.count
                }
                let from = next - window.start
                let n = min(window.count - from, end - next)
                guard n > 0 else { return nil }
                stream.next_in = UnsafeMutablePointer(mutating: window.base!.assumingMemoryBound(to: UInt8.self)) + from
                stream.avail_in = UInt32(n)
                next += n
            }
            let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
            let written = out.count - Int(stream.avail_out)
            if rc == Z_STREAM_END { return written == out.count ? written : nil }
            if partial && stream.avail_out == 0 { return written }
            // Z_BUF_ERROR with input left and the output full: the object is longer than it said.
            if rc == Z_BUF_ERROR && stream.avail_in > 0 { return nil }
            guard rc == Z_OK || rc == Z_BUF_ERROR else { return nil }
        }
    }


}
