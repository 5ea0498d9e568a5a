import Foundation
internal import CGit2

/// A few names looked up together in many trees (the walks ask each root tree for
/// `.attestconfig`, the folder's first component and the policy names), laid out once: their
/// bytes one after another and, per name, where it starts, its length, its first byte and
/// whether only a subtree counts.
struct TreeNameSet {
    /// Which set this is, for the reader that made it (`TreeAnswer.set`).
    let id: Int
    let bytes: [UInt8]
    let names: [(start: Int, count: Int, first: UInt8, treesOnly: Bool)]

    init(id: Int, _ list: [(name: [UInt8], treesOnly: Bool)]) {
        precondition(list.count <= 64, "a tree lookup asks at most 64 names")
        var b: [UInt8] = [], n: [(start: Int, count: Int, first: UInt8, treesOnly: Bool)] = []
        for e in list { n.append((b.count, e.name.count, e.name.first ?? 0, e.treesOnly)); b += e.name }
        self.id = id; bytes = b; names = n
    }
}

/// What a lookup of a `TreeNameSet` found in one tree, and what a tree made from it by a delta
/// needs to be answered without being rebuilt (`inherit`).
struct TreeAnswer {
    /// The name set it answers (`TreeNameSet.id`).
    var set: Int
    /// Per name, its entry's id; nil when the tree has no such entry.
    var ids: [ObjectID?]
    /// Per name, where its entry's id starts in the tree; -1 when absent.
    var idAt: [Int32]
    /// How many of the tree's first bytes the answers were decided in.
    var decidedAt: Int
    /// Where the id of each entry that ends within those bytes starts, in order.
    var idFields: [Int32]
    /// The whole tree's size, when known (a delta's header names its base's size).
    var size: Int?
    /// Some answer holds only because the tree ends there (a name past its last entry), or a
    /// name was empty: a tree that begins with the same bytes and goes on could answer
    /// otherwise, so this answer is never inherited.
    var endsTree: Bool

    /// Bytes held, for the reader's cache budget.
    var footprint: Int { 96 + idFields.count * 4 + ids.count * 28 }
}

extension TreeParser {
    /// Every name of `set` looked up in one pass over the entries of a tree's first bytes (all
    /// of them when `complete`): a name is found at its entry (for `treesOnly`, a subtree's),
    /// absent at the first entry past it in git's order or at the end of a whole tree; nil when
    /// the bytes end before some name is decided. `size` is the whole tree's size when known.
    static func answer(_ set: TreeNameSet, in buf: UnsafeBufferPointer<UInt8>, complete: Bool, size: Int?) -> TreeAnswer? {
        let n = buf.count
        var answer = TreeAnswer(set: set.id, ids: .init(repeating: nil, count: set.names.count),
                                idAt: .init(repeating: -1, count: set.names.count), decidedAt: 0, idFields: [], size: size,
                                endsTree: false)
        // The names left run out of bytes: absent at the end of a whole tree, else undecided.
        func cut() -> TreeAnswer? {
            guard complete else { return nil }
            answer.decidedAt = n
            answer.endsTree = true
            return answer
        }
        guard let base = buf.baseAddress, n > 0 else { return cut() }
        return set.bytes.withUnsafeBufferPointer { kb -> TreeAnswer? in
            set.names.withUnsafeBufferPointer { keys -> TreeAnswer? in
                var pending: UInt64 = 0
                for k in 0..<keys.count {
                    // An empty name is in no tree (decided on the whole buffer).
                    if keys[k].count == 0 { answer.decidedAt = n; answer.endsTree = true } else { pending |= 1 << UInt64(k) }
                }
                var i = 0
                while pending != 0 {
                    guard i < n else { return cut() }
                    let isTree: Bool
                    if i + 5 < n, base[i + 5] == 0x20 { isTree = base[i] == 0x34; i += 6 } else {
                        while i < n, base[i] != 0x20 { i += 1 }
                        isTree = false
                        i += 1
                    }
                    let nameStart = i
                    guard nameStart < n, let nameEnd = TreeParser.nul(base, from: nameStart, n) else { return cut() }
                    i = nameEnd + 1
                    let c0 = base[nameStart], len = nameEnd - nameStart
                    var left = pending, k = 0
                    while left != 0 {
                        if left & 1 != 0 {
                            let key = keys[k]
                            if c0 > key.first {
                                answer.decidedAt = max(answer.decidedAt, i); pending &= ~(1 << UInt64(k))
                            } else if c0 == key.first {
                                let c = memcmp(base + nameStart, kb.baseAddress! + key.start, min(len, key.count))
                                if c > 0 {
                                    answer.decidedAt = max(answer.decidedAt, i); pending &= ~(1 << UInt64(k))
                                } else if c == 0, len == key.count, isTree || !key.treesOnly {
                                    guard i + 20 <= n else { return cut() }
                                    answer.decidedAt = max(answer.decidedAt, i + 20)
                                    answer.ids[k] = ObjectID(bytes: base + i)
                                    answer.idAt[k] = Int32(i)
                                    pending &= ~(1 << UInt64(k))
                                }
                            }
                        }
                        left >>= 1; k += 1
                    }
                    if i + 20 <= n { answer.idFields.append(Int32(i)) }
                    guard pending != 0 else { break }
                    guard i + 20 <= n else { return cut() }
                    i += 20
                }
                // Only the entries that end within the bytes decided on: the id of the entry
                // that decided an absence lies past them.
                while let last = answer.idFields.last, Int(last) + 20 > answer.decidedAt { answer.idFields.removeLast() }
                return answer
            }
        }
    }

