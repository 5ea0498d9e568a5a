import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// git's commit-graph (`objects/info/commit-graph`, or the chain of layers named in
/// `objects/info/commit-graphs/commit-graph-chain`): for each commit its root tree, parents and
/// committer time, so a walk over history needs no commit to be inflated
/// (gitformat-commit-graph(5): OIDF fan-out, OIDL sorted ids, CDAT tree + two parent positions
/// + generation and time, EDGE the further parents of octopus merges, BASE the layers below).
///
/// It is read as git reads it: trusted for what it lists, and commits it does not list (newer
/// than the last `git commit-graph write`, or in a receive quarantine) are read from their
/// objects. Not used when the repository is shallow or `core.commitGraph` is false, as git
/// does not use it then. Every offset read from the file is bounds-checked; a file that does
/// not parse is ignored (the walk then reads commits), never half-used.
final class CommitGraph {
    private struct Layer {
        let map: UnsafeRawBufferPointer
        let count: Int
        /// Graph position of this layer's first commit (the commits of all layers below).
        let first: Int
        let fanout: Int, lookup: Int, data: Int
        let edges: Int, edgeCount: Int
    }
    private var layers: [Layer] = []
    let count: Int

    static let noParent: UInt32 = 0x7000_0000

    /// Opens the graph of an object directory; nil when there is none or it does not parse.
    init?(objectsDirectory objects: String) {
        var files: [String] = []
        let chain = objects + "/info/commit-graphs/commit-graph-chain"
        if let list = try? String(contentsOfFile: chain, encoding: .utf8) {
            files = list.split(separator: "\n").filter { !$0.isEmpty }.map { objects + "/info/commit-graphs/graph-\($0).graph" }
        } else if FileManager.default.fileExists(atPath: objects + "/info/commit-graph") {
            files = [objects + "/info/commit-graph"]
        }
        guard !files.isEmpty else { return nil }
        var first = 0
        for (i, f) in files.enumerated() {
            guard let m = PackReader.map(f), let layer = CommitGraph.parse(m, first: first, bases: i) else {
                for l in layers { PackReader.unmap(l.map) }
                return nil
            }
            layers.append(layer)
            first += layer.count
        }
        count = first
    }

    deinit { for l in layers { PackReader.unmap(l.map) } }

    private static func parse(_ m: UnsafeRawBufferPointer, first: Int, bases: Int) -> Layer? {
        func fail() -> Layer? { PackReader.unmap(m); return nil }
        // "CGPH", version 1, hash version 1 (SHA-1), chunk count, base graph count.
        guard m.count >= 8 + 12 + 20, m.load(as: UInt32.self).bigEndian == 0x4347_5048,
              m[4] == 1, m[5] == 1, Int(m[7]) == bases else { return fail() }
        let chunks = Int(m[6])
        guard 8 + (chunks + 1) * 12 <= m.count else { return fail() }
        var at: [UInt32: (start: Int, end: Int)] = [:]
        for c in 0..<chunks {
            let e = 8 + c * 12
            let id = m.loadUnaligned(fromByteOffset: e, as: UInt32.self).bigEndian
            let start = m.loadUnaligned(fromByteOffset: e + 4, as: UInt64.self).bigEndian
            let end = m.loadUnaligned(fromByteOffset: e + 16, as: UInt64.self).bigEndian
            guard start <= end, end <= UInt64(m.count - 20) else { return fail() }
            at[id] = (Int(start), Int(end))
        }
        guard let f = at[0x4f49_4446], let l = at[0x4f49_444c], let d = at[0x4344_4154],
              f.end - f.start == 1024 else { return fail() }
        let n = Int(m.loadUnaligned(fromByteOffset: f.start + 255 * 4, as: UInt32.self).bigEndian)
        guard l.end - l.start == n * 20, d.end - d.start == n * 36 else { return fail() }
        let e = at[0x4544_4745] ?? (0, 0)
        return Layer(map: m, count: n, first: first, fanout: f.start, lookup: l.start, data: d.start,
                     edges: e.start, edgeCount: (e.end - e.start) / 4)
    }

