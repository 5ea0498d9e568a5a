import Foundation
import AttestCore
import AttestSystem
#if canImport(Glibc)
import Glibc
#endif
internal import CGit2

/// What `attest sign` learned of the repository before doing anything: the branch `HEAD` is on
/// and the commit it points at. The ref is later moved only if it still points there.
public struct SignoffPreflight: Sendable {
    /// `refs/heads/main`.
    public let branch: String
    /// The commit the sign-off goes on top of.
    public let head: ObjectID
    /// With `attest sign --replace-unpushed`: the unpushed sign-off at the branch's tip that the
    /// new one replaces (`head` is then its parent); the branch moves only if it is still there.
    public private(set) var replaces: ObjectID?
    public var branchName: String { branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch }

    /// The same branch, with the sign-off going on top of `tip`'s parent in place of `tip`.
    public func replacing(tip: ObjectID, parent: ObjectID) -> SignoffPreflight {
        var p = SignoffPreflight(branch: branch, head: parent)
        p.replaces = tip
        return p
    }

    init(branch: String, head: ObjectID) { self.branch = branch; self.head = head }
}

/// Whether a commit has reached a remote, as far as this clone knows.
public struct PushState: Sendable {
    /// `refs/remotes/origin/main`, the branch's upstream; nil when it has none.
    public let upstream: String?
    /// The remote-tracking refs that contain the commit (empty: never pushed, as far as we know).
    public let containedIn: [String]
    public var pushed: Bool { !containedIn.isEmpty }
}

extension Repository {
    /// The refusals that need no document: a bare repository, an unborn or detached `HEAD`, a
    /// merge, rebase, cherry-pick, revert or bisect in progress, a stale lock (`index.lock`,
    /// `refs/heads/<branch>.lock`) or a file of `watching` whose index entry is behind HEAD
    /// (InterruptedState). Each is a case of `SignoffWriterError`.
    public func signoffPreflight(watching: [String] = []) throws(SignoffWriterError) -> SignoffPreflight {
        guard !isBare, workdir != nil else { throw .bareRepository }
        let state = git_repository_state(pointer)
        if state != GIT_REPOSITORY_STATE_NONE.rawValue {
            throw .operationInProgress(Self.stateName(state))
        }
        if git_repository_head_detached(pointer) == 1 {
            throw .detachedHead
        }
        if let state = interruptedState(watching: watching), !state.isEmpty {
            throw .interrupted(state)
        }
        var ref: OpaquePointer?
        do { try check(git_reference_lookup(&ref, pointer, "HEAD"), "read HEAD") } catch {
            throw .cannotReadHead(error.message)
        }
        defer { git_reference_free(ref) }
        guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(ref) else {
            throw .headNotOnBranch
        }
        let branch = String(cString: target)
        if isHeadUnborn {
            throw .unbornBranch(branch)
        }
        let head: ObjectID
        do { head = try resolveCommit("HEAD") } catch { throw .cannotReadHead(error.message) }
        return SignoffPreflight(branch: branch, head: head)
    }

    /// The branch `HEAD` is on (`refs/heads/main`); nil when detached.
    public var headBranch: String? {
        var ref: OpaquePointer?
        guard git_reference_lookup(&ref, pointer, "HEAD") == 0 else { return nil }
        defer { git_reference_free(ref) }
        guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC, let t = git_reference_symbolic_target(ref) else { return nil }
        return String(cString: t)
    }

    /// The branch's upstream (`branch.<name>.remote` / `.merge`), as a remote-tracking ref name.
    public func upstream(of branch: String) -> String? {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        guard git_branch_upstream_name(&buf, pointer, branch) == 0, let p = buf.ptr else { return nil }
        return String(cString: p)
    }

    /// Which remote-tracking refs (`refs/remotes/*`) contain `commit`, and the branch's upstream.
    public func pushState(of commit: ObjectID, branch: String) -> PushState {
        let remotes = (try? references(glob: "refs/remotes/*")) ?? []
        let containing = remotes.filter { isAncestor(commit, of: $0.id) }.map(\.name)
        return PushState(upstream: upstream(of: branch), containedIn: containing)
    }

