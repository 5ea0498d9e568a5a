import Foundation
import Testing
@testable import AttestGit
import AttestTestSupport

/// A tree answered from a delta alone (`TreeParser.inherit`) answers as the tree rebuilt and
/// searched (`TreeParser.answer`) does, and a delta that moved or rewrote what the answers
/// were decided on is not inherited. The deltas are made here, op by op, in git's format; the
/// differential checks on git's own deltas are in HistoryShapesTests (`checkReaders`).
@Suite struct TreeLookupTests {
    /// A raw tree: `(mode, name, id byte)` per entry, in the given order.
    static func tree(_ entries: [(String, String, UInt8)]) -> [UInt8] {
        var out: [UInt8] = []
        for (mode, name, b) in entries { out += Array("\(mode) \(name)".utf8) + [0] + [UInt8](repeating: b, count: 20) }
        return out
    }

    static let entries: [(String, String, UInt8)] = [
        ("100644", ".attestconfig", 1), ("40000", "Documentation", 2), ("100644", "Makefile", 3),
        ("40000", "builtin", 4), ("100644", "cache.h", 5), ("40000", "contrib", 6), ("100644", "convert.c", 7),
        ("40000", "docs", 8), ("100644", "zlib.c", 9),
    ]
    static let names: [(name: [UInt8], treesOnly: Bool)] = [
        (Array(".attestconfig".utf8), false), (Array("Documentation".utf8), true), (Array("controls".utf8), false),
    ]
    static let set = TreeNameSet(id: 0, names)

    /// git's delta: base size, result size, then ops (copy from the base, or insert bytes).
    enum Op { case copy(Int, Int), insert([UInt8]) }
    static func delta(base: Int, result: Int, _ ops: [Op]) -> [UInt8] {
        func varint(_ v: Int) -> [UInt8] {
            var v = v, out: [UInt8] = []
            repeat { var b = UInt8(v & 0x7f); v >>= 7; if v != 0 { b |= 0x80 }; out.append(b) } while v != 0
            return out
        }
        var out = varint(base) + varint(result)
        for op in ops {
            switch op {
            case .copy(let off, let len):
                var cmd: UInt8 = 0x80, args: [UInt8] = []
                for i in 0..<4 where (off >> (8 * i)) & 0xff != 0 { cmd |= 1 << i; args.append(UInt8((off >> (8 * i)) & 0xff)) }
                for i in 0..<3 where (len >> (8 * i)) & 0xff != 0 { cmd |= 1 << (4 + i); args.append(UInt8((len >> (8 * i)) & 0xff)) }
                out += [cmd] + args
            case .insert(let bytes):
                out += [UInt8(bytes.count)] + bytes
            }
        }
        return out
    }

    static func apply(_ d: [UInt8], to base: [UInt8]) -> [UInt8] { PackReader.apply(delta: d, to: base)! }

    static func answer(_ bytes: [UInt8]) -> TreeAnswer {
        bytes.withUnsafeBufferPointer { TreeParser.answer(set, in: $0, complete: true, size: bytes.count)! }
    }

    /// Whether the inherited answer is the rebuilt tree's (nil: not inherited).
    static func inherited(_ d: [UInt8], from base: [UInt8]) -> TreeAnswer? {
        d.withUnsafeBufferPointer { TreeParser.inherit($0, from: answer(base)) }
    }

    /// The entry called `name` found by reading every entry (`TreeParser.forEach`, a parser of
    /// its own): the oracle of the look-ups that stop early.
    static func everyEntry(_ name: [UInt8], in t: [UInt8], treesOnly: Bool) -> ObjectID? {
        var found: ObjectID?
        t.withUnsafeBufferPointer { TreeParser.forEach(in: $0) { n, mode, id in
            if found == nil, Array(n) == name, !treesOnly || mode == 0o40000 { found = id }
        } }
        return found
    }

    @Test func theAnswerIsEachNameLookedUpInEveryEntry() {
        let t = Self.tree(Self.entries)
        let a = Self.answer(t)
        for (k, n) in Self.names.enumerated() {
            let alone = Self.everyEntry(n.name, in: t, treesOnly: n.treesOnly)
            #expect(a.ids[k] == alone, "\(String(decoding: n.name, as: UTF8.self))")
        }
        #expect(a.ids[0] != nil && a.ids[1] != nil && a.ids[2] == nil)
        // `controls` is decided by `convert.c`, the first name past it: its id is not among
        // the fields the answer depends on.
        let convert = t.count - Self.tree(Array(Self.entries.suffix(3))).count
        #expect(a.decidedAt == convert + "100644 convert.c".utf8.count + 1)
        #expect(a.idFields.count == 6 && !a.endsTree)
    }

    @Test func aChangedIdFurtherDownIsInheritedAndAChangedIdFoundIsTaken() throws {
        let base = Self.tree(Self.entries)
        var changed = Self.entries
        changed[1].2 = 0xAB  // Documentation's id
        changed[8].2 = 0xCD  // zlib.c's, past every answer
        let target = Self.tree(changed)
        let at = Int(Self.answer(base).idAt[1])
        #expect(at > 0)
        let d = Self.delta(base: base.count, result: target.count, [
            .copy(0, at), .insert([UInt8](repeating: 0xAB, count: 20)), .copy(at + 20, base.count - at - 40),
            .insert([UInt8](repeating: 0xCD, count: 20)),
        ])
        #expect(Self.apply(d, to: base) == target)
        let got = try #require(Self.inherited(d, from: base))
        let want = Self.answer(target)
        #expect(got.ids == want.ids && got.decidedAt == want.decidedAt && got.idFields == want.idFields)
        #expect(got.ids[1] != Self.answer(base).ids[1], "the new Documentation id")
    }

