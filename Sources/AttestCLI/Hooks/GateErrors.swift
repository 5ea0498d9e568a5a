import Foundation
import AttestCore
import AttestGit
import AttestVerification

/// How the hooks state what the push gate and the server's record throw
/// (`AttestVerification.VerificationError`): the exit code (3 when git cannot read what the gate
/// must read, 1 when there is no policy to judge the push by, 2 when that policy is unreadable)
/// and what to do next.
extension AttestError {
    init(_ e: VerificationError) {
        switch e {
        case .pushedCommitMissing(let id):
            self = .environment("pushed commit \(id.short) is not in the object store; is GIT_DIR/GIT_OBJECT_DIRECTORY set as git sets it for hooks?")
        case .pushUnreadable(let what, let cause):
            self = .environment("cannot \(what): \(cause); \(Self.unreadableRemedy)")
        case .unreadable(let what, let cause):
            self = .environment("cannot \(what): \(cause)")
        case .policyRefMissing(let ref, let gitDir):
            self = .failed("hook.policyRef is '\(ref)', which names no commit on this server, so there is no policy to judge the push by (push refused); to fix: push that ref first with the hook off, or point hook.policyRef at a ref the server has: git --git-dir=\(gitDir) config hook.policyRef refs/heads/main")
        case .serverHeadMissing(let ref, let head, let gitDir):
            self = .failed("\(ref) is new and the server's HEAD names \(head), which does not exist: there is no .attestconfig to judge the push by, and the built-in defaults are never used (push refused); to fix: point the server's HEAD at the branch that holds the policy (git --git-dir=\(gitDir) symbolic-ref HEAD refs/heads/main), or name the policy ref (git --git-dir=\(gitDir) config hook.policyRef refs/heads/main)")
        case .serverPolicyUnreadable(let source, let cause):
            self = .config("cannot read the server's policy from \(source): \(cause.description)")
        case .attest(let e):
            self = e
        }
    }

    /// What to do when a commit the gate must read is not there or not readable.
    static let unreadableRemedy = "the push is refused until every pushed commit and its parents can be read: check the object store with 'git fsck', or fetch the missing history ('git fetch --unshallow' in a shallow clone)"
}

/// Runs a call of the push gate or the server's record, stating its error as the hooks do.
func gated<T>(_ body: () throws(VerificationError) -> T) throws(AttestError) -> T {
    do { return try body() } catch { throw AttestError(error) }
}
