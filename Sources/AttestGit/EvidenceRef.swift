import Foundation
import AttestCore
internal import CGit2

/// A quarter's sealed evidence in git (docs/evidence.md): the ref `refs/attest/evidence/YYYY-QN`
/// points at a commit whose tree holds the sealed blob `YYYY-QN.p7m` and the recipients'
/// certificates under `recipients/`. Each seal or reseal appends one commit (its parent is
/// the previous tip), so the ref's history shows who could read the evidence when.
public enum EvidenceRef {
    public static let prefix = "refs/attest/evidence/"
    public static func name(_ q: Quarter) -> String { prefix + q.description }
    public static func blobPath(_ q: Quarter) -> String { "\(q).p7m" }
    public static let recipientsFolder = "recipients"

    /// The quarter a ref name is for, or nil when it is not `refs/attest/evidence/YYYY-QN`.
    public static func quarter(ofRef ref: String) -> Quarter? {
        guard ref.hasPrefix(prefix) else { return nil }
        let rest = String(ref.dropFirst(prefix.count))
        guard let q = try? Quarter(parsing: rest), q.description == rest else { return nil }
        return q
    }
}

/// One commit of an evidence ref, read back.
public struct SealedEvidence: Sendable, Equatable {
    public let quarter: Quarter
    /// The evidence ref's commit.
    public let commit: ObjectID
    /// The sealed blob's object id, or nil when the commit's tree has no `YYYY-QN.p7m` blob.
    public let blob: ObjectID?
    /// `recipients/*.pem` in the commit's tree: file name and contents.
    public let recipients: [(name: String, pem: Data)]

    public static func == (a: SealedEvidence, b: SealedEvidence) -> Bool {
        a.quarter == b.quarter && a.commit == b.commit && a.blob == b.blob
            && a.recipients.map(\.name) == b.recipients.map(\.name) && a.recipients.map(\.pem) == b.recipients.map(\.pem)
    }
}

