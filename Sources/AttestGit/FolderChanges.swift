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
    /// Only the two folder subtrees are compared.
    public func changes(from parent: ObjectID?, to commit: ObjectID) throws(GitError) -> [Change] {
        let new = try folderID(inTree: repository.commitLinks(commit).tree)
        let old = try parent.flatMap { p throws(GitError) in try folderID(inTree: repository.commitLinks(p).tree) }
        if old == new { return [] }
        func tree(_ id: ObjectID?) throws(GitError) -> OpaquePointer? {
            guard let id else { return nil }
            var t: OpaquePointer?
            var oid = id.oid
            try check(git_tree_lookup(&t, repository.pointer, &oid), "read tree \(id.short)")
            return t
        }
        let a = try tree(old), b = try tree(new)
        defer { git_tree_free(a); git_tree_free(b) }
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, repository.pointer, a, b, nil), "compare \(folder) in \(commit.short)")
        defer { git_diff_free(diff) }
        var out: [Change] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let d = git_diff_get_delta(diff, i)?.pointee else { continue }
            let kind: Change.Kind
            let rel: String
            switch d.status {
            case GIT_DELTA_ADDED: kind = .added; rel = String(cString: d.new_file.path)
            case GIT_DELTA_DELETED: kind = .deleted; rel = String(cString: d.old_file.path)
            default: kind = .modified; rel = String(cString: d.new_file.path)
            }
            out.append(Change(path: folder + "/" + rel, kind: kind))
        }
        return out
    }
}