    /// Opens the graph a repository's walks may use, or nil (see the type's comment).
    static func open(_ repository: Repository) -> CommitGraph? {
        if FileManager.default.fileExists(atPath: repository.commonDir + "/shallow") { return nil }
        if let v = repository.configString("core.commitGraph")?.lowercased(), ["false", "no", "off", "0"].contains(v) { return nil }
        return CommitGraph(objectsDirectory: repository.commonDir + "/objects")
    }

    /// The graph position of a commit, or nil when the graph does not list it.
    func position(of id: ObjectID) -> Int? {
        let k0 = id.a.byteSwapped, k1 = id.b.byteSwapped, k2 = id.c.byteSwapped
        let b = Int(k0 >> 56)
        for layer in layers.reversed() {
            let m = layer.map
            var lo = b == 0 ? 0 : Int(m.loadUnaligned(fromByteOffset: layer.fanout + (b - 1) * 4, as: UInt32.self).bigEndian)
            var hi = Int(m.loadUnaligned(fromByteOffset: layer.fanout + b * 4, as: UInt32.self).bigEndian)
            guard lo <= hi, hi <= layer.count else { continue }
            while lo < hi {
                let mid = (lo + hi) >> 1
                let at = layer.lookup + mid * 20
                let c = m.compareObjectName(at: at, k0, k1, k2)
                if c == 0 { return layer.first + mid }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
        }
        return nil
    }

    private func layer(_ pos: Int) -> (Layer, Int)? {
        for l in layers where pos >= l.first && pos < l.first + l.count { return (l, pos - l.first) }
        return nil
    }

    /// The id of the commit at a graph position.
    func id(at pos: Int) -> ObjectID? {
        guard let (l, i) = layer(pos) else { return nil }
        return ObjectID(bytes: l.map.baseAddress! + l.lookup + i * 20)
    }

    /// A listed commit's root tree, parents and committer time; nil when the entry is malformed
    /// (a parent position outside the graph), so the caller reads the commit instead.
    func commit(at pos: Int) -> CommitHeader? {
        guard let (l, i) = layer(pos) else { return nil }
        let m = l.map, at = l.data + i * 36
        let tree = ObjectID(bytes: m.baseAddress! + at)
        let p1 = m.loadUnaligned(fromByteOffset: at + 20, as: UInt32.self).bigEndian
        let p2 = m.loadUnaligned(fromByteOffset: at + 24, as: UInt32.self).bigEndian
        let hi = m.loadUnaligned(fromByteOffset: at + 28, as: UInt32.self).bigEndian
        let lo = m.loadUnaligned(fromByteOffset: at + 32, as: UInt32.self).bigEndian
        var parents: [ObjectID] = []
        func add(_ p: UInt32) -> Bool {
            guard Int(p) < count, let id = id(at: Int(p)) else { return false }
            parents.append(id)
            return true
        }
        if p1 != Self.noParent {
            guard add(p1) else { return nil }
            if p2 & 0x8000_0000 != 0 {
                // An octopus: EDGE from this index, until an entry with the high bit set.
                var e = Int(p2 & 0x7fff_ffff)
                while true {
                    guard e < l.edgeCount else { return nil }
                    let v = m.loadUnaligned(fromByteOffset: l.edges + e * 4, as: UInt32.self).bigEndian
                    guard add(v & 0x7fff_ffff) else { return nil }
                    if v & 0x8000_0000 != 0 { break }
                    e += 1
                }
            } else if p2 != Self.noParent {
                guard add(p2) else { return nil }
            }
        }
        let time = Int64(hi & 3) << 32 | Int64(lo)
        return CommitHeader(tree: tree, parents: parents, committerTime: time)
    }

    /// The commit's header from the graph, when it lists the commit.
    func header(_ id: ObjectID) -> CommitHeader? { position(of: id).flatMap(commit(at:)) }
}
