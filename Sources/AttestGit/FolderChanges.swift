import Foundation
internal import CGit2

/// Answers "did this commit touch the attestation folder?" as cheaply as git allows: by
/// comparing the folder's subtree id in the commit with the one in each parent. Whole trees
/// are never diffed; a commit whose root tree equals its parent's costs no tree read at all,
/// and each root tree is read once however many commits share it. (The push gate's fast path
/// makes the same comparison inside `PushWalk`, on a second thread.)
public final class FolderTracker {
    public let repository: Repository
    /// `docs/attestation-log`
    public let folder: String
    private let components: [String]
    private var byTree: [ObjectID: ObjectID?] = [:]
    /// Per level of the folder path: tree id to the id of the next component's tree. Most
    /// commits leave the upper folders (`docs`) unchanged, so only their root tree is read.
    private var levels: [[ObjectID: ObjectID?]]
    /// Commit id to root tree id, so a parent's tree is looked up once.
    private var treeOf: [ObjectID: ObjectID] = [:]

    private let reader: ObjectReader

    public init(repository: Repository, folder: String) throws(GitError) {
        self.repository = repository
        reader = try ObjectReader(repository)
        self.folder = folder
        components = folder.split(separator: "/").map(String.init)
        levels = Array(repeating: [:], count: components.count)
    }

    /// The folder's subtree id at commits whose walk already found it (`PushWalk.Commit`).
    private var folderOf: [ObjectID: ObjectID?] = [:]

    /// Records the folder's subtree id at a commit (nil: no folder there), as a walk read it, so
    /// `changes` compares it without reading the commit and its root tree again.
    public func know(commit: ObjectID, folder: ObjectID?) { folderOf[commit] = .some(folder) }

    private func folderID(ofCommit commit: ObjectID) throws(GitError) -> ObjectID? {
        if let known = folderOf[commit] { return known }
        return try folderID(inTree: tree(of: commit))
    }

    /// The id of the folder's tree in a root tree, or nil when the folder does not exist.
    public func folderID(inTree root: ObjectID) throws(GitError) -> ObjectID? {
        if let hit = byTree[root] { return hit }
        var current: ObjectID? = root
        for (level, name) in components.enumerated() {
            guard let id = current else { break }
            if let hit = levels[level][id] { current = hit; continue }
            let child = try reader.subtree(named: Array(name.utf8), inTree: id)
            levels[level][id] = child
            current = child
        }
        byTree[root] = current
        return current
    }

    /// Whether a commit changes anything under the folder relative to any of its parents (a
    /// root commit touches it when it has the folder at all).
    public func touches(_ commit: ObjectID) throws(GitError) -> Bool {
        try examine(commit).touches
    }

    /// Whether the commit touches the folder, and whether its message mentions attest, from
    /// one raw read of the commit.
    public func examine(_ commit: ObjectID) throws(GitError) -> (touches: Bool, mentionsAttest: Bool) {
        let (links, mentions) = try reader.commitHeader(commit)
        treeOf[commit] = links.tree
        let mine = try folderID(inTree: links.tree)
        if links.parents.isEmpty { return (mine != nil, mentions) }
        for p in links.parents {
            let pt: ObjectID
            if let t = treeOf[p] { pt = t } else {
                pt = try reader.commitHeader(p).header.tree
                treeOf[p] = pt
            }
            if pt == links.tree { continue }
            if try folderID(inTree: pt) != mine { return (true, mentions) }
        }
        return (false, mentions)
    }

    /// One file changed under the folder between two commits.
    public struct Change: Sendable, Equatable {
        public enum Kind: String, Sendable { case added, modified, deleted }
        /// Repository-relative path (`docs/attestation-log/2026-Q4.md`).
        public let path: String
        public let kind: Kind
    }

    /// The files under the folder that differ between `parent` (nil: nothing) and `commit`.
    /// Only the two folder subtrees are compared, entry by entry in git's tree order, descending
    /// only into subtrees whose ids differ; as `git diff-tree -r` reports them: a file that
    /// becomes a folder (or a symbolic link, or a submodule) is a deletion and an addition.
    public func changes(from parent: ObjectID?, to commit: ObjectID) throws(GitError) -> [Change] {
        let new = try folderID(ofCommit: commit)
        let old = try parent.flatMap { p throws(GitError) in try folderID(ofCommit: p) }
        if old == new { return [] }
        var out: [Change] = []
        try diff(old, new, under: folder + "/", into: &out)
        return out
    }

    private func tree(of commit: ObjectID) throws(GitError) -> ObjectID {
        if let t = treeOf[commit] { return t }
        let t = try reader.commitHeader(commit).header.tree
        treeOf[commit] = t
        return t
    }

    /// A tree's raw bytes (empty for none).
    private func bytes(_ tree: ObjectID?) throws(GitError) -> [UInt8] {
        guard let tree else { return [] }
        return try reader.withObject(tree, "tree") { buf, type throws(GitError) in
            guard type == GIT_OBJECT_TREE else { throw GitError(operation: "read tree \(tree.short)", code: -1, message: "not a tree") }
            return Array(buf)
        }
    }

    private func diff(_ a: ObjectID?, _ b: ObjectID?, under prefix: String, into out: inout [Change]) throws(GitError) {
        let x = try bytes(a), y = try bytes(b)
        func isTree(_ e: ObjectReader.TreeEntry) -> Bool { e.mode & 0o170000 == 0o040000 }
        try x.withUnsafeBufferPointer { (xb) throws(GitError) in
            try y.withUnsafeBufferPointer { (yb) throws(GitError) in
                try TreeParser.walkDifferences(xb, yb) { (name, old, new) throws(GitError) in
                    let path = prefix + String(decoding: name, as: UTF8.self)
                    switch (old, new) {
                    case (let e?, let f?):
                        if isTree(e) { try diff(e.id, f.id, under: path + "/", into: &out); return }
                        // Same kind of file (only the executable bit may differ): a modification.
                        if e.mode & 0o170000 == f.mode & 0o170000 { out.append(Change(path: path, kind: .modified)) } else {
                            out.append(Change(path: path, kind: .deleted)); out.append(Change(path: path, kind: .added))
                        }
                    case (let e?, nil):
                        if isTree(e) { try diff(e.id, nil, under: path + "/", into: &out) } else { out.append(Change(path: path, kind: .deleted)) }
                    case (nil, let f?):
                        if isTree(f) { try diff(nil, f.id, under: path + "/", into: &out) } else { out.append(Change(path: path, kind: .added)) }
                    case (nil, nil): break
                    }
                }
            }
        }
    }
}
