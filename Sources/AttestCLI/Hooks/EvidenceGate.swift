import Foundation
import AttestCore
import AttestGit

/// The push gate's rules for sealed evidence (docs/evidence.md), beside `PushGate`:
///
/// - an update of `refs/attest/evidence/YYYY-QN` must append (the new commit descends from
///   the old); a deletion is refused until `evidence.retentionYears` after the quarter's hard
///   close; any other name under `refs/attest/evidence/` is refused;
/// - a pushed sign-off whose `Attest-Sealed-Evidence` names a blob needs that quarter's
///   evidence ref in the same push or already on the remote (pre-push, which says the exact
///   `git push` that sends both), and on the server the blob in the object store after the
///   push with the ref there or arriving (pre-receive, update).
struct EvidenceGate {
    let repository: AttestGit.Repository
    let policy: Policy
    let now: Date
    let environment: [String: String]

    /// One refusal line per problem; empty when the push may go on.
    /// `mentioningAttest`: the pushed commits whose message mentions attest (`PushGate.Outcome`);
    /// `remote` is the pre-push remote (nil on the server).
    func check(_ updates: [HookInput.RefUpdate], mentioningAttest: [ObjectID], remote: String?) throws(AttestError) -> [String] {
        var out: [String] = []
        let vault = EvidenceVault(repository: repository, root: repository.workdir ?? "", policy: policy, environment: environment)
        var evidenceInPush = Set<Quarter>()
        for u in updates where u.ref.hasPrefix(EvidenceRef.prefix) {
            guard let q = EvidenceRef.quarter(ofRef: u.ref) else {
                out.append("\(u.ref): only refs/attest/evidence/YYYY-QN may be pushed under refs/attest/evidence/; push refused")
                continue
            }
            if u.isDeletion {
                let ends = vault.retentionEnds(q)
                if now < ends {
                    out.append("\(u.ref): deleting \(q)'s sealed evidence is refused until \(UTC.human(ends)) (evidence.retentionYears = \(policy.evidenceRetentionYears) from the hard close, runbook §5)")
                }
                continue
            }
            evidenceInPush.insert(q)
            if !u.old.isZero, repository.contains(u.old), !repository.isAncestor(u.old, of: u.new) {
                out.append("\(u.ref): \(u.new.short) does not descend from \(u.old.short); the evidence ref's history is append-only (reseal appends a commit), so a rewrite is refused")
            }
        }
        // Sign-offs in the pushed commits that name a sealed blob: among those the push gate's
        // walk found mentioning attest (one walk per push).
        guard updates.contains(where: { !$0.isDeletion && !$0.ref.hasPrefix(EvidenceRef.prefix) }) else { return out }
        var named: [(commit: ObjectID, quarter: Quarter, blob: ObjectID)] = []
        for id in mentioningAttest {
            let message: String
            do { message = try repository.rawCommit(id).message } catch {
                throw .environment("cannot read pushed commit \(id.short) for sealed evidence: \(error.description)")
            }
            // Which quarter: the one definition of a sign-off's claim (SignoffClaim).
            if let b = Trailers.parse(message).last(where: { $0.key == EvidenceVault.sealedTrailer })?.value, let blob = ObjectID(hex: b),
               let q = SignoffClaim(message: message)?.quarter {
                named.append((id, q, blob))
            }
        }
        let branches = updates.filter { !$0.isDeletion && !$0.ref.hasPrefix(EvidenceRef.prefix) }.map { $0.localRef ?? $0.ref }
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

    /// `git ls-remote REMOTE REF` has the ref.
    private func remoteHas(_ ref: String, remote: String) throws(AttestError) -> Bool {
        var env = environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        let r = try Subprocess.run("git", ["ls-remote", "--refs", remote, ref], environment: env)
        guard r.status == 0 else {
            throw .environment("cannot ask \(remote) whether it has \(ref) (git ls-remote: \(r.stderrText.split(separator: "\n").first ?? "failed")); push refused")
        }
        return r.stdoutText.contains("\t" + ref)
    }
}
