import Foundation
import Synchronization
import AttestCore
internal import CGit2

extension FolderHistory {
    /// Walks from `rev` (anything `git rev-parse` accepts) through every parent.
    /// `progress` is called with the number of commits read so far, every few thousand.
    ///
    /// Two threads share the work. This one reads commits breadth-first as raw objects (ids,
    /// parents, committer times) and hands each root tree id on; a second one searches those
    /// trees for the folder's path and `.attestconfig`, with its own pack reader and repository
    /// handle, so nothing is shared but the hand-off. (With libgit2 reading the packs, two
    /// threads were slower than one: its pack windows sit behind one global lock.)
    public static func walk(_ repo: Repository, from rev: String, folder: String,
                            progress: ((Int) -> Void)? = nil) throws(GitError) -> FolderHistory {
        let tip = try repo.resolveCommit(rev)
        let reader = try ObjectReader(repo)
        let resolver = TreeResolver(reader: try ObjectReader(try Repository.open(gitDir: repo.gitDir), budget: .history),
                                    components: folder.split(separator: "/").map { Array($0.utf8) })
        let handoff = TreeHandoff()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { resolver.run(handoff); done.signal() }
        // Whatever happens here, the resolver thread is told to stop and is waited for.
        var finished = false
        defer { if !finished { handoff.finish(); done.wait() } }

        // libgit2's object cache would keep every commit and tree read (up to 256 MiB) though
        // the walk reads each once; its hash re-verification would double the work of a read.
        attest_git_opt_enable_caching(0)
        attest_git_opt_strict_hash_verification(0)
        defer { attest_git_opt_enable_caching(1); attest_git_opt_strict_hash_verification(1) }

        // A shallow clone lists its cut-off commits in `shallow`: their parents are not there,
        // and, as git log does, the walk treats them as roots.
        let shallow = Set((try? String(contentsOfFile: repo.commonDir + "/shallow", encoding: .utf8))?
            .split(separator: "\n").compactMap { ObjectID(hex: String($0)) } ?? [])
        let graph = shallow.isEmpty ? CommitGraph.open(repo) : nil
        var index = ObjectIDTable()
        index.insert(tip, 0)
        var ids: [ObjectID] = [tip]
        var parentStart: [Int32] = [0]
        var parentList: [Int32] = []
        var times: [Int64] = []
        var i = 0
        while i < ids.count {
            if resolver.failure != nil { break }
            let id = ids[i]
            let cut = !shallow.isEmpty && shallow.contains(id)
            // The commit-graph answers without inflating the commit; what it does not list is read.
            let h: CommitHeader
            if let g = graph?.header(id) { h = g } else {
                h = try reader.withObject(id, "commit") { buf, type throws(GitError) in
                    guard type == GIT_OBJECT_COMMIT, let h = CommitHeader.parse(buf) else {
                        throw GitError(operation: "read commit \(id)", code: -1, message: "not a well-formed commit object")
                    }
                    return h
                }
            }
            for p in h.parents where !cut {
                if let pi = index[p] { parentList.append(pi) } else {
                    let pi = Int32(ids.count)
                    index.insert(p, pi)
                    ids.append(p)
                    parentList.append(pi)
                }
            }
            times.append(h.committerTime)
            let tree = h.tree
            handoff.append(tree, at: i)
            parentStart.append(Int32(parentList.count))
            i += 1
            if let progress, i % 5000 == 0 { progress(i) }
        }
        handoff.finish()
        done.wait()
        finished = true
        if let e = resolver.failure { throw e }
        progress?(ids.count)

        let h = FolderHistory(tip: tip, folder: folder, ids: ids, parentStart: parentStart, parentList: parentList,
                              shallow: !shallow.isEmpty,
                              committerTimes: times, folderTree: resolver.folderTree, configBlob: resolver.configBlob,
                              trees: resolver.trees, configBlobs: resolver.blobs, reader: reader, indexByID: index)
        try h.findTouching()
        return h
    }
}

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
    var trees: [ObjectID] = []
    var blobs: [ObjectID] = []
    private var treeIndex: [ObjectID: Int32] = [:]
    private var blobIndex: [ObjectID: Int32] = [:]
    private var levelCache: [[ObjectID: ObjectID?]]
    /// Set by the resolver thread when a tree cannot be read; read after it has stopped.
    private let failureLock = NSLock()
    private var _failure: GitError?
    var failure: GitError? { failureLock.lock(); defer { failureLock.unlock() }; return _failure }

    init(reader: ObjectReader, components: [[UInt8]]) {
        self.reader = reader; self.components = components
        levelCache = .init(repeating: [:], count: max(components.count, 1))
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
        let found = try reader.entries(named: components.isEmpty ? [(configName, false)] : [(configName, false), (components[0], true)],
                                       inTree: root)
        let config = found[0], first = found.count > 1 ? found[1] : nil
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

    private func intern(_ id: ObjectID?, _ table: inout [ObjectID], _ index: inout [ObjectID: Int32]) -> Int32 {
        guard let id else { return -1 }
        if let k = index[id] { return k }
        let k = Int32(table.count)
        table.append(id)
        index[id] = k
        return k
    }
}


extension Repository {
    /// Opens the repository at a `.git` folder (or a bare repository) exactly, without searching.
    static func open(gitDir: String) throws(GitError) -> Repository {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil), "open repository at \(gitDir)")
        return Repository(pointer: repo!)
    }
}
