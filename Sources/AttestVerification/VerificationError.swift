import Foundation
import AttestCore
import AttestGit
import AttestControls
import AttestCrypto
import AttestSystem

/// What the fact readers (`SignoffInspector`, `TrustedTime`, `ControlCatalogue`, `Renewal`), the
/// push gate and the server's record throw: the facts of what stopped the reading or the
/// judgement, never the words or the exit code (AttestCLI states each case and says what to do
/// next, `AttestError.report(_:)`). A domain parse's error (an allowed-signers file, a
/// timestamp imprint) travels as the payload it was thrown as.
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

    // The fact readers.
    /// A commit the store lacks or git cannot read.
    case commitUnreadable(ObjectID, cause: GitError)
    /// The sign-off's document (or the file an imprint is computed from) in `commit` cannot be read.
    case documentUnreadable(path: String, commit: ObjectID, cause: GitError)
    /// The sign-off's document in `commit` is refused as committed (too large, a symbolic link).
    case documentRefused(path: String, commit: ObjectID, cause: GitError)
    /// A sign-off has no `path` (its `Attest-Document`) to compute the timestamp imprint from.
    case imprintDocumentMissing(path: String, commit: ObjectID)
    /// The imprint's fields do not make an imprint (`TimestampImprint.bytes`).
    case imprintInvalid(AttestError)
    /// SHA-256 failed (OpenSSL), over the imprint (`of` nil) or over the file `of`.
    case digestFailed(of: String?, cause: CryptoError)
    /// The files under `path` in `tree` (the `.ltv` folder) cannot be read.
    case treeUnreadable(path: String, tree: ObjectID, cause: GitError)
    /// The allowed-signers file `path` as committed in `commit` cannot be read.
    case allowedSignersUnreadable(path: String, commit: ObjectID, cause: GitError)
    /// The working tree's allowed-signers file cannot be read.
    case workingAllowedSignersUnreadable(RegularFileError)
    /// The allowed-signers file `path` (`file@commit` when committed) does not parse.
    case allowedSignersInvalid(path: String, cause: AttestError)
    /// The control files or the departures list of `commit` cannot be read.
    case controlsUnreadable(commit: ObjectID, cause: GitError)
    /// A control file of `commit` does not parse.
    case controlFileInvalid(commit: ObjectID, cause: ControlFileError)
    /// The history walk that finds the renewals failed.
    case renewalHistoryUnreadable(cause: GitError)

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
        case .commitUnreadable(let id, let e): "cannot read commit \(id.short): \(e.message)"
        case .documentUnreadable(let path, let commit, let e), .allowedSignersUnreadable(let path, let commit, let e):
            "cannot read \(path) in \(commit.short): \(e.message)"
        case .documentRefused(_, _, let e): "\(e.operation): \(e.message)"
        case .imprintDocumentMissing(let path, _): "the commit has no file \(path) to compute the timestamp imprint from"
        case .imprintInvalid(let e), .allowedSignersInvalid(_, let e): e.description
        case .digestFailed(let path?, let e): "SHA-256 of \(path): \(e)"
        case .digestFailed(nil, let e): "SHA-256: \(e)"
        case .treeUnreadable(let path, let tree, let e): "cannot read \(path) in tree \(tree.short): \(e.message)"
        case .workingAllowedSignersUnreadable(let e): e.description
        case .controlsUnreadable(let commit, let e): "cannot read the controls of \(commit.short): \(e.message)"
        case .controlFileInvalid(let commit, let e): "control file \(e.description) (at \(commit.short))"
        case .renewalHistoryUnreadable(let e): "cannot walk history for renewals: \(e.message)"
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