extension Repository {
    /// The commit `refs/attest/evidence/YYYY-QN` points at, or nil when there is no such ref.
    public func evidenceTip(_ q: Quarter) throws(GitError) -> ObjectID? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, pointer, EvidenceRef.name(q))
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "read \(EvidenceRef.name(q))")
        return ObjectID(oid)
    }

    /// What an evidence commit holds.
    public func sealedEvidence(_ q: Quarter, commit: ObjectID) throws(GitError) -> SealedEvidence {
        let blob = try blobID(at: EvidenceRef.blobPath(q), inCommit: commit)
        var recipients: [(String, Data)] = []
        let c = try lookupCommit(commit)
        defer { git_commit_free(c) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, c), "read the tree of \(commit.short)")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        if git_tree_entry_bypath(&entry, tree, EvidenceRef.recipientsFolder) == 0 {
            defer { git_tree_entry_free(entry) }
            var sub: OpaquePointer?
            if git_tree_entry_type(entry) == GIT_OBJECT_TREE, git_tree_lookup(&sub, pointer, git_tree_entry_id(entry)) == 0 {
                defer { git_tree_free(sub) }
                for i in 0..<git_tree_entrycount(sub) {
                    guard let e = git_tree_entry_byindex(sub, i), git_tree_entry_type(e) == GIT_OBJECT_BLOB else { continue }
                    let name = String(cString: git_tree_entry_name(e))
                    let (_, bytes) = try readObject(ObjectID(git_tree_entry_id(e)!.pointee))
                    recipients.append((name, Data(bytes)))
                }
            }
        }
        return SealedEvidence(quarter: q, commit: commit, blob: blob, recipients: recipients)
    }

    /// The evidence ref's commits, newest first (first parents only).
    public func evidenceHistory(_ q: Quarter) throws(GitError) -> [ObjectID] {
        guard var at = try evidenceTip(q) else { return [] }
        var out = [at]
        while let parent = try commitLinks(at).parents.first, out.count < 10_000 {
            out.append(parent)
            at = parent
        }
        return out
    }

    /// The bytes of a blob (a sealed archive), or nil when it is not in the object store.
    public func blobData(_ id: ObjectID) throws(GitError) -> Data? {
        guard contains(id) else { return nil }
        let (type, bytes) = try readObject(id)
        guard type == "blob" else { throw GitError(operation: "read blob \(id.short)", code: -1, message: "object is a \(type), not a blob") }
        return Data(bytes)
    }

    /// The git object id `sealed` will have as a blob (`git hash-object`), without writing it.
    public func blobID(of data: Data) throws(GitError) -> ObjectID {
        var oid = git_oid()
        try check(data.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }, "hash a blob")
        return ObjectID(oid)
    }

    /// Writes (without moving any ref) the next commit of the quarter's evidence ref: a tree
    /// with `YYYY-QN.p7m` = `sealed` and `recipients/NAME` = each certificate, parent `parent`
    /// (the current tip, nil for the first), author and committer `user.name <user.email>` at
    /// `time`, signed by `sign` when given. Move the ref with `moveEvidenceRef`.
    public func writeEvidenceCommit(_ q: Quarter, sealed: Data, recipients: [(name: String, pem: Data)], parent: ObjectID?,
                                    message: String, at time: Date,
                                    sign: ((Data) throws(CommitSignerError) -> String)?) throws(EvidenceRefError) -> SealedEvidence {
        do {
            let who = try committerIdentity()
            func blob(_ data: Data) throws(GitError) -> git_oid {
                var oid = git_oid()
                try check(data.withUnsafeBytes { git_blob_create_from_buffer(&oid, pointer, $0.baseAddress, $0.count) }, "write a blob")
                return oid
            }
            var sub: OpaquePointer?
            try check(git_treebuilder_new(&sub, pointer, nil), "build the recipients tree")
            defer { git_treebuilder_free(sub) }
            for r in recipients {
                try TarArchiveName.check(r.name)
                var id = try blob(r.pem)
                try check(git_treebuilder_insert(nil, sub, r.name, &id, GIT_FILEMODE_BLOB), "add recipients/\(r.name)")
            }
            var subID = git_oid()
            try check(git_treebuilder_write(&subID, sub), "write the recipients tree")
            var root: OpaquePointer?
            try check(git_treebuilder_new(&root, pointer, nil), "build the evidence tree")
            defer { git_treebuilder_free(root) }
            var blobOID = try blob(sealed)
            try check(git_treebuilder_insert(nil, root, EvidenceRef.blobPath(q), &blobOID, GIT_FILEMODE_BLOB), "add \(EvidenceRef.blobPath(q))")
            if !recipients.isEmpty {
                try check(git_treebuilder_insert(nil, root, EvidenceRef.recipientsFolder, &subID, GIT_FILEMODE_TREE), "add recipients/")
            }
            var treeID = git_oid()
            try check(git_treebuilder_write(&treeID, root), "write the evidence tree")
            var tree: OpaquePointer?
            try check(git_tree_lookup(&tree, pointer, &treeID), "read the evidence tree")
            defer { git_tree_free(tree) }

            var sig: UnsafeMutablePointer<git_signature>?
            try check(git_signature_new(&sig, who.name, who.email, git_time_t(time.timeIntervalSince1970.rounded(.down)), 0),
                      "make the author line for \(who.name) <\(who.email)>")
            defer { git_signature_free(sig) }
            var parents: [OpaquePointer?] = []
            if let parent { parents.append(try lookupCommit(parent)) }
            defer { parents.forEach { git_commit_free($0) } }
            var buf = git_buf()
            defer { git_buf_dispose(&buf) }
            let rc = parents.withUnsafeMutableBufferPointer { p in
                git_commit_create_buffer(&buf, pointer, sig, sig, nil, message, tree, p.count, p.baseAddress)
            }
            try check(rc, "build the evidence commit")
            let payload = Data(bytes: buf.ptr, count: buf.size)
            let signature = try sign?(payload)
            var commitID = git_oid()
            try check(git_commit_create_with_signature(&commitID, pointer, buf.ptr, signature, nil), "write the evidence commit")
            return SealedEvidence(quarter: q, commit: ObjectID(commitID), blob: ObjectID(blobOID), recipients: recipients)
        } catch let e as EvidenceRefError { throw e } catch let e as SignoffWriterError {
            throw .identity(e)
        } catch let e as CommitSignerError {
            throw .signing(e)
        } catch let e as GitError {
            throw .git(e)
        } catch {
            throw .git(GitError(operation: "write the evidence commit", code: -1, message: "\(error)"))
        }
    }

    /// Moves `refs/attest/evidence/YYYY-QN` from `expected` (nil: the ref must not exist) to
    /// `commit` by compare-and-swap; refused, with nothing moved, when the ref is elsewhere.
    public func moveEvidenceRef(_ q: Quarter, to commit: ObjectID, from expected: ObjectID?, reason: String) throws(EvidenceRefError) {
        let name = EvidenceRef.name(q)
        var target = commit.oid
        var ref: OpaquePointer?
        let rc: Int32
        if var old = expected?.oid {
            rc = git_reference_create_matching(&ref, pointer, name, &target, 1, &old, reason)
        } else {
            rc = git_reference_create(&ref, pointer, name, &target, 0, reason)
        }
        if rc == GIT_EMODIFIED.rawValue || rc == GIT_ELOCKED.rawValue || rc == GIT_EEXISTS.rawValue {
            throw .refMoved(ref: name, expected: expected, now: (try? evidenceTip(q)) ?? nil)
        }
        do { try check(rc, "move \(name)") } catch { throw .git(error) }
        git_reference_free(ref)
    }

    /// Deletes `refs/attest/evidence/YYYY-QN` if it still points at `expected`.
    public func deleteEvidenceRef(_ q: Quarter, expected: ObjectID) throws(EvidenceRefError) {
        let name = EvidenceRef.name(q)
        var ref: OpaquePointer?
        do {
            try check(git_reference_lookup(&ref, pointer, name), "read \(name)")
            defer { git_reference_free(ref) }
            guard let t = git_reference_target(ref), ObjectID(t.pointee) == expected else {
                throw EvidenceRefError.deleteRefused(ref: name, expected: expected)
            }
            try check(git_reference_delete(ref), "delete \(name)")
        } catch let e as EvidenceRefError { throw e } catch let e as GitError {
            throw .git(e)
        } catch {
            throw .git(GitError(operation: "delete \(name)", code: -1, message: "\(error)"))
        }
    }
}

/// Names inside an evidence tree: one plain component.
enum TarArchiveName {
    static func check(_ name: String) throws(EvidenceRefError) {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw .notPlainName(name)
        }
    }
}
