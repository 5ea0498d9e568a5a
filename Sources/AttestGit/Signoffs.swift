import Foundation
import AttestCore
internal import CGit2

/// A sign-off commit found in history: a commit whose message claims a quarter
/// (`SignoffClaim`, AttestCore's one definition: trailers, a broken trailer block, or the
/// runbook's subject), with what it claims.
public struct SignoffCommit: Sendable {
    /// The commit, read byte for byte (id, parents, author, committer, message, signature).
    public let commit: RawCommit
    public let claim: SignoffClaim
    /// The quarter as written (even when it does not parse).
    public var quarterText: String { claim.quarterText }
    /// The parsed trailers; nil when they are malformed or absent (see `trailerError`).
    public var trailers: SignoffTrailers? { claim.trailers }
    /// Why the trailers could not be read; nil when they could.
    public var trailerError: String? { claim.trailerProblem }

    public var id: ObjectID { commit.id }
}

extension Repository {
    /// Every sign-off commit reachable from `revision` (default `HEAD`), newest first (git's
    /// topological order, then commit time); only those that claim `quarter` when it is given. Malformed sign-offs are returned too, with `trailerError` set. An unborn
    /// `HEAD` has none.
    ///
    /// `attest sign` uses it to refuse a second sign-off for a quarter and to name the commit an
    /// amendment amends; `verify` to find "the latest sign-off reachable from HEAD"
    /// (`latestSignoff`).
    public func signoffs(for quarter: Quarter? = nil, reachableFrom revision: String = "HEAD") throws(GitError) -> [SignoffCommit] {
        let start: ObjectID
        do { start = try resolveCommit(revision) } catch {
            if revision == "HEAD" && isHeadUnborn { return [] }
            throw error
        }
        var out: [SignoffCommit] = []
        try walk(from: [start], hiding: [], topological: true) { (id: ObjectID) throws(GitError) -> Bool in
            // Cheap test on libgit2's cached message before reading the raw object.
            let c = try lookupCommit(id)
            let message = git_commit_message(c).map { String(cString: $0) } ?? ""
            git_commit_free(c)
            guard SignoffClaim.mayClaim(message) else { return true }
            guard let found = try signoffCommit(id) else { return true }
            if let quarter, found.claim.quarter != quarter { return true }
            out.append(found)
            return true
        }
        return out
    }

    /// The newest sign-off reachable from `revision`, for any quarter or for one.
    public func latestSignoff(for quarter: Quarter? = nil, reachableFrom revision: String = "HEAD") throws(GitError) -> SignoffCommit? {
        try signoffs(for: quarter, reachableFrom: revision).first
    }

    /// Reads one commit as a sign-off; nil when its message claims no quarter.
    public func signoffCommit(_ id: ObjectID) throws(GitError) -> SignoffCommit? {
        let raw = try rawCommit(id)
        guard let claim = SignoffClaim(message: raw.message) else { return nil }
        return SignoffCommit(commit: raw, claim: claim)
    }

    /// `HEAD` names a branch that has no commit yet.
    public var isHeadUnborn: Bool { git_repository_head_unborn(pointer) == 1 }
}