    @Test func aDeltaThatMovesOrRewritesWhatWasDecidedOnIsNotInherited() {
        let base = Self.tree(Self.entries)
        // An entry added before the answers: everything after it moves.
        var added = Self.entries
        added.insert(("100644", "abspath.c", 10), at: 3)
        let t1 = Self.tree(added)
        let start = Self.tree(Array(Self.entries.prefix(3))).count
        let entry = Self.tree([("100644", "abspath.c", 10)])
        let d1 = Self.delta(base: base.count, result: t1.count, [.copy(0, start), .insert(entry), .copy(start, base.count - start)])
        #expect(Self.apply(d1, to: base) == t1)
        #expect(Self.inherited(d1, from: base) == nil)

        // The same length, a name rewritten in place (`contrib` becomes `controls`' neighbour
        // `contro`+`l`... here: `contrib` → `controx`, which sorts past `controls`).
        var renamed = Self.entries
        renamed[5].1 = "controx"
        let t2 = Self.tree(renamed)
        let nameAt = Self.tree(Array(Self.entries.prefix(5))).count + "40000 ".utf8.count
        let d2 = Self.delta(base: base.count, result: t2.count, [.copy(0, nameAt), .insert(Array("controx".utf8)), .copy(nameAt + 7, base.count - nameAt - 7)])
        #expect(Self.apply(d2, to: base) == t2)
        #expect(Self.inherited(d2, from: base) == nil)

        // A copy from elsewhere in the base, even of the same bytes' length.
        let d3 = Self.delta(base: base.count, result: base.count, [.copy(21, 40), .copy(40, base.count - 40)])
        #expect(Self.inherited(d3, from: base) == nil)

        // A delta naming another base size.
        let d4 = Self.delta(base: base.count + 1, result: base.count, [.copy(0, base.count)])
        #expect(Self.inherited(d4, from: base) == nil)

        // A delta whose result ends before the answers were decided.
        let d5 = Self.delta(base: base.count, result: 40, [.copy(0, 40)])
        #expect(Self.inherited(d5, from: base) == nil)
    }

    @Test func anAnswerDecidedByTheTreesEndIsNotInherited() {
        // `zz` is past every entry: absent only because the tree ends; a longer tree with the
        // same first bytes could hold it.
        let set = TreeNameSet(id: 1, [(Array("zz".utf8), false)])
        let base = Self.tree(Self.entries)
        let a = base.withUnsafeBufferPointer { TreeParser.answer(set, in: $0, complete: true, size: base.count)! }
        #expect(a.ids == [nil] && a.endsTree)
        let longer = base + Self.tree([("100644", "zz", 11)])
        let d = Self.delta(base: base.count, result: longer.count, [.copy(0, base.count), .insert(Self.tree([("100644", "zz", 11)]))])
        #expect(Self.apply(d, to: base) == longer)
        #expect(d.withUnsafeBufferPointer { TreeParser.inherit($0, from: a) } == nil)
        // An incomplete prefix that ends before an answer is undecided, not absent.
        let cut = Array(base.prefix(30))
        #expect(cut.withUnsafeBufferPointer { TreeParser.answer(Self.set, in: $0, complete: false, size: nil) } == nil)
    }

    /// `TreeParser.differences` (which skips the bytes both trees start and end with) equals
    /// comparing every entry by name, on random trees with random edits at every place.
    @Test func differencesEqualComparingEveryEntry() {
        var rng = SplitMix64(seed: 29)
        func names(_ n: Int) -> [String] {
            Set((0..<n).map { _ in "f\(rng.next() % 1000).txt" }).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        func raw(_ entries: [(String, UInt8)]) -> [UInt8] { Self.tree(entries.map { ("100644", $0.0, $0.1) }) }
        func naive(_ a: [UInt8], _ b: [UInt8]) -> Set<String> {
            func map(_ t: [UInt8]) -> [String: ObjectID] {
                var m: [String: ObjectID] = [:]
                t.withUnsafeBufferPointer { TreeParser.forEach(in: $0) { n, _, id in m[String(decoding: n, as: UTF8.self)] = id } }
                return m
            }
            let x = map(a), y = map(b)
            return Set(x.keys.filter { x[$0] != y[$0] } + y.keys.filter { x[$0] == nil })
        }
        for trial in 0..<300 {
            let base = names(20 + Int(rng.next() % 60)).map { ($0, UInt8(rng.next() % 200)) }
            var edited = base
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(edited.count))
                switch rng.next() % 3 {
                case 0: edited[at].1 = 201 + UInt8(rng.next() % 50)
                case 1: edited.remove(at: at)
                default:
                    let name = "f\(1000 + rng.next() % 100).txt"
                    if !edited.contains(where: { $0.0 == name }) {
                        edited.append((name, 7))
                        edited.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
                    }
                }
            }
            let a = raw(base), b = raw(edited)
            let got = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in TreeParser.differences(x, y) } }
            #expect(got == naive(a, b), "trial \(trial)")
        }
    }
}
