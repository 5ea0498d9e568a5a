import Foundation
import AttestCore
internal import CGit2

/// The files a sign-off adds beside its attestation file: its timestamp tokens' validation
/// data (`<folder>/.ltv/YYYY-QN/…`, docs/tsa.md). A token cannot stamp a tree that holds its
/// own validation data, so the timestamp imprint names the sign-off's tree *without* the
/// files the sign-off adds under the `.ltv` folder (`imprintTree`).
extension Repository {
    /// `base` with each file set (blobs written, mode 100644).
    public func tree(_ base: ObjectID, adding files: [(path: String, contents: Data)]) throws(GitError) -> ObjectID {
        guard !files.isEmpty else { return base }
        var baseOID = base.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &baseOID), "read tree \(base.short)")
        defer { git_tree_free(tree) }
        var blobs: [git_oid] = []
        for f in files {
            var blob = git_oid()
            let rc = f.contents.withUnsafeBytes { p in git_blob_create_from_buffer(&blob, pointer, p.baseAddress, p.count) }
            try check(rc, "write \(f.path) into the object store")
            blobs.append(blob)
        }
        let paths = files.map { strdup($0.path)! }
        defer { paths.forEach { free($0) } }
        var updates = zip(blobs, paths).map { git_tree_update(action: GIT_TREE_UPDATE_UPSERT, id: $0.0, filemode: GIT_FILEMODE_BLOB, path: $0.1) }
        var made = git_oid()
        try check(git_tree_create_updated(&made, pointer, tree, updates.count, &updates), "build the tree with \(files.count) validation files")
        return ObjectID(made)
    }

    /// The paths of the files under `folder` in `commit` that its first parent does not have
    /// with the same content (every file there, for a root commit), sorted.
    public func filesAdded(by commit: ObjectID, under folder: String) throws(GitError) -> [String] {
        let links = try commitLinks(commit)
        let mine = try files(inTree: links.tree, under: folder)
        guard let parent = links.parents.first else { return mine.keys.sorted() }
        let theirs = try files(inTree: try commitLinks(parent).tree, under: folder)
        return mine.filter { theirs[$0.key] != $0.value }.keys.sorted()
    }

    /// The tree a sign-off's timestamp imprint names: the commit's tree without the files the
    /// commit adds under `folder`.
    public func imprintTree(of commit: ObjectID, addedUnder folder: String) throws(GitError) -> ObjectID {
        let links = try commitLinks(commit)
        let added = try filesAdded(by: commit, under: folder)
        guard !added.isEmpty else { return links.tree }
        var baseOID = links.tree.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &baseOID), "read tree \(links.tree.short)")
        defer { git_tree_free(tree) }
        let paths = added.map { strdup($0)! }
        defer { paths.forEach { free($0) } }
        var updates = paths.map { git_tree_update(action: GIT_TREE_UPDATE_REMOVE, id: git_oid(), filemode: GIT_FILEMODE_BLOB, path: $0) }
        var made = git_oid()
        try check(git_tree_create_updated(&made, pointer, tree, updates.count, &updates), "build the imprint tree of \(commit.short)")
        return ObjectID(made)
    }

    /// The files directly under `folder` in a commit, name to contents (none when absent).
    public func fileContents(under folder: String, inCommit commit: ObjectID) throws(GitError) -> [String: Data] {
        let all = try files(inTree: try commitLinks(commit).tree, under: folder)
        var out: [String: Data] = [:]
        for (path, id) in all {
            let name = String(path.dropFirst(folder.count + 1))
            guard !name.contains("/") else { continue }
            out[name] = Data(try readObject(id).1)
        }
        return out
    }

    /// Every file under `folder` (recursively) in a tree, sorted by path, with its contents.
    public func fileContents(inTree tree: ObjectID, under folder: String) throws(GitError) -> [(path: String, contents: Data)] {
        var out: [(path: String, contents: Data)] = []
        for (path, id) in try files(inTree: tree, under: folder).sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            out.append((path, Data(try readObject(id).1)))
        }
        return out
    }

    /// Every blob under `folder` in a tree, path to id (none when the folder is absent).
    func files(inTree root: ObjectID, under folder: String) throws(GitError) -> [String: ObjectID] {
        var oid = root.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "read tree \(root.short)")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, tree, folder)
        if rc == GIT_ENOTFOUND.rawValue { return [:] }
        try check(rc, "find \(folder) in tree \(root.short)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return [:] }
        var out: [String: ObjectID] = [:]
        try collect(ObjectID(git_tree_entry_id(entry)!.pointee), prefix: folder, into: &out)
        return out
    }

    private func collect(_ id: ObjectID, prefix: String, into out: inout [String: ObjectID]) throws(GitError) {
        var oid = id.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "read tree \(id.short)")
        defer { git_tree_free(tree) }
        for i in 0..<git_tree_entrycount(tree) {
            guard let e = git_tree_entry_byindex(tree, i), let name = git_tree_entry_name(e) else { continue }
            let path = prefix + "/" + String(cString: name)
            let child = ObjectID(git_tree_entry_id(e)!.pointee)
            switch git_tree_entry_type(e) {
            case GIT_OBJECT_TREE: try collect(child, prefix: path, into: &out)
            case GIT_OBJECT_BLOB: out[path] = child
            default: break
            }
        }
    }
}
