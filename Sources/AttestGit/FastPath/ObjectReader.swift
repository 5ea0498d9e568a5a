import Foundation
import AttestCore
internal import CGit2
internal import CZlib

extension ObjectID {
    /// Reads 20 raw bytes (inside a tree object).
    init(bytes p: UnsafeRawPointer) {
        var o = git_oid()
        withUnsafeMutableBytes(of: &o.id) { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: 20)) }
        self.init(o)
    }

    init(words a: UInt64, _ b: UInt64, _ c: UInt32) { self.a = a; self.b = b; self.c = c }

    /// Parses 40 hex digits at `p` (inside a commit header). Without branches on the digits:
    /// they are random, so a branch per digit would be mispredicted half the time.
    init?(hexAt p: UnsafePointer<UInt8>) {
        var bad: UInt8 = 0
        @inline(__always) func word(_ at: Int, _ bytes: Int) -> UInt64 {
            var w: UInt64 = 0
            for i in 0..<bytes {
                let h = p[at + 2 * i], l = p[at + 2 * i + 1]
                bad |= ObjectID.invalidHex(h) | ObjectID.invalidHex(l)
                let byte = ((h & 0x0F) &+ 9 &* (h >> 6)) << 4 | ((l & 0x0F) &+ 9 &* (l >> 6))
                w |= UInt64(byte) << (8 * UInt64(i))
            }
            return w
        }
        let a = word(0, 8), b = word(16, 8), c = word(32, 4)
        guard bad == 0 else { return nil }
        self.init(words: a, b, UInt32(c))
    }

    /// 1 when `c` is not an ASCII hex digit, else 0, computed without branches.
    @inline(__always) static func invalidHex(_ c: UInt8) -> UInt8 {
        let digit: UInt8 = (c &- 0x30) < 10 ? 1 : 0
        let letter: UInt8 = ((c | 0x20) &- 0x61) < 6 ? 1 : 0
        return 1 &- (digit | letter)
    }
}

/// Reads raw objects straight from the object database, without building libgit2's parsed
/// commit and tree objects: the history walk only needs a few header lines and tree entries.
final class ObjectReader {
    let repository: Repository
    private let odb: OpaquePointer
    /// Direct pack access for speed; libgit2 answers whatever it cannot.
    private let packs: PackReader?
    /// Per lookup (its list of names), the names laid out once (`TreeNameSet`) and how many
    /// bytes of a tree it needed last: a short list searched in order (a walk asks two or
    /// three kinds of lookup; hashing the names per tree cost more than the search).
    private var prefixHints: [(names: [(name: [UInt8], treesOnly: Bool)], set: TreeNameSet, length: Int)] = []

