import Foundation
internal import CGit2

/// Answers "did this commit touch the attestation folder?" as cheaply as git allows: by
/// comparing the folder's subtree id in the commit with the one in each parent. Whole trees
/// are never diffed; a commit whose root tree equals its parent's costs no tree read at all,
/// and each root tree is read once however many commits share it.
public final class FolderTracker {
    public let repository: Repository
    /// `docs/attestation-log`
    public let folder: String
    private let components: [String]
    private var byTree: [ObjectID: ObjectID?] = [:]

    public init(repository: Repository, folder: String) {
        self.repository = repository
        self.folder = folder
        components = folder.split(separator: "/").map(String.init)
    }

    /// The id of the folder's tree in a root tree, or nil when the folder does not exist.
    public func folderID(inTree root: ObjectID) throws(GitError) -> ObjectID? {
        if let hit = byTree[root] { return hit }
        var current: ObjectID? = root
        for name in components {
            guard let id = current else { break }
            current = try childTree(id, name)
        }
        byTree[root] = current
        return current
    }

    private func childTree(_ tree: ObjectID, _ name: String) throws(GitError) -> ObjectID? {
        var t: OpaquePointer?
        var oid = tree.oid
        try check(git_tree_lookup(&t, repository.pointer, &oid), "read tree \(tree.short)")
        defer { git_tree_free(t) }
        guard let e = git_tree_entry_byname(t, name), git_tree_entry_type(e) == GIT_OBJECT_TREE else { return nil }
        return ObjectID(git_tree_entry_id(e)!.pointee)
    }

    /// Whether a commit changes anything under the folder relative to any of its parents (a
    /// root commit touches it when it has the folder at all).
    public func touches(_ commit: ObjectID) throws(GitError) -> Bool {
        let links = try repository.commitLinks(commit)
        let mine = try folderID(inTree: links.tree)
        if links.parents.isEmpty { return mine != nil }
        for p in links.parents {
            let pt = try repository.commitLinks(p).tree
            if pt == links.tree { continue }
            if try folderID(inTree: pt) != mine { return true }
        }
        return false
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
