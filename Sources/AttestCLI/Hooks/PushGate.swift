import Foundation
import AttestCore
import AttestGit

/// The push gate shared by the pre-push, pre-receive and update hooks.
///
/// The commits pushed are those reachable from the new tips and not from the old tips (nor
/// from `alsoHide`: the remote-tracking refs on the client, every existing ref on the server).
/// A commit that neither touches the attestation folder (same subtree id as its parents) nor
/// mentions attest in its message is accepted after that one comparison. The others are
/// judged by `SignoffRules`: a new sign-off passes every verify rule and is not older than
/// `hook.maxSignoffAgeHours`; a change to an already-signed file needs `Attest-Amends`; a
/// deletion of one is refused; no committer date lies in the future.
struct PushGate {
    let repository: Repository
    let policy: Policy
    let now: Date
    let inspector: SignoffInspector

    init(repository: Repository, policy: Policy, now: Date, allowedSigners: AllowedSigners?, gpgProgram: String) {
        self.repository = repository; self.policy = policy; self.now = now
        inspector = SignoffInspector(repository: repository, policy: policy, allowedSigners: allowedSigners, gpgProgram: gpgProgram)
    }

    struct Rejection: Sendable {
        let commit: ObjectID
        let violation: RuleViolation
        var line: String {
            "commit \(commit.short)\(violation.file.map { " \($0)" } ?? ""): \(violation.line)"
        }
    }

    struct Outcome {
        var pushed = 0
        var examined = 0
        var rejections: [Rejection] = []
        /// The pushed commits whose message mentions attest, newest first (the evidence gate
        /// reads only these, so a push is walked once).
        var mentioningAttest: [ObjectID] = []
    }

    func check(_ updates: [HookInput.RefUpdate], alsoHide: [ObjectID]) throws(AttestError) -> Outcome {
        let tips = updates.filter { !$0.isDeletion }.map(\.new)
        let hide = updates.map(\.old).filter { !$0.isZero } + alsoHide
        for t in tips where !repository.contains(t) {
            throw .environment("pushed commit \(t.short) is not in the object store; is GIT_DIR/GIT_OBJECT_DIRECTORY set as git sets it for hooks?")
        }
        var out = Outcome()
        var suspects: [(id: ObjectID, mentionsAttest: Bool)] = []
        // The fast path reads each commit and root tree once and compares ids, as git rev-list
        // does: no re-hashing of each object read, no object cache. Everything judged below is
        // read with both back on.
        Repository.setStrictHashVerification(false)
        Repository.setObjectCaching(false)
        defer { Repository.setStrictHashVerification(true); Repository.setObjectCaching(true) }
        do {
            var walk = try PushWalk(repository: repository, folder: policy.attestationFolder)
            for c in try walk.run(tips: tips, hiding: hide) {
                out.pushed += 1
                if c.mentionsAttest { out.mentioningAttest.append(c.id) }
                if c.mentionsAttest || c.touchesFolder { suspects.append((c.id, c.mentionsAttest)) }
            }
        } catch {
            throw .environment("cannot walk the pushed commits: \(error.description); \(Self.unreadableRemedy)")
        }
        Repository.setStrictHashVerification(true)
        Repository.setObjectCaching(true)
        if suspects.isEmpty { return out }
        let tracker: FolderTracker
        do { tracker = try FolderTracker(repository: repository, folder: policy.attestationFolder) } catch {
            throw .environment("cannot read the pushed commits: \(error.description); \(Self.unreadableRemedy)")
        }

        var history = SignedHistory(repository: repository, tracker: tracker, tips: tips)
        for (id, mentions) in suspects.reversed() {
            out.examined += 1
            out.rejections += try judge(id, mentionsAttest: mentions, tracker: tracker, history: &history)
        }
        return out
    }

