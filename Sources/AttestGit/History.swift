import Foundation
import AttestCore
internal import CGit2

/// One walk of history from a revision through all parents, recording for every commit the
/// id of one folder's subtree (the attestation folder) and of `.attestconfig`.
///
/// The folder is found by looking its path up one component at a time, in raw tree objects,
/// with each level's lookups cached by tree id: a commit that did not change `docs/` costs one
/// root-tree read. Whole trees are never diffed. A commit *touched* the folder when its folder
/// id differs from a parent's (a root commit: when it has the folder at all); merges count.
///
/// ```swift
/// let h = try FolderHistory.walk(repo, from: "HEAD", folder: "docs/attestation-log")
/// for t in h.touching { print(t.id, t.changedFiles) }
/// ```
public final class FolderHistory {
    /// The commit the walk started from.
    public let tip: ObjectID
    public let folder: String
    /// The repository is a shallow clone: history before its cut-off commits is not there.
    public let isShallow: Bool

    // One entry per commit, indexed in discovery (breadth-first) order; tip is 0.
    let ids: [ObjectID]
    let parentStart: [Int32]
    let parentList: [Int32]
    let committerTimes: [Int64]
    /// Index into `trees` of the folder's subtree, -1 when the commit has no such folder.
    let folderTree: [Int32]
    /// Index into `configBlobs` of `.attestconfig`, -1 when absent.
    let configBlob: [Int32]
    let trees: [ObjectID]
    let configBlobs: [ObjectID]
    /// Per commit, which tuple of policy root entries it has (`TreeResolver.policyRoot`).
    var policyRoot: [Int32] = []

    let reader: ObjectReader
    let indexByID: ObjectIDTable
    private var entryCache: [Int32: [String: ObjectReader.TreeEntry]] = [:]
    private var childStart: [Int32] = []
    private var childList: [Int32] = []

    /// The commits that touched the folder, in walk order (newest first, roughly).
    public private(set) var touching: [TouchingCommit] = []

    public var commitCount: Int { ids.count }

    init(tip: ObjectID, folder: String, ids: [ObjectID], parentStart: [Int32], parentList: [Int32], shallow: Bool = false,
         committerTimes: [Int64],
         folderTree: [Int32], configBlob: [Int32], trees: [ObjectID], configBlobs: [ObjectID], reader: ObjectReader,
         indexByID: ObjectIDTable) {
        self.indexByID = indexByID
        self.tip = tip; self.folder = folder; self.isShallow = shallow; self.ids = ids; self.parentStart = parentStart; self.parentList = parentList
        self.committerTimes = committerTimes; self.folderTree = folderTree; self.configBlob = configBlob
        self.trees = trees; self.configBlobs = configBlobs; self.reader = reader
    }

    /// A commit whose folder subtree differs from at least one parent's.
    public struct TouchingCommit: Sendable {
        public let index: Int
        public let id: ObjectID
        public let parents: [ObjectID]
        /// For each parent, in order, the names in the folder whose entry differs from that
        /// parent's (added, changed or removed). For a root commit, one list against nothing.
        public let changedVsParent: [Set<String>]
        public var isMerge: Bool { parents.count > 1 }
        /// Names changed against at least one parent (made once: the audit asks it of every
        /// touching commit for every file).
        public let changedFiles: Set<String>

        init(index: Int, id: ObjectID, parents: [ObjectID], changedVsParent: [Set<String>]) {
            self.index = index; self.id = id; self.parents = parents; self.changedVsParent = changedVsParent
            changedFiles = changedVsParent.count == 1 ? changedVsParent[0] : changedVsParent.reduce(into: Set()) { $0.formUnion($1) }
        }
    }

    func parents(of i: Int) -> ArraySlice<Int32> { parentList[Int(parentStart[i])..<Int(parentStart[i + 1])] }

    func findTouching() throws(GitError) {
        var out: [TouchingCommit] = []
        for i in 0..<ids.count {
            let ps = parents(of: i)
            let mine = folderTree[i]
            let touched = ps.isEmpty ? mine != -1 : ps.contains { folderTree[Int($0)] != mine }
            guard touched else { continue }
            var changed: [Set<String>] = []
            if ps.isEmpty {
                changed.append(Set(try folderEntries(mine).keys))
            } else {
                for p in ps { changed.append(try diffEntries(mine, folderTree[Int(p)])) }
            }
            out.append(TouchingCommit(index: i, id: ids[i], parents: ps.map { ids[Int($0)] }, changedVsParent: changed))
        }
        touching = out
    }

    func folderEntries(_ t: Int32) throws(GitError) -> [String: ObjectReader.TreeEntry] {
        guard t >= 0 else { return [:] }
        if let e = entryCache[t] { return e }
        let e = try reader.entries(ofTree: trees[Int(t)])
        entryCache[t] = e
        return e
    }

