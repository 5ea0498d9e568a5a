import Foundation
internal import CGit2

extension Repository {
    /// Whether git ignores `path` (relative to the working tree; a trailing `/` marks a folder),
    /// by every rule `git check-ignore` reads: `.gitignore` files, `.git/info/exclude`,
    /// `core.excludesFile`, negations. Read afresh (a handle that already read the rules would
    /// not see a `.gitignore` just written).
    public func isIgnored(_ path: String) throws(GitError) -> Bool {
        let fresh = try reopened()
        var ignored: Int32 = 0
        try check(git_ignore_path_is_ignored(&ignored, fresh.pointer, path), "read git's ignore rules for \(path)")
        return ignored == 1
    }

    /// The first index entry under the folder `prefix` (relative, without a trailing `/`): a
    /// file git tracks there whatever the ignore rules say. Nil when there is none.
    public func trackedFile(under prefix: String) throws(GitError) -> String? {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "open the index")
        defer { git_index_free(index) }
        try check(git_index_read(index, 1), "read the index")
        var at = 0
        guard git_index_find_prefix(&at, index, prefix + "/") == 0, let e = git_index_get_byindex(index, at), let p = e.pointee.path else { return nil }
        let path = String(cString: p)
        return path.hasPrefix(prefix + "/") ? path : nil
    }
}
