import Foundation
import AttestCore
import AttestGit

/// A quarter's sign-off on HEAD, for `attest status`: the quarter's first sign-off reachable
/// from HEAD (`Repository.signoffs`, on AttestCore's one definition `SignoffClaim`), judged by
/// the one judge (`SignoffRules.check`, the policy in force when it was signed), and whether the
/// upstream holds it. Outside a repository it knows nothing and status prints only the schedule.
public struct SignoffLookup {
    /// nil outside a repository.
    public let repository: Repository?
    /// `-c` settings, on top of the policy at each commit.
    public let overrides: [Policy.Entry]
    public let now: Date

    public init(repository: Repository?, overrides: [Policy.Entry], now: Date) {
        self.repository = repository; self.overrides = overrides; self.now = now
    }

    public struct Found {
        public let sighting: SignoffSighting
        public let id: ObjectID
        /// `refs/remotes/origin/main`, or nil without an upstream.
        public let upstream: String?
    }

    /// nil outside a repository or without a sign-off of the quarter on HEAD.
    public func find(_ quarter: Quarter) -> Found? {
        guard let repo = repository, let all = try? repo.signoffs(for: quarter),
              let first = all.last(where: { !$0.claim.isAmendment }) ?? all.last else { return nil }
        let raw = first.commit
        var violations: [String] = []
        var late = false
        if let inspector = try? SignoffInspector.forVerify(raw, repository: repo, overrides: overrides) {
            if let facts = try? inspector.facts(raw, now: now, evidenceFolder: nil) {
                let report = SignoffRules.check(facts, policy: inspector.policy)
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
    public var branch: String? { repository?.headBranch }
}
