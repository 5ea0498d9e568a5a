import AttestCore
import AttestGit
import AttestSystem

/// What reading a quarter's sealed evidence, and the push gate's evidence rules, can fail on:
/// the fact with its payload, never the remedy (the command layer adds "push refused" and
/// says what to do: ErrorReport.swift, docs/ARCHITECTURE.md "Errors").
public enum EvidenceVaultError: Error, Sendable, CustomStringConvertible {
    /// git could not read what the sealed evidence's state needs (a ref, a commit, a tree).
    case git(GitError)
    /// The push gate could not walk the commits pushed to an evidence ref.
    case pushedCommitsUnreadable(ref: String, GitError)
    /// A pushed commit that mentions attest could not be read for its sealed-evidence trailer.
    case pushedCommitUnreadable(ObjectID, GitError)
    /// The history of a branch tip could not be read for the disposition record at `path`.
    case historyUnreadable(tip: ObjectID, path: String, GitError)
    /// `git ls-remote` could not be started.
    case remoteUnasked(SubprocessError)
    /// `git ls-remote REMOTE REF` failed; `reason` is the first line git printed.
    case remoteRefused(remote: String, ref: String, reason: String)

    public var description: String {
        switch self {
        case .git(let e): return "git: \(e.description)"
        case .pushedCommitsUnreadable(let ref, let e): return "cannot read the pushed commits of \(ref): \(e.description)"
        case .pushedCommitUnreadable(let id, let e): return "cannot read pushed commit \(id.short) for sealed evidence: \(e.description)"
        case .historyUnreadable(let tip, let path, let e): return "cannot read the history of \(tip.short) for \(path): \(e.description)"
        case .remoteUnasked(let e): return e.description
        case .remoteRefused(let remote, let ref, let reason): return "cannot ask \(remote) whether it has \(ref) (git ls-remote: \(reason))"
        }
    }
}