    /// The names that differ between two folder trees, from one merge walk over the raw trees
    /// (a commit usually changes one or two files of hundreds).
    private func diffEntries(_ a: Int32, _ b: Int32) throws(GitError) -> Set<String> {
        guard a != b else { return [] }
        if a < 0 || b < 0 { return Set(try folderEntries(a < 0 ? b : a).keys) }
        // Both trees at once, neither copied: a tree's bytes stay valid while another object is
        // read (only a commit is inflated into the reader's reused buffer).
        return try reader.withObject(trees[Int(a)], "tree") { first, _ throws(GitError) in
            try reader.withObject(trees[Int(b)], "tree") { other, _ in TreeParser.differences(first, other) }
        }
    }

    // MARK: - Questions about the walked graph

    /// The id of file `name` in the folder at commit `i`, or nil when absent.
    public func fileID(_ name: String, atCommit i: Int) throws(GitError) -> ObjectID? {
        try folderEntries(folderTree[i])[name]?.id
    }

    /// The contents of a blob.
    public func blob(_ id: ObjectID) throws(GitError) -> Data { try reader.data(id) }

    /// `.attestconfig` at commit `i`: its blob id, or nil when absent.
    public func configID(atCommit i: Int) -> ObjectID? {
        configBlob[i] >= 0 ? configBlobs[Int(configBlob[i])] : nil
    }

    public func index(of id: ObjectID) -> Int? { indexByID[id].map(Int.init) }

    public func id(at i: Int) -> ObjectID { ids[i] }
    public func committerTime(at i: Int) -> Int64 { committerTimes[i] }
    public func parentIndices(of i: Int) -> [Int] { parents(of: i).map(Int.init) }

    /// Every commit whose `.attestconfig` differs from a parent's, with that parent:
    /// (commit, parent or nil for a root commit).
    public func configChanges() -> [(commit: Int, parent: Int?)] {
        var out: [(Int, Int?)] = []
        for i in 0..<ids.count {
            let ps = parents(of: i)
            if ps.isEmpty { if configBlob[i] != -1 { out.append((i, nil)) }; continue }
            for p in ps where configBlob[Int(p)] != configBlob[i] { out.append((i, Int(p))) }
        }
        return out
    }

    /// Every commit whose `.attestconfig` or policy root entries (the walk's `policyPaths`)
    /// differ from a parent's: candidates for a policy change, compared precisely by the caller.
    public func policyCandidates() -> [Int] {
        var out: [Int] = []
        for i in 0..<ids.count {
            let ps = parents(of: i)
            if ps.isEmpty { if configBlob[i] != -1 { out.append(i) }; continue }
            if ps.contains(where: { configBlob[Int($0)] != configBlob[i] || (!policyRoot.isEmpty && policyRoot[Int($0)] != policyRoot[i]) }) { out.append(i) }
        }
        return out
    }

    /// Per commit, the latest committer time of it and all its ancestors: when it entered
    /// history at the earliest, whatever its own date claims (a commit made after its parent
    /// is no older than the parent).
    public func historyTimes() -> [Int64] {
        var out = [Int64](repeating: Int64.min, count: ids.count)
        // Parents are discovered after a child, but not always after every child: post-order.
        var stack: [(Int, Bool)] = []
        for root in 0..<ids.count where out[root] == Int64.min {
            stack.append((root, false))
            while let (i, expanded) = stack.popLast() {
                if out[i] != Int64.min { continue }
                if expanded {
                    var t = committerTimes[i]
                    for p in parents(of: i) { t = max(t, out[Int(p)]) }
                    out[i] = t
                    continue
                }
                stack.append((i, true))
                for p in parents(of: i) where out[Int(p)] == Int64.min { stack.append((Int(p), false)) }
            }
        }
        return out
    }

    /// Marks every descendant of commit `i` (not `i` itself) among the walked commits.
    public func descendants(of i: Int) -> [Bool] {
        buildChildren()
        var mark = [Bool](repeating: false, count: ids.count)
        var stack = [Int32(i)]
        while let c = stack.popLast() {
            for k in childStart[Int(c)]..<childStart[Int(c) + 1] {
                let child = childList[Int(k)]
                if !mark[Int(child)] { mark[Int(child)] = true; stack.append(child) }
            }
        }
        return mark
    }

    private func buildChildren() {
        guard childStart.isEmpty else { return }
        var counts = [Int32](repeating: 0, count: ids.count + 1)
        for p in parentList { counts[Int(p) + 1] += 1 }
        for k in 1..<counts.count { counts[k] += counts[k - 1] }
        var fill = counts
        var list = [Int32](repeating: 0, count: parentList.count)
        for c in 0..<ids.count {
            for p in parents(of: c) { list[Int(fill[Int(p)])] = Int32(c); fill[Int(p)] += 1 }
        }
        childStart = counts
        childList = list
    }
}
