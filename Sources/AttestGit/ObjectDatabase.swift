import Foundation
internal import CGit2

/// The repository's object database, read raw: no parsed `git_commit` or `git_tree` objects
/// are built, which keeps the push hook's fast path close to what `git rev-list` does.
/// The handle is owned here and freed in `deinit`.
final class ObjectDatabase {
    let pointer: OpaquePointer

    init(_ repository: Repository) throws(GitError) {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, repository.pointer), "open the object database")
        pointer = odb!
    }
    deinit { git_odb_free(pointer) }

    /// Calls `body` with the object's type and bytes, valid only during the call.
    func withObject<T>(_ id: ObjectID, _ body: (git_object_t, UnsafeRawBufferPointer) -> T) throws(GitError) -> T {
        var obj: OpaquePointer?
        var oid = id.oid
        try check(git_odb_read(&obj, pointer, &oid), "read object \(id.short)")
        defer { git_odb_object_free(obj) }
        return body(git_odb_object_type(obj), UnsafeRawBufferPointer(start: git_odb_object_data(obj), count: git_odb_object_size(obj)))
    }

    /// A commit's tree and parents from its header lines, and whether its message mentions
    /// attest (`Attest-` or `attestation sign-off`).
    func commitLinks(_ id: ObjectID) throws(GitError) -> (tree: ObjectID, parents: [ObjectID], mentionsAttest: Bool)? {
        try commitHeader(id).map { ($0.tree, $0.parents, $0.mentions) }
    }

    /// The same, with the committer time (seconds since the epoch; 0 when unreadable).
    func commitHeader(_ id: ObjectID) throws(GitError) -> (tree: ObjectID, parents: [ObjectID], time: Int64, mentions: Bool)? {
        try withObject(id) { type, b in
            guard type == GIT_OBJECT_COMMIT else { return nil }
            var tree: ObjectID?
            var parents: [ObjectID] = []
            var time: Int64 = 0
            var i = 0
            let n = b.count
            // Header lines until the blank line.
            while i < n {
                var end = i
                while end < n && b[end] != 0x0A { end += 1 }
                if end == i { i += 1; break }
                if end - i == 45, b[i] == 0x74, b[i + 1] == 0x72, b[i + 2] == 0x65, b[i + 3] == 0x65, b[i + 4] == 0x20 {
                    tree = Self.oid(b, i + 5)
                } else if end - i == 47, b[i] == 0x70, b[i + 1] == 0x61, b[i + 2] == 0x72, b[i + 6] == 0x20 {
                    if let p = Self.oid(b, i + 7) { parents.append(p) }
                } else if end - i > 10, b[i] == 0x63, b[i + 1] == 0x6F, b[i + 2] == 0x6D, b[i + 8] == 0x72, b[i + 9] == 0x20 {
                    // committer Name <email> 1700000000 +0000
                    var gt = end - 1
                    while gt > i && b[gt] != 0x3E { gt -= 1 }
                    var k = gt + 2
                    var t: Int64 = 0
                    while k < end, b[k] >= 0x30, b[k] <= 0x39, t < 1 << 40 { t = t * 10 + Int64(b[k] - 0x30); k += 1 }
                    time = t
                }
                i = end + 1
            }
            guard let tree else { return nil }
            let body = UnsafeRawBufferPointer(rebasing: b[min(i, n)...])
            return (tree, parents, time, Self.contains(body, "Attest-") || Self.contains(body, "attestation sign-off"))
        }
    }

    /// The id of the subtree `name` in a tree, read from the raw tree entries
    /// (`<mode> SP <name> NUL <20 bytes>`); nil when absent or not a tree.
    func childTree(_ tree: ObjectID, _ name: [UInt8]) throws(GitError) -> ObjectID? {
        try withObject(tree) { (type, b) -> ObjectID? in
            guard type == GIT_OBJECT_TREE else { return nil }
            var i = 0
            let n = b.count
            while i < n {
                var sp = i
                while sp < n && b[sp] != 0x20 { sp += 1 }
                var nul = sp + 1
                while nul < n && b[nul] != 0 { nul += 1 }
                guard sp < n, nul + 21 <= n else { return nil }
                let isTree = sp - i == 5 && b[i] == 0x34  // "40000"
                if isTree && nul - sp - 1 == name.count && name.withUnsafeBytes({ memcmp($0.baseAddress!, b.baseAddress! + sp + 1, name.count) == 0 }) {
                    var oid = git_oid()
                    withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[(nul + 1)..<(nul + 21)])) }
                    return ObjectID(oid)
                }
                i = nul + 21
            }
            return nil
        }
    }

    private static func oid(_ b: UnsafeRawBufferPointer, _ at: Int) -> ObjectID? {
        var o = git_oid()
        let ok = git_oid_fromstrn(&o, b.baseAddress!.advanced(by: at).assumingMemoryBound(to: CChar.self), 40) == 0
        return ok ? ObjectID(o) : nil
    }

    private static func contains(_ hay: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let m = needle.utf8CodeUnitCount
        guard hay.count >= m, let base = hay.baseAddress else { return false }
        let first = needle.utf8Start.pointee
        var i = 0
        while i <= hay.count - m {
            guard let hit = memchr(base + i, Int32(first), hay.count - m - i + 1) else { return false }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle.utf8Start, m) == 0 { return true }
            i = at + 1
        }
        return false
    }
}

extension Repository {
    /// libgit2 re-hashes every object it reads unless told otherwise. `git rev-list` does
    /// not; the push hook's fast path turns it off while it only compares ids, and back on
    /// before reading anything it judges. Process-wide.
    public static func setStrictHashVerification(_ enabled: Bool) {
        _ = libgit2Initialized
        _ = attest_git_opt_strict_hash_verification(enabled ? 1 : 0)
    }

    /// libgit2's object cache; the fast path reads each object once, so caching it only costs
    /// memory and the time to free it. Process-wide.
    public static func setObjectCaching(_ enabled: Bool) {
        _ = libgit2Initialized
        _ = attest_git_opt_enable_caching(enabled ? 1 : 0)
    }
}