    /// The paths whose entries differ between a commit's tree and its first parent's.
    public func changedPaths(of commit: ObjectID) throws(GitError) -> [String] {
        let c = try lookupCommit(commit)
        defer { git_commit_free(c) }
        var tree: OpaquePointer?, parentTree: OpaquePointer?
        try check(git_commit_tree(&tree, c), "read the tree of \(commit.short)")
        defer { git_tree_free(tree) }
        if git_commit_parentcount(c) > 0 {
            var parent: OpaquePointer?
            try check(git_commit_parent(&parent, c, 0), "read the parent of \(commit.short)")
            defer { git_commit_free(parent) }
            try check(git_commit_tree(&parentTree, parent), "read the parent tree of \(commit.short)")
        }
        defer { git_tree_free(parentTree) }
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, pointer, parentTree, tree, nil), "compare \(commit.short) with its parent")
        defer { git_diff_free(diff) }
        var out: [String] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let d = git_diff_get_delta(diff, i) else { continue }
            if let p = d.pointee.new_file.path { out.append(String(cString: p)) }
        }
        return out
    }

    static func stateName(_ state: Int32) -> String {
        switch git_repository_state_t(rawValue: UInt32(bitPattern: state)) {
        case GIT_REPOSITORY_STATE_MERGE: return "merge"
        case GIT_REPOSITORY_STATE_REVERT, GIT_REPOSITORY_STATE_REVERT_SEQUENCE: return "revert"
        case GIT_REPOSITORY_STATE_CHERRYPICK, GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE: return "cherry-pick"
        case GIT_REPOSITORY_STATE_BISECT: return "bisect"
        case GIT_REPOSITORY_STATE_REBASE, GIT_REPOSITORY_STATE_REBASE_INTERACTIVE, GIT_REPOSITORY_STATE_REBASE_MERGE: return "rebase"
        case GIT_REPOSITORY_STATE_APPLY_MAILBOX, GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE: return "git am"
        default: return "git operation"
        }
    }

    /// `user.name` and `user.email`, required for a commit.
    public func committerIdentity() throws(SignoffWriterError) -> (name: String, email: String) {
        let name = configString("user.name"), email = configString("user.email")
        guard let name, !name.isEmpty else { throw .userNameNotSet }
        guard let email, !email.isEmpty else { throw .userEmailNotSet }
        return (name, email)
    }

    /// The sign-off commit written to the object store but not yet on any branch: `attest sign`
    /// judges this very object (`SignoffRules.check`) before `publishSignoff` moves the branch.
    public struct UnpublishedSignoff: Sendable {
        public let preflight: SignoffPreflight
        public let id: ObjectID
        public let path: String
        let blob: ObjectID
        let executable: Bool
        let subject: String
        /// A timestamp token's validation data (docs/tsa.md), in the commit's tree beside `path`.
        let validationFiles: [(path: String, contents: Data)]
    }

    /// Makes the sign-off commit object: `HEAD`'s tree with only `path` set to `contents`, author
    /// and committer `user.name <user.email>` at `time` (UTC), `message`, signed by `sign` when
    /// given (it receives the commit buffer and returns the armored signature). Only objects are
    /// written (blob, tree, commit), which nothing references until `publishSignoff`: HEAD, the
    /// index, the work tree and every ref stay as they were (`git gc` removes the objects if the
    /// commit is never published).
    ///
    /// Refused: `contents` equal to `HEAD`'s version (`.unchanged`); a signer's failure is `.signing`.
    ///
    /// `validationFiles` (a timestamp token's validation data, docs/tsa.md) go into the commit's
    /// tree beside `path`, and into the index and the working tree when it is published.
    public func writeSignoffObject(_ preflight: SignoffPreflight, path: String, contents: Data, message: String, at time: Date,
                                   validationFiles: [(path: String, contents: Data)] = [],
                                   sign: ((Data) throws(CommitSignerError) -> String)?) throws(SignoffWriterError) -> UnpublishedSignoff {
        do {
            return try makeSignoffObject(preflight, path: path, contents: contents, message: message, at: time,
                                         validationFiles: validationFiles, sign: sign)
        } catch let e as SignoffWriterError { throw e } catch let e as CommitSignerError {
            throw .signing(e)
        } catch let e as GitError {
            throw .git(e)
        } catch {
            throw .git(GitError(operation: "write the sign-off commit", code: -1, message: "\(error)"))
        }
    }

    /// Refuses a sign-off whose file is `HEAD`'s version: there is nothing to sign.
    public func requireChange(_ preflight: SignoffPreflight, path: String, contents: Data) throws(SignoffWriterError) {
        let changed: Bool
        do { changed = try blobID(at: path, inCommit: preflight.head) != signoffTree(head: preflight.head, path: path, contents: contents).blob } catch {
            throw .git(error)
        }
        guard changed else { throw .unchanged(path: path, head: preflight.head) }
    }

    /// Publishes the sign-off, index first and ref second, so that a kill at any instant leaves
    /// either the old state or the new commit with a consistent index (docs/sign.md, "After a
    /// crash"):
    ///  1. the validation files (if any) are written to the working tree;
    ///  2. `index.lock` is created (`O_EXCL`) and held across the read-modify-write: the index
    ///     is read under it, the file's entry set to the committed blob with the working file's
    ///     stat data (other entries, whatever else is staged, left alone), and the new index
    ///     written into the lock and fsynced; a concurrent `git add` fails on the lock instead
    ///     of being undone;
    ///  3. the branch is moved from `preflight.head` by compare-and-swap;
    ///  4. the lock is committed (renamed over `index`).
    /// A kill before 3 leaves HEAD and the index as they were (and `index.lock`, which sign,
    /// status and verify name with the command that removes it); a kill between 3 and 4 leaves
    /// the new index complete in the lock, mended by the same command.
    ///
    /// Refused, with nothing moved and the lock released: the branch no longer at
    /// `preflight.head` (another commit came in: `.branchMoved`), or its ref locked (`.branchLocked`).
    /// The index is built in a temporary folder in `<git dir>/attest-tmp` (TempFolders).
    public func publishSignoff(_ s: UnpublishedSignoff) throws(SignoffWriterError) {
        let preflight = s.preflight
        let scratch: String
        do { scratch = try TempFolders.make(in: TempFolders.repositoryBase(gitDir: gitDir), label: "attest-sign") } catch { throw .scratch(error) }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let workdir = self.workdir ?? ""
        var entries: [(path: String, blob: git_oid, mode: git_filemode_t)] = []
        do {
            for f in s.validationFiles {
                let full = workdir + "/" + f.path
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try f.contents.write(to: URL(fileURLWithPath: full))
                var id = git_oid()
                let rc = f.contents.withUnsafeBytes { p in git_blob_create_from_buffer(&id, pointer, p.baseAddress, p.count) }
                try check(rc, "write \(f.path) into the object store")
                entries.append((f.path, id, GIT_FILEMODE_BLOB))
            }
        } catch {
            throw .validationFilesUnwritable(folder: ((s.validationFiles.first?.path ?? "") as NSString).deletingLastPathComponent, reason: "\(error)")
        }
        entries.append((s.path, s.blob.oid, s.executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB))

        let lockPath = gitDir + "/index.lock"
        let lock = Glibc.open(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard lock >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST, let state = interruptedState(watching: [s.path]) {
                throw .indexLocked(path: lockPath, state: state)
            }
            throw .cannotLockIndex(path: lockPath, reason: reason)
        }
        var committed = false
        defer {
            close(lock)
            if !committed { unlink(lockPath) }
        }
        do {
            try writeIndex(into: lock, lockPath: lockPath, entries: entries, scratch: scratch)
        } catch {
            throw .indexUnwritable(reason: "\(error)")
        }

        var headOID = (preflight.replaces ?? preflight.head).oid
        var commitID = s.id.oid
        var ref: OpaquePointer?
        let moved = git_reference_create_matching(&ref, pointer, preflight.branch, &commitID, 1, &headOID, "commit: \(s.subject)")
        if moved == GIT_ELOCKED.rawValue {
            throw .branchLocked(branch: preflight.branch, lock: "\(commonDir)/\(preflight.branch).lock", tip: try? resolveCommit(preflight.branch))
        }
        if moved == GIT_EMODIFIED.rawValue || moved == GIT_EEXISTS.rawValue {
            throw .branchMoved(branch: preflight.branch, from: preflight.replaces ?? preflight.head, to: try? resolveCommit(preflight.branch))
        }
        do { try check(moved, "move \(preflight.branch) to the sign-off commit") } catch { throw .cannotMoveBranch(error) }
        git_reference_free(ref)

        guard rename(lockPath, gitDir + "/index") == 0 else {
            let reason = String(cString: strerror(errno))
            committed = true // the lock holds the new index: leave it for the command below
            throw .indexNotInPlace(commit: s.id, branch: preflight.branch, lock: lockPath, paths: entries.map(\.path), reason: reason)
        }
        committed = true
        let dir = Glibc.open(gitDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// The index with `entries` set, written into the held lock (`fd`) and fsynced: the index
    /// is copied into `scratch`, changed there by libgit2 (which keeps every other entry and
    /// the extensions it knows), and its bytes written to the lock.
    private func writeIndex(into fd: Int32, lockPath: String, entries: [(path: String, blob: git_oid, mode: git_filemode_t)],
                            scratch: String) throws {
        let copy = scratch + "/index"
        let current = gitDir + "/index"
        if FileManager.default.fileExists(atPath: current) {
            try FileManager.default.copyItem(atPath: current, toPath: copy)
        }
        var index: OpaquePointer?
        try check(git_index_open(&index, copy), "read the index")
        defer { git_index_free(index) }
        let workdir = self.workdir ?? ""
        for e in entries { try setEntry(index, path: e.path, blob: e.blob, mode: e.mode, full: workdir + "/" + e.path) }
        try check(git_index_write(index), "write the new index")
        guard let bytes = FileManager.default.contents(atPath: copy) else { throw GitError(operation: "read \(copy)", code: -1, message: "cannot read") }
        let ok: Bool = Descriptor.writeAll(fd, bytes) && fsync(fd) == 0
        guard ok else { throw GitError(operation: "write \(lockPath)", code: -1, message: String(cString: strerror(errno))) }
    }

    /// Sets one index entry to `blob`, with the working file's stat data.
    private func setEntry(_ index: OpaquePointer?, path: String, blob: git_oid, mode: git_filemode_t, full: String) throws {
        var st = stat()
        try path.withCString { cpath in
            var e = git_index_entry()
            e.id = blob
            e.mode = mode.rawValue
            e.path = cpath
            if lstat(full, &st) == 0 {
                e.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: st.st_ctim.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: st.st_ctim.tv_nsec))
                e.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: st.st_mtim.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: st.st_mtim.tv_nsec))
                e.dev = UInt32(truncatingIfNeeded: st.st_dev); e.ino = UInt32(truncatingIfNeeded: st.st_ino)
                e.uid = st.st_uid; e.gid = st.st_gid; e.file_size = UInt32(truncatingIfNeeded: st.st_size)
            }
            try check(git_index_add(index, &e), "stage \(path)")
        }
    }

    private func makeSignoffObject(_ preflight: SignoffPreflight, path: String, contents: Data, message: String, at time: Date,
                                   validationFiles: [(path: String, contents: Data)],
                                   sign: ((Data) throws(CommitSignerError) -> String)?) throws -> UnpublishedSignoff {
        let who = try committerIdentity()
        let parent = try lookupCommit(preflight.head)
        defer { git_commit_free(parent) }

        // The same tree `signoffTree` gives (and that a timestamp token, if any, stamped).
        try requireChange(preflight, path: path, contents: contents)
        let ids = try signoffTree(head: preflight.head, path: path, contents: contents)
        var newTree = try tree(ids.tree, adding: validationFiles).oid
        var treeObj: OpaquePointer?
        try check(git_tree_lookup(&treeObj, pointer, &newTree), "read the new tree")
        defer { git_tree_free(treeObj) }

        var sig: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&sig, who.name, who.email, git_time_t(time.timeIntervalSince1970.rounded(.down)), 0),
                  "make the author line for \(who.name) <\(who.email)>")
        defer { git_signature_free(sig) }

        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        var parents: [OpaquePointer?] = [parent]
        let rc = parents.withUnsafeMutableBufferPointer { p in
            git_commit_create_buffer(&buf, pointer, sig, sig, nil, message, treeObj, 1, p.baseAddress)
        }
        try check(rc, "build the commit")
        let payload = Data(bytes: buf.ptr, count: buf.size)
        let signature = try sign?(payload)

        var commitID = git_oid()
        try check(git_commit_create_with_signature(&commitID, pointer, buf.ptr, signature, nil), "write the commit")
        return UnpublishedSignoff(preflight: preflight, id: ObjectID(commitID), path: path, blob: ids.blob,
                                  executable: ids.executable, subject: String(message.prefix { $0 != "\n" }), validationFiles: validationFiles)
    }
}