    private static func same(_ a: [(name: [UInt8], treesOnly: Bool)], _ b: [(name: [UInt8], treesOnly: Bool)]) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where a[k].treesOnly != b[k].treesOnly || a[k].name != b[k].name { return false }
        return true
    }

    init(_ repository: Repository, directPacks: Bool = true, budget: PackReader.Budget = .commits) throws(GitError) {
        self.repository = repository
        var o: OpaquePointer?
        try check(git_repository_odb(&o, repository.pointer), "open the object database of \(repository.gitDir)")
        odb = o!
        packs = directPacks ? PackReader(files: repository.packFiles, budget: budget) : nil
    }

    deinit { git_odb_free(odb) }

    /// Calls `body` with the object's bytes, valid only during the call.
    func withObject<T>(_ id: ObjectID, _ what: @autoclosure () -> String,
                       _ body: (UnsafeBufferPointer<UInt8>, git_object_t) throws(GitError) -> T) throws(GitError) -> T {
        if let packs, let r = try packs.withObject(id, { buf, type throws(GitError) in try body(buf, git_object_t(Int32(type))) }) {
            return r
        }
        var oid = id.oid
        var obj: OpaquePointer?
        try check(git_odb_read(&obj, odb, &oid), "read \(what()) \(id)")
        defer { git_odb_object_free(obj) }
        let size = git_odb_object_size(obj)
        let type = git_odb_object_type(obj)
        let base = git_odb_object_data(obj)!.assumingMemoryBound(to: UInt8.self)
        return try body(UnsafeBufferPointer(start: base, count: size), type)
    }

    func data(_ id: ObjectID, _ what: String = "blob") throws(GitError) -> Data {
        try withObject(id, what) { buf, _ in Data(buffer: buf) }
    }

    /// The id of the entry called `name` in a tree, or nil when there is none; with
    /// `treesOnly`, only a subtree counts (a file of that name is as good as none).
    func entry(named name: [UInt8], inTree tree: ObjectID, treesOnly: Bool = false) throws(GitError) -> ObjectID? {
        try entries(named: [(name, treesOnly)], inTree: tree)[0]
    }

    /// The ids of several entries of one tree (nil for each that is absent), read from as few
    /// of the tree's first bytes as the answers need (`PackReader.prefix`): the bytes the same
    /// lookup needed in the last tree and a little more (2 KiB the first time), twice as many
    /// until every name is found or passed. A tree not in a pack is read whole.
    func entries(named names: [(name: [UInt8], treesOnly: Bool)], inTree tree: ObjectID) throws(GitError) -> [ObjectID?] {
        // Each step that falls short re-reads the delta chain, and every byte read past the
        // answer is a byte of each delta applied and of the base inflated for nothing: on
        // git/git `controls` is decided at 4.3 KiB, `docs` at 5.7 KiB (four times 2 KiB read
        // 8 KiB for both).
        let slot = prefixHints.firstIndex { Self.same($0.names, names) } ?? {
            prefixHints.append((names, TreeNameSet(id: prefixHints.count, names), 2048))
            return prefixHints.count - 1
        }()
        if let packs, let a = packs.lookup(tree, prefixHints[slot].set, hint: prefixHints[slot].length) {
            // Neighbouring commits' trees are alike: the next lookup starts just past this
            // one's answer (an eighth and 256 bytes of room for entries added).
            prefixHints[slot].length = min(max(a.decidedAt + a.decidedAt / 8 + 256, 512), 1 << 20)
            return a.ids
        }
        // A tree not in a pack (a loose object, a receive quarantine's): read whole, the same
        // names in the same one pass.
        let set = prefixHints[slot].set
        return try withObject(tree, "tree") { buf, type throws(GitError) in
            guard type == GIT_OBJECT_TREE else { throw GitError(operation: "read tree \(tree)", code: -1, message: "not a tree") }
            // A whole tree decides every name (`answer` is nil only for a prefix cut short).
            return TreeParser.answer(set, in: buf, complete: true, size: buf.count)!.ids
        }
    }

    /// The id of the subtree called `name` in a tree, or nil when there is none.
    func subtree(named name: [UInt8], inTree tree: ObjectID) throws(GitError) -> ObjectID? {
        try entry(named: name, inTree: tree, treesOnly: true)
    }

    /// A commit's header (tree, parents, committer time) and whether its message mentions
    /// attest, from one raw read.
    func commitHeader(_ id: ObjectID) throws(GitError) -> (header: CommitHeader, mentionsAttest: Bool) {
        try withObject(id, "commit") { buf, type throws(GitError) in
            guard type == GIT_OBJECT_COMMIT, let h = CommitHeader.parse(buf) else {
                throw GitError(operation: "read commit \(id)", code: -1, message: "not a well-formed commit object")
            }
            return (h, CommitHeader.messageMentionsAttest(buf))
        }
    }

    /// Every entry of a tree: name to (mode, id).
    func entries(ofTree tree: ObjectID) throws(GitError) -> [String: TreeEntry] {
        try withObject(tree, "tree") { buf, _ in
            var out: [String: TreeEntry] = [:]
            TreeParser.forEach(in: buf) { name, mode, id in out[String(decoding: name, as: UTF8.self)] = TreeEntry(mode: mode, id: id) }
            return out
        }
    }

    struct TreeEntry: Equatable { let mode: UInt32; let id: ObjectID }
}

