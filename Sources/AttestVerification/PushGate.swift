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
public struct PushGate {
    public let repository: Repository
    public let policy: Policy
    public let now: Date
    public let inspector: SignoffInspector
    public let policyFiles: PolicyFiles

    public init(repository: Repository, policy: Policy, now: Date, allowedSigners: AllowedSigners?, gpgProgram: String) {
        self.repository = repository; self.policy = policy; self.now = now
        inspector = SignoffInspector(repository: repository, policy: policy, allowedSigners: allowedSigners, gpgProgram: gpgProgram)
        policyFiles = PolicyFiles(repository: repository, overrides: [])
    }

    public struct Rejection: Sendable {
        public let commit: ObjectID
        public let violation: RuleViolation
        public var line: String {
            "commit \(commit.short)\(violation.file.map { " \($0)" } ?? ""): \(violation.line)"
        }
    }

    public struct Outcome {
        public var pushed = 0
        public var examined = 0
        public var rejections: [Rejection] = []
        /// The pushed commits whose message mentions attest, newest first (the evidence gate
        /// reads only these, so a push is walked once).
        public var mentioningAttest: [ObjectID] = []
    }

    public func check(_ updates: [HookInput.RefUpdate], alsoHide: [ObjectID]) throws(VerificationError) -> Outcome {
        let tips = updates.filter { !$0.isDeletion }.map(\.new)
        let hide = updates.map(\.old).filter { !$0.isZero } + alsoHide
        for t in tips where !repository.contains(t) {
            throw .pushedCommitMissing(t)
        }
        var out = Outcome()
        var suspects: [(id: ObjectID, mentionsAttest: Bool, touchesPolicy: Bool)] = []
        // What the walk read of each suspect: folder ids and parent times, not read again.
        var read: [ObjectID: PushWalk.Commit] = [:]
        var changedTrees: [PushWalk.Commit] = []
        var walked: [ObjectID] = []
        // The fast path reads each commit and root tree once and compares ids, as git rev-list
        // does: no re-hashing of each object read, no object cache. Everything judged below is
        // read with both back on.
        Repository.setStrictHashVerification(false)
        Repository.setObjectCaching(false)
        defer { Repository.setStrictHashVerification(true); Repository.setObjectCaching(true) }
        do {
            var walk = try PushWalk(repository: repository, folder: policy.attestationFolder,
                                    policyPaths: [policy.allowedSignersFile, policy.tsaCAFile, policy.controlsFolder].filter { !$0.isEmpty })
            for c in try walk.run(tips: tips, hiding: hide) {
                out.pushed += 1
                walked.append(c.id)
                if c.mentionsAttest { out.mentioningAttest.append(c.id) }
                if c.mentionsAttest || c.touchesFolder { suspects.append((c.id, c.mentionsAttest, c.touchesPolicy)); read[c.id] = c } else if c.touchesPolicy { changedTrees.append(c) }
            }
        } catch {
            throw .pushUnreadable(what: "walk the pushed commits", cause: error.description)
        }
        Repository.setStrictHashVerification(true)
        Repository.setObjectCaching(true)
        // Every pushed commit that changes the policy (.attestconfig, the allowed signers, the
        // TSA CA, the control files) is judged too. The walk compared root entries; the paths
        // themselves are compared here, for those few commits only.
        for c in changedTrees {
            var touches = false
            for p in c.parents where !touches && repository.contains(p) {
                touches = try VerificationError.passing { try policyFiles.changesPolicy(c.id, parent: p) }
            }
            if touches { suspects.append((c.id, c.mentionsAttest, true)); read[c.id] = c }
        }
        if suspects.isEmpty { return out }
        // Newest first, as the walk found them.
        let order = Dictionary(walked.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        suspects.sort { order[$0.id, default: 0] < order[$1.id, default: 0] }
        let tracker: FolderTracker
        do { tracker = try FolderTracker(repository: repository, folder: policy.attestationFolder) } catch {
            throw .pushUnreadable(what: "read the pushed commits", cause: error.description)
        }
        for c in read.values {
            tracker.know(commit: c.id, folder: c.folder)
            for (p, f) in zip(c.parents, c.parentFolders) { tracker.know(commit: p, folder: f) }
        }

        var history = SignedHistory(repository: repository, tracker: tracker, tips: tips)
        for (id, mentions, policyRoots) in suspects.reversed() {
            out.examined += 1
            out.rejections += try judge(id, mentionsAttest: mentions, touchesPolicy: policyRoots, parentTimes: read[id]?.parentTimes ?? [],
                                        tracker: tracker, history: &history)
        }
        return out
    }

    /// `mentionsAttest` is the walk's reading of the message: a message without `Attest-` or
    /// "attestation sign-off" is neither a sign-off nor an amendment (`SignoffClaim` needs one
    /// of them), so its trailers are not parsed. `touchesPolicy` is the walk's comparison of the
    /// root entries that hold policy with the parents': when none differs, no policy file
    /// changed, and the policy files are not read (they are read through libgit2, hashed).
    /// `parentTimes` are the walk's committer times of the parents (nil: read here).
    private func judge(_ id: ObjectID, mentionsAttest: Bool, touchesPolicy: Bool, parentTimes: [Int64?], tracker: FolderTracker,
                       history: inout SignedHistory) throws(VerificationError) -> [Rejection] {
        let raw = try VerificationError.passing { try inspector.commit(id) }
        var found: [RuleViolation] = []
        let isSignoff = mentionsAttest && SignoffClaim(message: raw.message) != nil
        let amends = mentionsAttest ? SignoffClaim.amends(in: raw.message) : nil
        let changes: [(change: FolderTracker.Change, against: [ObjectID])]
        do { changes = try folderChanges(raw, tracker: tracker) } catch { throw .unreadable(what: "compare \(policy.attestationFolder) in \(id.short)", cause: error.message) }
        for (change, against) in changes where Self.isAttestationFile(change.path, folder: policy.attestationFolder) {
            // A change of what a sign-off signed: the file differs from a parent on the sign-off's
            // line (the sign-off or a descendant of it), and no parent on that line has it as the
            // commit does (a merge bringing an amendment in along the line is not a new change).
            let signedBy = try history.signOffs(of: change.path, reachableFrom: raw.parents).filter { s in
                let line = raw.parents.filter { repository.contains($0) && repository.isAncestor(s, of: $0) }
                return line.contains(where: against.contains) && line.allSatisfy(against.contains)
            }
            if let v = SignoffRules.amendment(path: change.path, deleted: change.kind == .deleted, signedBy: signedBy.map(\.hex), amends: amends) {
                found.append(v)
            }
        }
        // The policy by history: a weakening names itself; its date is not set back.
        var policyChanges: [PolicyKeyChange] = []
        if touchesPolicy || raw.parents.isEmpty { do { policyChanges = try policyFiles.changes(id, parents: raw.parents) } catch {
            if error.isUnreadable { throw .policyFiles(error) }
            policyChanges = []
            found.append(RuleViolation(rule: "policy-unreadable", message: error.description, remedy: "commit a .attestconfig that 'attest -c' accepts (see 'attest help config'), and an allowed-signers file in OpenSSH format", file: ".attestconfig"))
        } }
        if !policyChanges.isEmpty, let v = PolicyChanges.violation(PolicyChanges.unnamed(policyChanges, message: raw.message),
                                                                  policy: (try? policyFiles.policy(at: id)) ?? policy) { found.append(v) }
        // An amendment is judged like a sign-off, by the same judge: signature, window, and
        // every trailer well formed, exactly once (it carries Attest-Amends besides them).
        if isSignoff || amends != nil {
            // The policy in force when it was signed, tightened by the hook's own (a push is judged now).
            let (atSigning, facts) = try VerificationError.passing {
                (try SignoffInspector.policyInForce(for: raw, repository: repository, overrides: []), try inspector.facts(raw, now: now, evidenceFolder: nil))
            }
            let inForce = SignoffRules.policyInForce(parent: atSigning, own: policy)
            let report = SignoffRules.check(facts, policy: inForce)
            let file = report.trailers?.documentPath
            found += report.violations.map { RuleViolation(rule: $0.rule, message: $0.message, remedy: $0.remedy, file: $0.file ?? file) }
            if let v = SignoffRules.pushAge(committerDate: raw.committer.date, now: now, policy: policy) {
                found.append(RuleViolation(rule: v.rule, message: v.message, remedy: v.remedy, file: file))
            }
        } else if !changes.isEmpty || !policyChanges.isEmpty {
            let file = changes.first?.change.path ?? ".attestconfig"
            if let v = SignoffRules.future(committerDate: raw.committer.date, now: now, policy: policy) {
                found.append(RuleViolation(rule: v.rule, message: v.message, remedy: v.remedy, file: file))
            }
            // A sign-off's own order is the judge's committer-order rule.
            var parentDates: [Date] = []
            for (k, p) in raw.parents.enumerated() where repository.contains(p) {
                if k < parentTimes.count, let t = parentTimes[k] { parentDates.append(Date(timeIntervalSince1970: TimeInterval(t))) } else {
                    parentDates.append(try VerificationError.passing { try inspector.commit(p) }.committer.date)
                }
            }
            if let v = PolicyChanges.committerOrder(committerDate: raw.committer.date, parentDates: parentDates) {
                found.append(RuleViolation(rule: v.rule, message: v.message, remedy: v.remedy, file: file))
            }
        }
        return found.map { Rejection(commit: id, violation: $0) }
    }

    /// The files under the folder that this commit changes, each with the parents it differs
    /// from. A merge changes a file against a parent even when it takes it unchanged from
    /// another: what matters is the line of history a sign-off is on (audit's "changes the
    /// line of"), so a merge that swaps a signed file for a side branch's is a change of it.
    private func folderChanges(_ raw: RawCommit, tracker: FolderTracker) throws(GitError) -> [(change: FolderTracker.Change, against: [ObjectID])] {
        guard !raw.parents.isEmpty else { return try tracker.changes(from: nil, to: raw.id).map { ($0, []) } }
        var out: [(change: FolderTracker.Change, against: [ObjectID])] = []
        // By path, so a merge against a far-behind parent (hundreds of changed files) costs one
        // look-up per file, not a scan of the list.
        var index: [String: Int] = [:]
        for p in raw.parents {
            let present = repository.contains(p)
            for c in try tracker.changes(from: present ? p : nil, to: raw.id) {
                if let i = index[c.path] { if present { out[i].against.append(p) } }
                else { index[c.path] = out.count; out.append((c, present ? [p] : [])) }
            }
        }
        return out
    }

    /// `docs/attestation-log/2026-Q4.md`: a quarter's file directly in the folder.
    public static func isAttestationFile(_ path: String, folder: String) -> Bool {
        guard path.hasPrefix(folder + "/") else { return false }
        let name = path.dropFirst(folder.count + 1)
        guard name.hasSuffix(".md"), !name.contains("/") else { return false }
        return (try? Quarter(parsing: String(name.dropLast(3)))) != nil
    }
}

/// The sign-off commits of history, found once per push and only when a pushed commit
/// touches the folder: which attestation files were already signed, and by which commits.
public struct SignedHistory {
    public let repository: Repository
    public let tracker: FolderTracker
    /// The pushed tips: every pushed commit's parents are reachable from them.
    public let tips: [ObjectID]
    private var index: [(id: ObjectID, path: String)]?

    public init(repository: Repository, tracker: FolderTracker, tips: [ObjectID]) {
        self.repository = repository; self.tracker = tracker; self.tips = tips
    }

    public mutating func signOffs(of path: String, reachableFrom parents: [ObjectID]) throws(VerificationError) -> [ObjectID] {
        let starts = parents.filter { repository.contains($0) }
        if starts.isEmpty { return [] }
        if index == nil { index = try build(from: tips) }
        return index!.filter { entry in entry.path == path && starts.contains { repository.isAncestor(entry.id, of: $0) } }.map(\.id)
    }

    private func build(from starts: [ObjectID]) throws(VerificationError) -> [(id: ObjectID, path: String)] {
        var out: [(ObjectID, String)] = []
        do {
            try repository.walk(from: starts, hiding: []) { id throws(GitError) in
                let e = try tracker.examine(id)
                guard e.mentionsAttest, e.touches else { return true }
                let message = try repository.rawCommit(id).message
                if SignoffClaim(message: message) != nil, let p = SignoffRules.documentPath(in: message) { out.append((id, p)) }
                return true
            }
        } catch { throw .pushUnreadable(what: "walk history for signed files", cause: error.description) }
        return out
    }
}
