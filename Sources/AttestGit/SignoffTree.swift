import Foundation
import AttestCore
internal import CGit2

extension Repository {
    /// The tree a sign-off commit on `head` has: `head`'s tree with only `path` set to
    /// `contents` (an executable file stays executable). Both objects are written to the object
    /// store (idempotent: the commit made next finds them). `attest sign` stamps the imprint of
    /// this tree before it commits, and the commit uses this very tree.
    public func signoffTree(head: ObjectID, path: String, contents: Data) throws(GitError) -> (tree: ObjectID, blob: ObjectID, executable: Bool) {
        let parent = try lookupCommit(head)
        defer { git_commit_free(parent) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, parent), "read the tree of \(head.short)")
        defer { git_tree_free(tree) }

        var blob = git_oid()
        let rc = contents.withUnsafeBytes { p in git_blob_create_from_buffer(&blob, pointer, p.baseAddress, p.count) }
        try check(rc, "write \(path) into the object store")
        var mode = GIT_FILEMODE_BLOB
        var entry: OpaquePointer?
        let found = git_tree_entry_bypath(&entry, tree, path)
        if found == 0 {
            if git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE { mode = GIT_FILEMODE_BLOB_EXECUTABLE }
            git_tree_entry_free(entry)
        } else if found != GIT_ENOTFOUND.rawValue {
            try check(found, "find \(path) in \(head.short)")
        }
        var newTree = git_oid()
        let made = path.withCString { cpath in
            var update = git_tree_update(action: GIT_TREE_UPDATE_UPSERT, id: blob, filemode: mode, path: cpath)
            return git_tree_create_updated(&newTree, pointer, tree, 1, &update)
        }
        try check(made, "build the tree with \(path)")
        return (ObjectID(newTree), ObjectID(blob), mode == GIT_FILEMODE_BLOB_EXECUTABLE)
    }
}