/// The raw tree format: repeated `<octal mode> <name>\0<20-byte id>`.
enum TreeParser {
    static func forEach(in buf: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, UInt32, ObjectID) -> Void) {
        guard let base = buf.baseAddress else { return }
        var i = 0
        let n = buf.count
        while i < n {
            var mode: UInt32 = 0
            while i < n, buf[i] != 0x20 { mode = mode << 3 | UInt32(buf[i] &- 0x30); i += 1 }
            i += 1
            let nameStart = i
            while i < n, buf[i] != 0 { i += 1 }
            let nameEnd = i
            i += 1
            guard i + 20 <= n else { return }
            body(UnsafeBufferPointer(start: base + nameStart, count: nameEnd - nameStart), mode, ObjectID(bytes: base + i))
            i += 20
        }
    }

    /// The id of the entry called `name`; with `treesOnly`, only a subtree (mode `40000`) counts.
    ///
    /// Entries are sorted by name (git compares a subtree's name as if it ended in `/`), so the
    /// scan stops at the first entry whose name is already past `name` in its common prefix: a
    /// lookup in a large root tree reads only the entries before the name, not the whole tree.
    static func find(_ name: [UInt8], in buf: UnsafeBufferPointer<UInt8>, treesOnly: Bool = false) -> ObjectID? {
        if case .found(let id) = search(name, in: buf, treesOnly: treesOnly, complete: true) { return id }
        return nil
    }

    enum Lookup: Equatable { case found(ObjectID), absent, undecided }

    /// `find` on a tree's first bytes: `undecided` when they end before the answer does.
    static func search(_ name: [UInt8], in buf: UnsafeBufferPointer<UInt8>, treesOnly: Bool, complete: Bool) -> Lookup {
        var end = 0
        return search(name, in: buf, treesOnly: treesOnly, complete: complete, decidedAt: &end)
    }

    /// `search`, setting `decidedAt` to the number of bytes the answer needed (past the entry
    /// found, or the name of the first entry past it).
    static func search(_ name: [UInt8], in buf: UnsafeBufferPointer<UInt8>, treesOnly: Bool, complete: Bool,
                       decidedAt: inout Int) -> Lookup {
        // One name of `answer`'s, which reads the entries once for any number of names.
        guard let a = answer(TreeNameSet(id: -1, [(name, treesOnly)]), in: buf, complete: complete, size: nil) else {
            decidedAt = buf.count
            return .undecided
        }
        decidedAt = a.decidedAt
        return a.ids[0].map { .found($0) } ?? .absent
    }

    /// The offset of the first NUL in `base[from..<n]`, or nil: eight bytes at a time (a name
    /// is ten bytes or so, too short for `memchr`'s set-up to pay).
    @inline(__always) static func nul(_ base: UnsafePointer<UInt8>, from: Int, _ n: Int) -> Int? {
        var i = from
        while i + 8 <= n {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            // The lowest byte flagged is the first zero byte (a borrow only flags bytes above it).
            let z = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if z != 0 { return i + z.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n { if base[i] == 0 { return i }; i += 1 }
        return nil
    }

    /// The names whose entry (mode or id) differs between two raw trees, or that only one has.
    static func differences(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Set<String> {
        var out = Set<String>()
        walkDifferences(a, b) { name, _, _ in out.insert(String(decoding: name, as: UTF8.self)) }
        return out
    }

    /// One merge walk over two raw trees in git's order (bytes, a subtree's name continuing with
    /// `/`), calling `body` for each entry that differs, in that order: with the old and the new
    /// entry when both trees have the name with a different mode or id, with one of them when
    /// only one tree has it (a file that becomes a folder is a removal and an addition, as the
    /// two sort apart). Nothing is built per entry; entries wholly inside the bytes both trees
    /// share at the start are skipped unread.
    static func walkDifferences<E: Error>(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                                          _ body: (UnsafeBufferPointer<UInt8>, ObjectReader.TreeEntry?, ObjectReader.TreeEntry?) throws(E) -> Void) throws(E) {
        func order(_ x: TreeCursor, _ y: TreeCursor) -> Int {
            let p = x.nameBytes, q = y.nameBytes
            let m = min(p.count, q.count)
            let c = memcmp(p.baseAddress!, q.baseAddress!, m)
            if c != 0 { return Int(c) }
            let cx: UInt8 = p.count > m ? p[m] : (x.isTree ? 0x2F : 0)
            let cy: UInt8 = q.count > m ? q[m] : (y.isTree ? 0x2F : 0)
            return Int(cx) - Int(cy)
        }
        var x = TreeCursor(a), y = TreeCursor(b)
        let common = min(a.count, b.count)
        var same = 0
        while same + 8 <= common,
              UnsafeRawPointer(a.baseAddress! + same).loadUnaligned(as: UInt64.self) == UnsafeRawPointer(b.baseAddress! + same).loadUnaligned(as: UInt64.self) {
            same += 8
        }
        // The bytes before `same` are the same in both trees, so are their entries: one parse
        // finds where the first entry not wholly among them starts, in both.
        if same >= 64 { x.skip(to: same); y.move(to: x.start) }
        // The bytes both trees end with: once both cursors stand at an entry with as many bytes
        // left in each, and those lie within them, every entry left is the same in both.
        var tail = 0
        while tail + 8 <= common - same,
              UnsafeRawPointer(a.baseAddress! + a.count - tail - 8).loadUnaligned(as: UInt64.self)
                == UnsafeRawPointer(b.baseAddress! + b.count - tail - 8).loadUnaligned(as: UInt64.self) {
            tail += 8
        }
        while !x.done || !y.done {
            if !x.done && !y.done, a.count - x.start == b.count - y.start, a.count - x.start <= tail { return }
            if y.done { try body(x.nameBytes, x.entry, nil); x.advance(); continue }
            if x.done { try body(y.nameBytes, nil, y.entry); y.advance(); continue }
            let c = order(x, y)
            if c < 0 { try body(x.nameBytes, x.entry, nil); x.advance() } else if c > 0 { try body(y.nameBytes, nil, y.entry); y.advance() } else {
                if x.mode != y.mode || memcmp(a.baseAddress! + x.id, b.baseAddress! + y.id, 20) != 0 { try body(x.nameBytes, x.entry, y.entry) }
                x.advance(); y.advance()
            }
        }
    }
}

    /// A position in a raw tree, for `TreeParser.walkDifferences`.
private struct TreeCursor {
        let buf: UnsafeBufferPointer<UInt8>
        /// Where the next entry starts, and where this one did.
        var at = 0, start = 0
        var mode: UInt32 = 0, name = 0..<0, id = 0
        init(_ b: UnsafeBufferPointer<UInt8>) { buf = b; advance() }
        var done: Bool { id < 0 }
        mutating func advance() {
            let n = buf.count
            start = at
            var i = at, m: UInt32 = 0
            while i < n, buf[i] != 0x20 { m = m << 3 | UInt32(buf[i] &- 0x30); i += 1 }
            i += 1
            let s = i
            guard s < n, let nul = TreeParser.nul(buf.baseAddress!, from: s, n) else { id = -1; return }
            i = nul
            guard i + 21 <= n else { id = -1; return }
            mode = m; name = s..<i; id = i + 1; at = i + 21
        }
        /// Moves to the entry that starts at `offset` (an entry's start in a tree whose bytes
        /// up to it are this tree's).
        mutating func move(to offset: Int) {
            if offset > 0 { at = offset; advance() }
        }
        /// Moves to the first entry that is not wholly before byte `offset`.
        mutating func skip(to offset: Int) {
            let n = buf.count
            var i = 0
            while true {
                guard i < n, let nul = TreeParser.nul(buf.baseAddress!, from: i, n) else { return }
                let next = nul + 21
                if next > offset || next > n { break }
                i = next
            }
            if i > 0 { at = i; advance() }
        }
        var isTree: Bool { mode & 0o170000 == 0o040000 }
        var nameBytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: buf[name]) }
        var entry: ObjectReader.TreeEntry { ObjectReader.TreeEntry(mode: mode, id: ObjectID(bytes: buf.baseAddress! + id)) }
    }