    /// The answer for a tree made by `delta` from a tree answered `base`, without building it,
    /// or nil when the delta may have changed what the answers were decided on.
    ///
    /// The answers depend only on the base's first `decidedAt` bytes, and of those only the
    /// names and modes, not the ids of entries not found. When every copy the delta makes into
    /// those bytes takes them from the same place in the base, and every insert into them lies
    /// within one entry's id, the new tree has the same entries there, in the same places, with
    /// the same names and modes: the same answers, at the same places, with each id found
    /// taking the bytes inserted into it. git's delta encoder writes exactly that for a commit
    /// that changed files further down the tree, or only what a subtree holds (its id).
    static func inherit(_ delta: UnsafeBufferPointer<UInt8>, from base: TreeAnswer) -> TreeAnswer? {
        guard !base.endsTree else { return nil }
        var i = 0
        guard let src = PackReader.deltaSize(delta, &i), let dst = PackReader.deltaSize(delta, &i), dst < 1 << 32 else { return nil }
        if let s = base.size, s != src { return nil }
        let decided = base.decidedAt
        guard decided <= dst else { return nil }
        var ids = base.ids
        var w = 0, field = 0
        let fields = base.idFields
        while w < decided {
            switch PackReader.deltaOp(delta, &i) {
            case .copy(let off, let len)?:
                // The same bytes from the same place, and within both trees.
                guard off == w, off + len <= src, w + len <= dst else { return nil }
                w += len
            case .insert(let from, let len)?:
                guard w + len <= dst else { return nil }
                let end = min(w + len, decided)
                while field < fields.count, Int(fields[field]) + 20 <= w { field += 1 }
                guard field < fields.count, Int(fields[field]) <= w, end <= Int(fields[field]) + 20 else { return nil }
                let at = Int(fields[field])
                for k in 0..<ids.count where Int(base.idAt[k]) == at {
                    guard let old = ids[k] else { continue }
                    var raw = old.oid
                    withUnsafeMutableBytes(of: &raw.id) { p in
                        for j in w..<end { p[j - at] = delta[from + (j - w)] }
                    }
                    ids[k] = ObjectID(raw)
                }
                w += len
            case nil:
                return nil
            }
        }
        return TreeAnswer(set: base.set, ids: ids, idAt: base.idAt, decidedAt: decided, idFields: fields, size: dst, endsTree: false)
    }
}
