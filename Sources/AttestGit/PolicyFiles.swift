import Foundation
import AttestCore
internal import CGit2

/// The policy as committed, read from git (issue #15): `.attestconfig`, the allowed-signers
/// file, the TSA CA and the control-files folder at a commit, and whether a commit changes any
/// of them against a parent. The push hooks use it on every pushed commit, `audit` on history.
public final class PolicyFiles {
    public let repository: Repository
    /// `-c` settings, applied on top of `.attestconfig` at every commit.
    let overrides: [Policy.Entry]
    private var policies: [ObjectID?: Result<Policy, PolicyFilesError>] = [:]
    private var snapshots: [ObjectID: Result<PolicySnapshot, PolicyFilesError>] = [:]

    public init(repository: Repository, overrides: [Policy.Entry]) {
        self.repository = repository; self.overrides = overrides
    }

    /// The object id (blob or tree) at `path` in a commit's tree, nil when there is none.
    public func entryID(_ path: String, at commit: ObjectID) throws(GitError) -> ObjectID? {
        try repository.treeEntry(at: path, inCommit: commit)?.id
    }

    /// `.attestconfig` at a commit, then `-c`; an unreadable file is an error naming the commit.
    /// The one reading of the policy at a commit: verify, sign, status, the hooks and audit
    /// (through `policy(contents:displayName:overrides:)`) all come here.
    public func policy(at commit: ObjectID) throws(PolicyFilesError) -> Policy {
        let blob: ObjectID?
        do { blob = try entryID(".attestconfig", at: commit) } catch { throw .unreadable(path: ".attestconfig", commit: commit, reason: error.message) }
        if let cached = policies[blob] { return try cached.get() }
        let r: Result<Policy, PolicyFilesError>
        do {
            var bytes: Data?
            if let blob { bytes = Data(try repository.readObject(blob).bytes) }
            r = .success(try Self.policy(contents: bytes, displayName: ".attestconfig@\(commit.short)", overrides: overrides))
        } catch let e as AttestError { r = .failure(.invalidPolicy(commit: commit, e)) } catch let e as GitError {
            r = .failure(.malformedConfig(commit: commit, reason: e.message))
        } catch { r = .failure(.malformedConfig(commit: commit, reason: "\(error)")) }
        policies[blob] = r
        return try r.get()
    }

    /// A committed `.attestconfig`'s bytes (nil: there is none, the defaults), then `-c`. Throws
    /// `GitError` for a file git cannot parse and AttestCore's `AttestError.config` (naming
    /// `displayName:line`) for a key or value that is not policy; each caller says which file.
    public static func policy(contents: Data?, displayName: String, overrides: [Policy.Entry]) throws -> Policy {
        try Policy(entries: try entries(contents: contents, displayName: displayName) + overrides)
    }

    /// The settings of a committed `.attestconfig` (none when there is none), each with its origin
    /// as `displayName:line`.
    public static func entries(contents: Data?, displayName: String) throws(GitError) -> [Policy.Entry] {
        guard let contents else { return [] }
        return try ConfigFile.entries(contents: contents, displayName: displayName)
    }

    /// The paths whose content is policy under `p`.
    static func paths(_ p: Policy) -> [String] {
        [".attestconfig", p.allowedSignersFile, p.tsaCAFile, p.controlsFolder].filter { !$0.isEmpty }
    }

    /// Whether `commit` changes the policy against `parent`: `.attestconfig`, or the allowed
    /// signers, TSA CA or control files named by either side's policy. Cheap: object ids only.
    public func changesPolicy(_ commit: ObjectID, parent: ObjectID?) throws(PolicyFilesError) -> Bool {
        // A root commit starts a policy: nothing before it is changed.
        guard let parent else { return false }
        var paths = Set(Self.paths(try policy(at: commit)))
        paths.formUnion(Self.paths((try? policy(at: parent)) ?? Policy()))
        for p in paths where try id(p, commit) != id(p, parent) { return true }
        return false
    }

    private func id(_ path: String, _ commit: ObjectID) throws(PolicyFilesError) -> ObjectID? {
        do { return try entryID(path, at: commit) } catch { throw .unreadable(path: path, commit: commit, reason: error.message) }
    }

