import Foundation
import AttestCore
internal import CGit2

extension FolderHistory {
    /// Walks from `rev` (anything `git rev-parse` accepts) through every parent.
    /// `progress` is called with the number of commits read so far, every few thousand.
    ///
    /// Commits are read breadth-first as raw objects (ids, parents, committer times); each
    /// commit's root tree is then searched for the folder's first component and `.attestconfig`.
    /// (Splitting commits and trees over two threads was measured slower: libgit2's pack reads
    /// serialise on its window lock.)
    public static func walk(_ repo: Repository, from rev: String, folder: String,
                            progress: ((Int) -> Void)? = nil) throws(GitError) -> FolderHistory {
        let tip = try repo.resolveCommit(rev)
        let reader = try ObjectReader(repo)
        let resolver = TreeResolver(reader: try ObjectReader(repo),
                                    components: folder.split(separator: "/").map { Array($0.utf8) })

        // libgit2's object cache would keep every commit and tree read (up to 256 MiB) though
        // the walk reads each once; its hash re-verification would double the work of a read.
        attest_git_opt_enable_caching(0)
        attest_git_opt_strict_hash_verification(0)
        defer { attest_git_opt_enable_caching(1); attest_git_opt_strict_hash_verification(1) }

        var index: [ObjectID: Int32] = [tip: 0]
        index.reserveCapacity(1 << 16)
        var ids: [ObjectID] = [tip]
        var parentStart: [Int32] = [0]
        var parentList: [Int32] = []
        var times: [Int64] = []
        var i = 0
        while i < ids.count {
            let id = ids[i]
            let tree: ObjectID = try reader.withObject(id, "commit") { buf, type throws(GitError) in
                    guard type == GIT_OBJECT_COMMIT, let h = CommitHeader.parse(buf) else {
                        throw GitError(operation: "read commit \(id)", code: -1, message: "not a well-formed commit object")
                    }
                    for p in h.parents {
                        if let pi = index[p] { parentList.append(pi) } else {
                            let pi = Int32(ids.count)
                            index[p] = pi
                            ids.append(p)
                            parentList.append(pi)
                        }
                    }
                    times.append(h.committerTime)
                    return h.tree
                }
            try resolver.resolve(tree)
            parentStart.append(Int32(parentList.count))
            i += 1
            if let progress, i % 5000 == 0 { progress(i) }
        }
        progress?(ids.count)

        let h = FolderHistory(tip: tip, folder: folder, ids: ids, parentStart: parentStart, parentList: parentList,
                              committerTimes: times, folderTree: resolver.folderTree, configBlob: resolver.configBlob,
                              trees: resolver.trees, configBlobs: resolver.blobs, reader: reader, indexByID: index)
        try h.findTouching()
        return h
    }
}

/// Finds the folder's subtree and `.attestconfig` in each root tree, one path component at a
/// time, caching every level below the root by tree id.
final class TreeResolver {
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

    init(reader: ObjectReader, components: [[UInt8]]) {
        self.reader = reader; self.components = components
        levelCache = .init(repeating: [:], count: max(components.count, 1))
    }

    func resolve(_ root: ObjectID) throws(GitError) {
        let (first, config): (ObjectID?, ObjectID?) = try reader.withObject(root, "tree") { buf, _ in
            (components.isEmpty ? nil : TreeParser.find(components[0], in: buf), TreeParser.find(configName, in: buf))
        }
        var current = first
        var level = 1
        while let t = current, level < components.count {
            if let cached = levelCache[level][t] { current = cached } else {
                let next = try reader.entry(named: components[level], inTree: t)
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

