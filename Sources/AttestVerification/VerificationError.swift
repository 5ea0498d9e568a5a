import Foundation
import AttestCore
import AttestGit

/// What the push gate and the server's record throw: the facts of what stopped the judgement,
/// never the words or the exit code (AttestCLI states each case and says what to do next). An
/// error of a reader below (a commit git cannot read, a policy value `Policy` refuses) comes
/// through as it was thrown, in `attest`.
public enum VerificationError: Error, Sendable, CustomStringConvertible {
    /// A pushed tip is not in the object store the hook sees.
    case pushedCommitMissing(ObjectID)
    /// Git could not read what the gate must read to judge the push: `what` it was doing
    /// ("walk the pushed commits"), and git's own message.
    case pushUnreadable(what: String, cause: String)
    /// Git could not compare what a pushed commit changes: `what` ("compare docs/attestation-log
    /// in 1a2b3c4d5e6f"), and git's own message.
    case unreadable(what: String, cause: String)
    /// `hook.policyRef` names no commit on the server: no policy to judge the push by.
    case policyRefMissing(ref: String, gitDir: String)
    /// A new ref on a server whose HEAD names a branch that does not exist: no policy to judge
    /// the push by, and the built-in defaults never judge one.
    case serverHeadMissing(ref: String, head: String, gitDir: String)
    /// The `.attestconfig` at the commit that holds the server's policy cannot be read.
    case serverPolicyUnreadable(source: String, cause: PolicyFilesError)
    /// An error of the domain or of a reader below, as it was thrown.
    case attest(AttestError)
    /// The policy files of a pushed commit could not be read (the object store failed).
    case policyFiles(PolicyFilesError)

    /// The facts in one line, for logs and tests; AttestCLI states them to the user.
    public var description: String {
        switch self {
        case .pushedCommitMissing(let id): "pushed commit \(id.short) is not in the object store"
        case .pushUnreadable(let what, let cause), .unreadable(let what, let cause): "cannot \(what): \(cause)"
        case .policyRefMissing(let ref, _): "hook.policyRef is '\(ref)', which names no commit on this server"
        case .serverHeadMissing(let ref, let head, _): "\(ref) is new and the server's HEAD names \(head), which does not exist"
        case .serverPolicyUnreadable(let source, let cause): "cannot read the server's policy from \(source): \(cause.description)"
        case .attest(let e): e.description
        case .policyFiles(let e): e.description
        }
    }

    /// Runs `body`, passing a reader's error through: `AttestError` as `.attest`,
    /// `PolicyFilesError` as `.policyFiles`.
    static func passing<T>(_ body: () throws -> T) throws(VerificationError) -> T {
        do { return try body() } catch let e as AttestError { throw .attest(e) } catch let e as PolicyFilesError {
            throw .policyFiles(e)
        } catch let e as VerificationError { throw e } catch { throw .attest(.environment("\(error)")) }
    }
}