    /// Everything the rules take from the policy files at a commit.
    public func snapshot(at commit: ObjectID) throws(PolicyFilesError) -> PolicySnapshot {
        if let cached = snapshots[commit] { return try cached.get() }
        let r: Result<PolicySnapshot, PolicyFilesError>
        do { r = .success(try read(commit)) } catch { r = .failure(error) }
        snapshots[commit] = r
        return try r.get()
    }

    private func read(_ commit: ObjectID) throws(PolicyFilesError) -> PolicySnapshot {
        let p = try policy(at: commit)
        var signers: Set<String>?
        do {
            if let data = try repository.blob(at: p.allowedSignersFile, inCommit: commit) {
                signers = PolicySnapshot.grants(try AllowedSigners(parsing: String(decoding: data, as: UTF8.self), path: "\(p.allowedSignersFile)@\(commit.short)"))
            }
        } catch let e as AttestError { throw .invalidAllowedSigners(commit: commit, e) } catch { throw .unreadable(path: p.allowedSignersFile, commit: commit, reason: "\(error)") }
        let ca = p.tsaCAFile.isEmpty ? nil : try id(p.tsaCAFile, commit)?.hex
        var controls: Set<String> = []
        do { controls = try files(under: p.controlsFolder, at: commit) } catch { throw .unreadable(path: p.controlsFolder, commit: commit, reason: error.message) }
        return PolicySnapshot(policy: p, signers: signers, tsaCA: ca, controlFiles: controls)
    }

    /// The file names under a folder (recursively, relative to it), empty when there is none.
    func files(under folder: String, at commit: ObjectID) throws(GitError) -> Set<String> {
        guard let tree = try entryID(folder, at: commit) else { return [] }
        var out: Set<String> = []
        var stack: [(ObjectID, String)] = [(tree, "")]
        while let (id, prefix) = stack.popLast() {
            var t: OpaquePointer?
            var oid = id.oid
            guard git_tree_lookup(&t, repository.pointer, &oid) == 0 else { continue }  // a file, not a folder
            defer { git_tree_free(t) }
            for i in 0..<git_tree_entrycount(t) {
                guard let e = git_tree_entry_byindex(t, i) else { continue }
                let name = prefix + String(cString: git_tree_entry_name(e))
                if git_tree_entry_type(e) == GIT_OBJECT_TREE { stack.append((ObjectID(git_tree_entry_id(e)!.pointee), name + "/")) } else { out.insert(name) }
            }
        }
        return out
    }

    /// The policy changes a commit makes: against its parent, or for a merge, only what differs
    /// from every parent (a side's change is the side commit's); `weakens` holds when it is
    /// weaker than every parent.
    public func changes(_ commit: ObjectID, parents: [ObjectID]) throws(PolicyFilesError) -> [PolicyKeyChange] {
        let mine = try snapshot(at: commit)
        let known = parents.filter { repository.contains($0) }
        // A root commit starts a policy; there is nothing before it to weaken.
        guard let first = known.first else { return [] }
        var out = PolicyChanges.changes(from: try snapshot(at: first), to: mine)
        for p in known.dropFirst() {
            let other = PolicyChanges.changes(from: try snapshot(at: p), to: mine)
            out = out.compactMap { c in
                guard let o = other.first(where: { $0.key == c.key }) else { return nil }
                var k = c; k.weakens = c.weakens && o.weakens
                return k
            }
        }
        return out
    }
}

extension Repository {
    /// Sets a string in the repository's own configuration (`.git/config`, or `config` of a
    /// bare repository), as `git config KEY VALUE` does.
    public func setLocalConfig(_ name: String, _ value: String) throws(GitError) {
        var cfg: OpaquePointer?
        try check(git_repository_config(&cfg, pointer), "open the configuration of \(gitDir)")
        defer { git_config_free(cfg) }
        var local: OpaquePointer?
        try check(git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL), "open \(gitDir)/config")
        defer { git_config_free(local) }
        try check(git_config_set_string(local, name, value), "set \(name) in \(gitDir)/config")
    }
}
