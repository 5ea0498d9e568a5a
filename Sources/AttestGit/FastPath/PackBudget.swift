import Foundation

/// What one pack reader may hold resident, and how it counts what it touched of the mapped
/// files (`PackReader.counted`, `release`).
extension PackReader {
    /// Mapped pages are accounted in aligned windows of 64 KiB, the span the kernel maps
    /// around a fault (`fault_around_bytes`): a window counts once it is touched, so the sum is
    /// an upper bound of the resident pages of the packs and indexes.
    static let windowShift = 16
    /// What one reader may hold resident: the touched windows of the mapped files (past it the
    /// pages are given back, as git's pack windows are under `core.packedGitLimit`), the
    /// recently read whole objects and the prefixes (git's `core.deltaBaseCacheLimit`, 96 MiB,
    /// plays the part of the two caches). Slots are powers of two.
    struct Budget {
        /// The mapped budget is the packs' size divided by `share`, within `mapped`.
        var mapped: ClosedRange<Int>, share: Int
        var objects: Int, objectSlots: Int
        /// The prefix cache holds the mapped budget divided by `prefixShare`, within `prefixes`.
        var prefixes: ClosedRange<Int>, prefixShare: Int, prefixSlots: Int
        /// The tree resolvers switch to reading the packs with `pread` rather than through the
        /// mapping (`PackReader.reads`) once they have had to give pages back.
        var reads = false
        /// Bytes of pack pages kept once read with `pread` (`PackReader.fill`), 0 for none.
        var pageCache = 0

        /// The audit's tree resolver: every root tree of history, through delta chains up to
        /// 250 deep after `git repack --depth=250`, whose bases hop across a pack of a GiB; a
        /// base evicted is read again for every chain through it. It reads the packs with
        /// `pread` (`reads`): mapped, the chains faulted 64 KiB in around every delta and the
        /// budget gave them back 35 times per audit of the deep pack (half its CPU time in the
        /// kernel). The mapped budget (a quarter of the packs' size, 64 to 512 MiB) now bounds
        /// the index pages only; half of it in prefixes (8 to 64 MiB).
        ///
        /// Its reads come back to the same pages: on git/git an audit made 135,000 reads of
        /// 15,500 distinct 4 KiB pages (the bases the chains share, the deltas of neighbouring
        /// trees); 16 MiB of them kept leave 23,700 (`strace -c -f`), each a system call.
        static let history = Budget(mapped: (64 << 20)...(512 << 20), share: 4, objects: 32 << 20, objectSlots: 4096,
                                    prefixes: (8 << 20)...(64 << 20), prefixShare: 2, prefixSlots: 1 << 15, reads: true,
                                    pageCache: 16 << 20)
        /// A reader of commits (each read once, in pack order) and of a few folder trees.
        static let commits = Budget(mapped: (64 << 20)...(64 << 20), share: 1, objects: 12 << 20, objectSlots: 2048,
                                    prefixes: (8 << 20)...(8 << 20), prefixShare: 1, prefixSlots: 8192)
        /// A push's tree resolver: a few thousand root trees, read with `pread` as the audit's
        /// are. A sixteenth of the packs' size (32 to 128 MiB; a quarter of that in prefixes),
        /// so the peak stays near `git rev-list`'s on a pack of 500 MiB.
        /// 4 MiB of pages kept: a push of 7,880 commits of git/git read 5,100 distinct pages;
        /// its reads (both threads) went from 29,000 to 16,100.
        static let push = Budget(mapped: (32 << 20)...(128 << 20), share: 16, objects: 8 << 20, objectSlots: 1024,
                                 prefixes: (8 << 20)...(32 << 20), prefixShare: 4, prefixSlots: 1 << 14, reads: true,
                                 pageCache: 4 << 20)
        /// The push's commit reader: `push`, without pages kept (it reads the commits' region
        /// in order, each page once, through its read window).
        static let pushCommits: Budget = { var b = push; b.pageCache = 0; return b }()

        /// The bytes of mapped pages and of prefixes for packs of `packBytes` in all.
        func resolved(packBytes: Int) -> (mapped: Int, prefixes: Int) {
            let m = min(max(packBytes / share, mapped.lowerBound), mapped.upperBound)
            return (m, min(max(m / prefixShare, prefixes.lowerBound), prefixes.upperBound))
        }
    }
    /// Per pack, the windows of the pack and of its index this reader touched since it last
    /// gave pages back.
    struct Marks {
        var pack: [UInt64], idx: [UInt64]
        var touched = 0
        init(_ p: Pack) {
            pack = [UInt64](repeating: 0, count: (p.pack.count >> PackReader.windowShift) / 64 + 1)
            idx = [UInt64](repeating: 0, count: (p.idx.count >> PackReader.windowShift) / 64 + 1)
        }
        mutating func touchPack(_ from: Int, _ count: Int) { PackReader.touch(&pack, from, count, &touched) }
        mutating func touchIndex(_ from: Int) { PackReader.touch(&idx, from, 1, &touched) }
    }
    static func touch(_ bitmap: inout [UInt64], _ from: Int, _ count: Int, _ touched: inout Int) {
        let first = from >> windowShift, last = (from + max(count, 1) - 1) >> windowShift
        for w in first...last where w >> 6 < bitmap.count {
            let bit: UInt64 = 1 << UInt64(w & 63)
            if bitmap[w >> 6] & bit == 0 { bitmap[w >> 6] |= bit; touched += 1 }
        }
    }
}
