import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification

/// The push gate's rules for sealed evidence (docs/evidence.md), beside `PushGate`:
///
/// - an update of `refs/attest/evidence/YYYY-QN` must append (the new commit descends from
///   the old); a deletion is refused until `evidence.retentionYears` after the quarter's hard
///   close; any other name under `refs/attest/evidence/` is refused;
/// - a pushed sign-off whose `Attest-Sealed-Evidence` names a blob needs that quarter's
///   evidence ref in the same push or already on the remote (pre-push, which says the exact
///   `git push` that sends both), and on the server the blob in the object store after the
///   push with the ref there or arriving (pre-receive, update).
public struct EvidenceGate {
    public let repository: AttestGit.Repository
    public let policy: Policy
    public let now: Date
    public let environment: [String: String]
    /// Judges the signatures of evidence commits and disposition records as sign-offs are (the
    /// push gate's: the server's allowed signers and policy).
    public let inspector: SignoffInspector

    public init(repository: AttestGit.Repository, policy: Policy, now: Date, environment: [String: String], inspector: SignoffInspector) {
        self.repository = repository
        self.policy = policy
        self.now = now
        self.environment = environment
        self.inspector = inspector
    }

    /// One refusal line per problem; empty when the push may go on.
    /// `mentioningAttest`: the pushed commits whose message mentions attest (`PushGate.Outcome`);
    /// `remote` is the pre-push remote (nil on the server). `push`: every update of the push, when
    /// `updates` is only the part judged under this policy (the server groups updates by the
    /// policy that judges them): a disposition record or a sealed ref may come in another part.
    public func check(_ updates: [HookInput.RefUpdate], push: [HookInput.RefUpdate]? = nil, mentioningAttest: [ObjectID], remote: String?) throws(EvidenceVaultError) -> [String] {
        let push = push ?? updates
        var out: [String] = []
        let vault = EvidenceVault(repository: repository, root: repository.workdir ?? "", policy: policy, environment: environment)
        let evidenceInPush = Set(push.filter { !$0.isDeletion }.compactMap { EvidenceRef.quarter(ofRef: $0.ref) })
        for u in updates where u.ref.hasPrefix(EvidenceRef.prefix) {
            guard let q = EvidenceRef.quarter(ofRef: u.ref) else {
                out.append("\(u.ref): only refs/attest/evidence/YYYY-QN may be pushed under refs/attest/evidence/; push refused")
                continue
            }
            if u.isDeletion {
                let ends = vault.retentionEnds(q)
                if now < ends {
                    out.append("\(u.ref): deleting \(q)'s sealed evidence is refused until \(UTC.human(ends)) (evidence.retentionYears = \(policy.evidenceRetentionYears) from the hard close, runbook §5)")
                } else if let refusal = try dispositionRefusal(q, deleting: u, updates: push, remote: remote, vault: vault) {
                    out.append(refusal)
                }
                continue
            }
            if !u.old.isZero, repository.contains(u.old), !repository.isAncestor(u.old, of: u.new) {
                out.append("\(u.ref): \(u.new.short) does not descend from \(u.old.short); the evidence ref's history is append-only (reseal appends a commit), so a rewrite is refused")
            }
            // Every pushed evidence commit (a seal, each reseal) signed as a sign-off must be.
            var pushed: [ObjectID] = []
            do {
                try repository.walk(from: [u.new], hiding: u.old.isZero || !repository.contains(u.old) ? [] : [u.old]) { id throws(GitError) in
                    pushed.append(id); return true
                }
            } catch { throw .pushedCommitsUnreadable(ref: u.ref, error) }
            for p in try vault.signatureProblems(q, commits: pushed, inspector: inspector) {
                out.append("\(p); sign evidence commits as sign-offs are (git config commit.gpgSign true, with a key in \(policy.allowedSignersFile)) and reseal again")
            }
        }
        // Sign-offs in the pushed commits that name a sealed blob: among those the push gate's
        // walk found mentioning attest (one walk per push).
        guard updates.contains(where: { !$0.isDeletion && !$0.ref.hasPrefix(EvidenceRef.prefix) }) else { return out }
        var named: [(commit: ObjectID, quarter: Quarter, blob: ObjectID)] = []
        for id in mentioningAttest {
            let message: String
            do { message = try repository.rawCommit(id).message } catch {
                throw .pushedCommitUnreadable(id, error)
            }
            // Which quarter: the one definition of a sign-off's claim (SignoffClaim).
            if let b = Trailers.parse(message).last(where: { $0.key == EvidenceVault.sealedTrailer })?.value, let blob = ObjectID(hex: b),
               let q = SignoffClaim(message: message)?.quarter {
                named.append((id, q, blob))
            }
        }
        let branches = push.filter { !$0.isDeletion && !$0.ref.hasPrefix(EvidenceRef.prefix) }.map { $0.localRef ?? $0.ref }
        for n in named {
            let ref = EvidenceRef.name(n.quarter)
            if let remote {
                if evidenceInPush.contains(n.quarter) { continue }
                if try remoteHas(ref, remote: remote) { continue }
                let local = (try? repository.evidenceTip(n.quarter)) ?? nil
                let send = branches.map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 }.joined(separator: " ")
                out.append("commit \(n.commit.short): the \(n.quarter) sign-off names sealed evidence \(n.blob.short), but \(ref) is neither in this push nor on \(remote)" +
                           (local == nil ? " nor in this repository (seal it: attest evidence seal --quarter \(n.quarter))" : "") +
                           "; push both: git push \(remote) \(send) \(ref)")
            } else {
                let arriving = evidenceInPush.contains(n.quarter)
                let present = ((try? repository.evidenceTip(n.quarter)) ?? nil) != nil
                if !repository.contains(n.blob) || !(arriving || present) {
                    out.append("commit \(n.commit.short): the \(n.quarter) sign-off names sealed evidence \(n.blob.short), which is not on this server after the push (\(ref) \(arriving || present ? "lacks the blob" : "is missing")); push both: git push origin <branch> \(ref)")
                }
            }
        }
        return out
    }

    /// After the retention: a deletion of `q`'s evidence ref needs the disposition record that
    /// `attest evidence dispose` commits (`<attest.folder>/dispositions/YYYY-QN.md`), naming the
    /// ref's last commit, on a branch pushed with the deletion or already there (on the server
    /// its branches, on the client the remote's as last fetched), in a commit whose signature
    /// holds as a sign-off's must. nil when it is there; else the refusal.
    private func dispositionRefusal(_ q: Quarter, deleting u: HookInput.RefUpdate, updates: [HookInput.RefUpdate],
                                    remote: String?, vault: EvidenceVault) throws(EvidenceVaultError) -> String? {
        let path = vault.dispositionPath(q)
        let branchUpdates = updates.filter { !$0.ref.hasPrefix(EvidenceRef.prefix) && $0.ref.hasPrefix("refs/heads/") }
        var tips = branchUpdates.filter { !$0.isDeletion }.map(\.new)
        let glob = remote.map { "refs/remotes/\($0)/*" } ?? "refs/heads/*"
        let replaced = Set(branchUpdates.map(\.ref))
        tips += ((try? repository.references(glob: glob)) ?? []).filter { remote != nil || !replaced.contains($0.name) }.map(\.id)
        let push = "run 'attest evidence dispose --quarter \(q)' and push the branch with the deletion: git push \(remote ?? "origin") <branch> :\(u.ref)"
        var problems: [String] = []
        for tip in tips where repository.contains(tip) {
            guard let data = try? repository.blob(at: path, inCommit: tip) else { continue }
            let record = String(decoding: data, as: UTF8.self)
            guard u.old.isZero || record.contains("Evidence ref: \(u.ref), last commit \(u.old.hex)") else {
                problems.append("\(path) at \(tip.short) records another last commit of \(u.ref) than the one deleted (\(u.old.short))")
                continue
            }
            // The commit that recorded it: the newest one with Attest-Disposed: q and this blob.
            var recordedBy: ObjectID?
            do {
                try repository.walk(from: [tip], hiding: []) { id throws(GitError) in
                    guard try repository.messageMentionsAttest(id) else { return true }
                    let raw = try repository.rawCommit(id)
                    if EvidenceVault.trailer("Attest-Disposed", raw.message) == q.description, try repository.blob(at: path, inCommit: id) == data {
                        recordedBy = id; return false
                    }
                    return true
                }
            } catch { throw .historyUnreadable(tip: tip, path: path, error) }
            guard let by = recordedBy else {
                problems.append("\(path) at \(tip.short) was not committed by 'attest evidence dispose' (no commit with Attest-Disposed: \(q))")
                continue
            }
            guard let (_, why) = try vault.signatureViolation(by, inspector: inspector) else { return nil }
            problems.append("the disposition record's commit \(by.short): \(why)")
        }
        let found = problems.isEmpty ? "no pushed branch \(remote == nil ? "nor branch on this server" : "nor branch of \(remote!)") holds \(path)" : problems.joined(separator: "; ")
        return "\(u.ref): deleting \(q)'s sealed evidence after its retention needs its signed disposition record \(path), but \(found); \(push)"
    }

    /// `git ls-remote REMOTE REF` has the ref.
    private func remoteHas(_ ref: String, remote: String) throws(EvidenceVaultError) -> Bool {
        var env = environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        let r: Subprocess.Result
        do { r = try Subprocess.run("git", ["ls-remote", "--refs", remote, ref], environment: env) } catch { throw .remoteUnasked(error) }
        guard r.status == 0 else {
            throw .remoteRefused(remote: remote, ref: ref, reason: String(r.stderrText.split(separator: "\n").first ?? "failed"))
        }
        return r.stdoutText.contains("\t" + ref)
    }
}
