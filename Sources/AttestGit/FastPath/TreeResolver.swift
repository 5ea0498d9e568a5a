import Foundation
import Synchronization

/// Root tree ids passed from the commit reader to the tree resolver, in commit order. The
/// producer writes slot i, then publishes i + 1 (release); the consumer reads up to the
/// published count (acquire). Storage is chunked, so nothing ever moves while it is read.
final class TreeHandoff: @unchecked Sendable {
    static let chunkBits = 12
    static let chunkSize = 1 << chunkBits
    static let maxChunks = 1 << 18
    private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<ObjectID>?>
    let published = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)

    init() {
        // calloc: the 2 MiB directory comes as zero pages from the kernel, and only the pages
        // used are ever touched (a small push uses one).
        chunks = calloc(Self.maxChunks, MemoryLayout<UnsafeMutablePointer<ObjectID>?>.stride)!
            .bindMemory(to: UnsafeMutablePointer<ObjectID>?.self, capacity: Self.maxChunks)
    }

    deinit {
        for k in 0..<Self.maxChunks { guard let c = chunks[k] else { break }; c.deallocate() }
        free(chunks)
    }

    func append(_ id: ObjectID, at i: Int) {
        let k = i >> Self.chunkBits
        if chunks[k] == nil { chunks[k] = .allocate(capacity: Self.chunkSize) }
        (chunks[k]! + (i & (Self.chunkSize - 1))).initialize(to: id)
        published.store(i + 1, ordering: .releasing)
    }

    func finish() { finished.store(true, ordering: .releasing) }

    func get(_ i: Int) -> ObjectID { chunks[i >> Self.chunkBits]![i & (Self.chunkSize - 1)] }
}

/// Finds the folder's subtree and `.attestconfig` in each root tree, one path component at a
/// time, caching every level below the root by tree id.
final class TreeResolver: @unchecked Sendable {
    let reader: ObjectReader
    let components: [[UInt8]]
    let configName = Array(".attestconfig".utf8)
    var folderTree: [Int32] = []
    var configBlob: [Int32] = []
    /// The root entries that hold policy besides `.attestconfig` (issue #15: the first component
    /// of the allowed-signers file, the TSA CA, the control-files folder), found in the same
    /// lookup; per commit, an index of the tuple of their ids (equal index: nothing changed).
    let policyNames: [[UInt8]]
    var policyRoot: [Int32] = []
    private var policyIndex: [[ObjectID?]: Int32] = [:]
    var trees: [ObjectID] = []
    var blobs: [ObjectID] = []
    private var treeIndex: [ObjectID: Int32] = [:]
    private var blobIndex: [ObjectID: Int32] = [:]
    private var levelCache: [[ObjectID: ObjectID?]]
    /// Set by the resolver thread when a tree cannot be read; read after it has stopped.
    private let failureLock = NSLock()
    private var _failure: GitError?
    var failure: GitError? { failureLock.lock(); defer { failureLock.unlock() }; return _failure }

    /// What each root tree is asked, made once: `.attestconfig`, the folder's first component,
    /// the policy names.
    private let rootNames: [(name: [UInt8], treesOnly: Bool)]
    private var lastPolicy: (key: [ObjectID?], index: Int32)?

    init(reader: ObjectReader, components: [[UInt8]], policyNames: [[UInt8]] = []) {
        self.reader = reader; self.components = components; self.policyNames = policyNames
        levelCache = .init(repeating: [:], count: max(components.count, 1))
        rootNames = (components.isEmpty ? [(configName, false)] : [(configName, false), (components[0], true)])
            + policyNames.map { ($0, false) }
    }

    /// Resolves every published tree until the producer has finished and all are done.
    func run(_ handoff: TreeHandoff) {
        var i = 0
        while true {
            let n = handoff.published.load(ordering: .acquiring)
            if i < n {
                while i < n {
                    do { try resolve(handoff.get(i)) } catch {
                        failureLock.lock(); _failure = error; failureLock.unlock()
                        return
                    }
                    i += 1
                }
                continue
            }
            if handoff.finished.load(ordering: .acquiring) {
                if i >= handoff.published.load(ordering: .acquiring) { return }
                continue
            }
            usleep(50)
        }
    }

    func resolve(_ root: ObjectID) throws(GitError) {
        let found = try reader.entries(named: rootNames, inTree: root)
        let config = found[0], first = components.isEmpty ? nil : found[1]
        if !policyNames.isEmpty {
            // Almost every commit has its parent's policy entries: compared with the last
            // tuple first, the table is hashed only when they change.
            let key = Array(found.suffix(policyNames.count))
            if let last = lastPolicy, last.key == key { policyRoot.append(last.index) } else if let k = policyIndex[key] {
                policyRoot.append(k); lastPolicy = (key, k)
            } else {
                let k = Int32(policyIndex.count)
                policyIndex[key] = k
                policyRoot.append(k); lastPolicy = (key, k)
            }
        }
        var current = first
        var level = 1
        while let t = current, level < components.count {
            if let cached = levelCache[level][t] { current = cached } else {
                let next = try reader.subtree(named: components[level], inTree: t)
                levelCache[level][t] = .some(next)
                current = next
            }
            level += 1
        }
        folderTree.append(intern(current, &trees, &treeIndex))
        configBlob.append(intern(config, &blobs, &blobIndex))
    }

    /// The distinct first components of `paths`, the root entries a policy change shows in.
    static func policyNames(_ paths: [String]) -> [[UInt8]] {
        var names: [[UInt8]] = []
        for p in paths { if let c = p.split(separator: "/").first.map({ Array($0.utf8) }), !names.contains(c) { names.append(c) } }
        return names
    }

    private func intern(_ id: ObjectID?, _ table: inout [ObjectID], _ index: inout [ObjectID: Int32]) -> Int32 {
        guard let id else { return -1 }
        if let k = index[id] { return k }
        let k = Int32(table.count)
        table.append(id)
        index[id] = k
        return k
    }
}
