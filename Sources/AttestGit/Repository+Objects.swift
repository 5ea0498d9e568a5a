import Foundation
internal import CGit2

/// Reading objects, refs and history: what verify, the hooks and audit need.
extension Repository {
    /// The raw bytes of an object and its type name (`commit`, `tree`, `blob`, `tag`).
    public func readObject(_ id: ObjectID) throws(GitError) -> (type: String, bytes: [UInt8]) {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, pointer), "open the object database")
        defer { git_odb_free(odb) }
        var obj: OpaquePointer?
        var oid = id.oid
        try check(git_odb_read(&obj, odb, &oid), "read object \(id.short)")
        defer { git_odb_object_free(obj) }
        let size = git_odb_object_size(obj)
        let type = String(cString: git_object_type2string(git_odb_object_type(obj)))
        guard size > 0, let data = git_odb_object_data(obj) else { return (type, []) }
        return (type, Array(UnsafeRawBufferPointer(start: data, count: size)))
    }

    /// Whether the object store (quarantine and alternates included) has the object.
    public func contains(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0 else { return false }
        defer { git_odb_free(odb) }
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// A commit read from its raw object and split the way git does (see `RawCommit`).
    public func rawCommit(_ id: ObjectID) throws(GitError) -> RawCommit {
        let (type, bytes) = try readObject(id)
        guard type == "commit" else { throw GitError(operation: "read commit \(id.short)", code: GitError.refusedCode, message: "object is a \(type), not a commit") }
        do { return try RawCommit.parse(id: id, bytes: bytes) } catch {
            throw GitError(operation: "read commit \(id.short)", code: GitError.refusedCode, message: error.message)
        }
    }

    /// Resolves a revision (`HEAD`, `main~2`, an id) to a commit id.
    public func resolveCommit(_ rev: String) throws(GitError) -> ObjectID {
        var obj: OpaquePointer?
        try check(git_revparse_single(&obj, pointer, rev), "resolve '\(rev)'")
        defer { git_object_free(obj) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, obj, GIT_OBJECT_COMMIT), "'\(rev)' is not a commit")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit)!.pointee)
    }

    /// The blob at `path` in a commit's tree, or nil when there is no such file. A blob larger
    /// than `maxBytes` is refused from its object header, before it is read (docs/limits.md).
    public func blob(at path: String, inCommit commit: ObjectID, maxBytes: Int? = nil) throws(GitError) -> Data? {
        guard let id = try blobID(at: path, inCommit: commit) else { return nil }
        if let maxBytes {
            var odb: OpaquePointer?
            try check(git_repository_odb(&odb, pointer), "open the object database")
            defer { git_odb_free(odb) }
            var size = 0
            var type = GIT_OBJECT_ANY
            var oid = id.oid
            try check(git_odb_read_header(&size, &type, odb, &oid), "read the header of \(path) in \(commit.short)")
            guard size <= maxBytes else {
                throw GitError(operation: "read \(path) in \(commit.short)", code: GitError.refusedCode,
                               message: "it has \(size) bytes, more than the \(maxBytes >> 10) KiB attest reads of it (docs/limits.md)")
            }
        }
        let (_, bytes) = try readObject(id)
        return Data(bytes)
    }

    /// The object id of the blob at `path` in a commit's tree, or nil when there is no such
    /// file (the timestamp imprint binds it: AttestCore.TimestampImprint).
    public func blobID(at path: String, inCommit commit: ObjectID) throws(GitError) -> ObjectID? {
        guard let (id, mode) = try treeEntry(at: path, inCommit: commit), mode != GIT_FILEMODE_TREE.rawValue else { return nil }
        // A committed symbolic link is a blob holding the target's name: never read as the file.
        guard mode != GIT_FILEMODE_LINK.rawValue else {
            throw GitError(operation: "read \(path) in \(commit.short)", code: GitError.refusedCode,
                           message: "it is committed as a symbolic link, not a file; attest reads only a regular file there: commit the file itself (git rm --cached \(path), copy the file in, git add \(path))")
        }
        guard mode != GIT_FILEMODE_COMMIT.rawValue else { return nil }
        return id
    }

    /// The object id and file mode of the entry (blob, tree, link, submodule) at `path` in a
    /// commit's tree, nil when there is none.
    func treeEntry(at path: String, inCommit commit: ObjectID) throws(GitError) -> (id: ObjectID, mode: UInt32)? {
        guard !path.isEmpty else { return nil }
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
        return (ObjectID(git_tree_entry_id(entry)!.pointee), git_tree_entry_filemode(entry).rawValue)
    }

    func lookupCommit(_ id: ObjectID) throws(GitError) -> OpaquePointer {
        var c: OpaquePointer?
        var oid = id.oid
        try check(git_commit_lookup(&c, pointer, &oid), "read commit \(id.short)")
        return c!
    }

    /// The tree id and parent ids of a commit (through libgit2's object cache: cheap).
    public func commitLinks(_ id: ObjectID) throws(GitError) -> (tree: ObjectID, parents: [ObjectID]) {
        let c = try lookupCommit(id)
        defer { git_commit_free(c) }
        let tree = ObjectID(git_commit_tree_id(c)!.pointee)
        let n = git_commit_parentcount(c)
        var parents: [ObjectID] = []
        parents.reserveCapacity(Int(n))
        for i in 0..<n { parents.append(ObjectID(git_commit_parent_id(c, i)!.pointee)) }
        return (tree, parents)
    }

    /// References whose names match a glob (`refs/remotes/origin/*`), with their targets
    /// peeled to commits; symbolic and non-commit refs are skipped.
    public func references(glob: String) throws(GitError) -> [(name: String, id: ObjectID)] {
        var iter: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iter, pointer, glob), "list references \(glob)")
        defer { git_reference_iterator_free(iter) }
        var out: [(String, ObjectID)] = []
        var ref: OpaquePointer?
        while git_reference_next(&ref, iter) == 0 {
            defer { git_reference_free(ref) }
            let name = String(cString: git_reference_name(ref))
            var peeled: OpaquePointer?
            guard git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 else { continue }
            out.append((name, ObjectID(git_object_id(peeled)!.pointee)))
            git_object_free(peeled)
        }
        return out
    }

    /// Walks the commits reachable from `tips` and not from `hide`, newest first; `body`
    /// returns false to stop. Ids in either list that are not in the object store are
    /// ignored (a pushed-over remote tip the client never fetched is not an error).
    public func walk(from tips: [ObjectID], hiding hide: [ObjectID], topological: Bool = false,
                     _ body: (ObjectID) throws(GitError) -> Bool) throws(GitError) {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, pointer), "start a history walk")
        defer { git_revwalk_free(walker) }
        if topological { git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue) }
        var pushed = 0
        for t in tips where !t.isZero && contains(t) {
            var oid = t.oid
            try check(git_revwalk_push(walker, &oid), "walk from \(t.short)")
            pushed += 1
        }
        guard pushed > 0 else { return }
        for h in hide where !h.isZero && contains(h) {
            var oid = h.oid
            // A hidden id that is not a commit (a tag to a tree) is skipped, not fatal.
            _ = git_revwalk_hide(walker, &oid)
        }
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walker)
            if rc == GIT_ITEROVER.rawValue { return }
            try check(rc, "walk history")
            guard try body(ObjectID(oid)) else { return }
        }
    }

    /// Whether `commit` is `ancestor` or a descendant of it.
    public func isAncestor(_ ancestor: ObjectID, of commit: ObjectID) -> Bool {
        if ancestor == commit { return true }
        var a = commit.oid, b = ancestor.oid
        return git_graph_descendant_of(pointer, &a, &b) == 1
    }
}

extension Repository {
    /// A string from the repository's git configuration (local, global; system unless
    /// `GIT_CONFIG_NOSYSTEM`), or nil when unset.
    public func configString(_ name: String) -> String? {
        var cfg: OpaquePointer?
        guard git_repository_config_snapshot(&cfg, pointer) == 0 else { return nil }
        defer { git_config_free(cfg) }
        var buf = git_buf()
        guard git_config_get_string_buf(&buf, cfg, name) == 0 else { return nil }
        defer { git_buf_dispose(&buf) }
        return String(cString: buf.ptr)
    }

    /// Whether a commit's message mentions attest at all (`Attest-` trailers or the runbook's
    /// sign-off subject; the rule is `CommitHeader.messageMentionsAttest`).
    public func messageMentionsAttest(_ id: ObjectID) throws(GitError) -> Bool {
        let (type, bytes) = try readObject(id)
        guard type == "commit" else { return false }
        return bytes.withUnsafeBufferPointer { CommitHeader.messageMentionsAttest($0) }
    }

    /// The current HEAD commit, or nil on an unborn branch.
    public var headCommit: ObjectID? { try? resolveCommit("HEAD") }
}
