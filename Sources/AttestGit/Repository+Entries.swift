import Foundation
internal import CGit2

extension Repository {
    /// The object id of the blob at `path` in a commit's tree, or nil when there is no such
    /// file (the timestamp imprint binds it: AttestCore.TimestampImprint).
    public func blobID(at path: String, inCommit commit: ObjectID) throws(GitError) -> ObjectID? {
        let c = try lookupCommit(commit)
        defer { git_commit_free(c) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, c), "read the tree of \(commit.short)")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, tree, path)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "find \(path) in \(commit.short)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        return ObjectID(git_tree_entry_id(entry)!.pointee)
    }
}