    /// `mentionsAttest` is the walk's reading of the message: a message without `Attest-` or
    /// "attestation sign-off" is neither a sign-off nor an amendment (`SignoffClaim` needs one
    /// of them), so its trailers are not parsed.
    private func judge(_ id: ObjectID, mentionsAttest: Bool, tracker: FolderTracker, history: inout SignedHistory) throws(AttestError) -> [Rejection] {
        let raw = try inspector.commit(id)
        var found: [RuleViolation] = []
        let isSignoff = mentionsAttest && SignoffClaim(message: raw.message) != nil
        let amends = mentionsAttest ? SignoffClaim.amends(in: raw.message) : nil
        let changes: [FolderTracker.Change]
        do { changes = try folderChanges(raw, tracker: tracker) } catch { throw .environment("cannot compare \(policy.attestationFolder) in \(id.short): \(error.message)") }
        for change in changes where Self.isAttestationFile(change.path, folder: policy.attestationFolder) {
            let signedBy = try history.signOffs(of: change.path, reachableFrom: raw.parents)
            if let v = SignoffRules.amendment(path: change.path, deleted: change.kind == .deleted, signedBy: signedBy.map(\.hex), amends: amends) {
                found.append(v)
            }
        }
        if isSignoff {
            // The policy in force when it was signed, tightened by the hook's own (a push is judged now).
            let inForce = SignoffRules.policyInForce(parent: try SignoffInspector.policyInForce(for: raw, repository: repository, overrides: []), own: policy)
            let report = SignoffRules.check(try inspector.facts(raw, now: now, evidenceFolder: nil), policy: inForce)
            let file = report.trailers?.documentPath
            found += report.violations.map { RuleViolation(rule: $0.rule, message: $0.message, remedy: $0.remedy, file: $0.file ?? file) }
            if let v = SignoffRules.pushAge(committerDate: raw.committer.date, now: now, policy: policy) {
                found.append(RuleViolation(rule: v.rule, message: v.message, remedy: v.remedy, file: file))
            }
        } else if !changes.isEmpty, let v = SignoffRules.future(committerDate: raw.committer.date, now: now, policy: policy) {
            found.append(RuleViolation(rule: v.rule, message: v.message, remedy: v.remedy, file: changes.first?.path))
        }
        return found.map { Rejection(commit: id, violation: $0) }
    }

    /// The files under the folder that this commit changes: against its only parent, or for a
    /// merge, those that differ from every parent (a file taken unchanged from one side is not
    /// a change of the merge, as `git log` sees it).
    private func folderChanges(_ raw: RawCommit, tracker: FolderTracker) throws(GitError) -> [FolderTracker.Change] {
        guard let first = raw.parents.first else { return try tracker.changes(from: nil, to: raw.id) }
        var changes = try tracker.changes(from: repository.contains(first) ? first : nil, to: raw.id)
        for p in raw.parents.dropFirst() where repository.contains(p) {
            if changes.isEmpty { break }
            let other = Set(try tracker.changes(from: p, to: raw.id).map(\.path))
            changes.removeAll { !other.contains($0.path) }
        }
        return changes
    }

    /// What to do when a commit the gate must read is not there or not readable.
    static let unreadableRemedy = "the push is refused until every pushed commit and its parents can be read: check the object store with 'git fsck', or fetch the missing history ('git fetch --unshallow' in a shallow clone)"

    /// `docs/attestation-log/2026-Q4.md`: a quarter's file directly in the folder.
    static func isAttestationFile(_ path: String, folder: String) -> Bool {
        guard path.hasPrefix(folder + "/") else { return false }
        let name = path.dropFirst(folder.count + 1)
        guard name.hasSuffix(".md"), !name.contains("/") else { return false }
        return (try? Quarter(parsing: String(name.dropLast(3)))) != nil
    }
}

/// The sign-off commits of history, found once per push and only when a pushed commit
/// touches the folder: which attestation files were already signed, and by which commits.
struct SignedHistory {
    let repository: Repository
    let tracker: FolderTracker
    /// The pushed tips: every pushed commit's parents are reachable from them.
    let tips: [ObjectID]
    private var index: [(id: ObjectID, path: String)]?

    init(repository: Repository, tracker: FolderTracker, tips: [ObjectID]) {
        self.repository = repository; self.tracker = tracker; self.tips = tips
    }

    mutating func signOffs(of path: String, reachableFrom parents: [ObjectID]) throws(AttestError) -> [ObjectID] {
        let starts = parents.filter { repository.contains($0) }
        if starts.isEmpty { return [] }
        if index == nil { index = try build(from: tips) }
        return index!.filter { entry in entry.path == path && starts.contains { repository.isAncestor(entry.id, of: $0) } }.map(\.id)
    }

    private func build(from starts: [ObjectID]) throws(AttestError) -> [(id: ObjectID, path: String)] {
        var out: [(ObjectID, String)] = []
        do {
            try repository.walk(from: starts, hiding: []) { id throws(GitError) in
                let e = try tracker.examine(id)
                guard e.mentionsAttest, e.touches else { return true }
                let message = try repository.rawCommit(id).message
                if SignoffClaim(message: message) != nil, let p = SignoffRules.documentPath(in: message) { out.append((id, p)) }
                return true
            }
        } catch { throw .environment("cannot walk history for signed files: \(error.description); \(PushGate.unreadableRemedy)") }
        return out
    }
}
