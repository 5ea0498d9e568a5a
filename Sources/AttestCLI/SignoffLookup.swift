import Foundation
import AttestCore
import AttestGit

/// A quarter's sign-off on HEAD, for `attest status`: the quarter's first sign-off reachable
/// from HEAD (`Repository.signoffs`, on AttestCore's one definition `SignoffClaim`), judged by
/// the one judge (`SignoffRules.check`, the policy in force when it was signed), and whether the
/// upstream holds it. Outside a repository it knows nothing and status prints only the schedule.
struct SignoffLookup {
    let context: Context

    struct Found {
        let sighting: SignoffSighting
        let id: ObjectID
        /// `refs/remotes/origin/main`, or nil without an upstream.
        let upstream: String?
        /// The old one-line summary: `signed off on HEAD in 1a2b3c4d5e6f at …, clean, on time`.
        var text: String {
            "signed off on HEAD in \(id.short) at \(UTC.human(sighting.committerDate)), \(sighting.result)\(sighting.late ? ", LATE" : ", on time")"
        }
    }

    /// nil outside a repository or without a sign-off of the quarter on HEAD.
    func find(_ quarter: Quarter) -> Found? {
        guard let repo = try? context.repository(), let all = try? repo.signoffs(for: quarter),
              let first = all.last(where: { !$0.claim.isAmendment }) ?? all.last else { return nil }
        let raw = first.commit
        var violations: [String] = []
        var late = false
        if let policy = try? SignoffInspector.policyInForce(for: raw, repository: repo, overrides: context.overrides),
           case .success(let signers) = Result(catching: { () throws(AttestError) -> AllowedSigners? in try SignoffInspector.allowedSigners(forVerifyIn: repo, policy: policy) }) {
            let gpg = repo.configString("gpg.openpgp.program") ?? repo.configString("gpg.program") ?? "gpg"
            let inspector = SignoffInspector(repository: repo, policy: policy, allowedSigners: signers, gpgProgram: gpg)
            if let facts = try? inspector.facts(raw, now: context.now, evidenceFolder: nil) {
                let report = SignoffRules.check(facts, policy: policy)
                // A declared late sign-off is late; an undeclared one is too (and breaks a rule).
                late = report.timing == .late || first.trailers?.late != nil
                violations = report.violations.map(\.rule)
            } else { violations = ["unreadable"] }
        } else { violations = ["policy"] }
        var onUpstream = false
        var upstream: String?
        if let branch = repo.headBranch {
            let state = repo.pushState(of: first.id, branch: branch)
            upstream = state.upstream
            if let u = state.upstream { onUpstream = state.containedIn.contains(u) } else { onUpstream = state.pushed }
        }
        let sighting = SignoffSighting(commit: first.id.hex, committerDate: raw.committer.date,
                                       result: first.trailers?.result.rawValue ?? "malformed", late: late,
                                       onUpstream: onUpstream, violations: violations)
        return Found(sighting: sighting, id: first.id, upstream: upstream)
    }

    /// The branch HEAD is on (nil when detached or outside a repository).
    var branch: String? { (try? context.repository())?.headBranch }
}
