import Foundation
import AttestCore

// The errors AttestGit's wrappers throw. Each case is a fact with its payload (the commit,
// the ref, the path, the program and what it printed); its `description` says what happened
// and never what to do about it. The command layer (AttestCLI/ErrorReport.swift) picks the
// exit code and adds the remedy ("run attest sign again"): docs/ARCHITECTURE.md, "Errors".

/// Why `signoffPreflight`, `committerIdentity`, `requireChange`, `writeSignoffObject` or
/// `publishSignoff` refused or failed (SignoffWriter.swift).
public enum SignoffWriterError: Error, Sendable, CustomStringConvertible {
    /// The repository has no working tree.
    case bareRepository
    /// A merge, rebase, cherry-pick, revert, bisect or `git am` is in progress (its name).
    case operationInProgress(String)
    /// `HEAD` points at a commit, not at a branch.
    case detachedHead
    /// `HEAD` is neither detached nor a symbolic reference libgit2 can read as a branch.
    case headNotOnBranch
    /// A killed git command (or a killed `attest sign`) left a lock, or a signed file's index
    /// entry behind `HEAD` (InterruptedState), found before anything was done.
    case interrupted(InterruptedState)
    /// `HEAD` could not be read (libgit2's message).
    case cannotReadHead(String)
    /// The branch (`refs/heads/main`) has no commit yet.
    case unbornBranch(String)
    /// `user.name` is not set (or empty).
    case userNameNotSet
    /// `user.email` is not set (or empty).
    case userEmailNotSet
    /// The file to sign is `HEAD`'s version.
    case unchanged(path: String, head: ObjectID)
    /// The signer given to `writeSignoffObject` failed; nothing was written.
    case signing(CommitSignerError)
    /// A libgit2 call failed while reading or writing the sign-off's objects.
    case git(GitError)
    /// The temporary folder the index is built in could not be made (TempFolders' error).
    case scratch(any Error)
    /// The validation files could not be written into `folder` of the working tree; nothing was signed.
    case validationFilesUnwritable(folder: String, reason: String)
    /// `index.lock` (`path`) exists, left by a git command or a killed `attest sign`; nothing was signed.
    case indexLocked(path: String, state: InterruptedState)
    /// `index.lock` could not be created for another reason; nothing was signed.
    case cannotLockIndex(path: String, reason: String)
    /// The new index could not be written into the lock; nothing was signed.
    case indexUnwritable(reason: String)
    /// The branch's ref is locked (`lock`, `<branch>.lock`); `tip` is where the branch is. Nothing was signed.
    case branchLocked(branch: String, lock: String, tip: ObjectID?)
    /// The branch moved from `from` (where the sign-off was built) to `to` (nil: unreadable)
    /// while the sign-off was being made; nothing was changed.
    case branchMoved(branch: String, from: ObjectID, to: ObjectID?)
    /// libgit2 refused to move the branch for another reason; nothing was signed.
    case cannotMoveBranch(GitError)
    /// The branch is at the sign-off `commit`, but the new index, complete in `lock`, could not
    /// be renamed over the index; `paths` are the entries it sets.
    case indexNotInPlace(commit: ObjectID, branch: String, lock: String, paths: [String], reason: String)

    /// `main` for `refs/heads/main`.
    static func shortName(_ branch: String) -> String { branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch }

    public var description: String {
        switch self {
        case .bareRepository: return "this is a bare repository"
        case .operationInProgress(let op): return "a \(op) is in progress"
        case .detachedHead, .headNotOnBranch: return "HEAD is detached"
        case .interrupted(let state): return state.problem()
        case .cannotReadHead(let m): return "cannot read HEAD: \(m)"
        case .unbornBranch(let b): return "\(b) has no commit yet"
        case .userNameNotSet: return "git config user.name is not set"
        case .userEmailNotSet: return "git config user.email is not set"
        case .unchanged(let path, let head): return "\(path) has not changed since HEAD (\(head.short)); there is nothing to sign"
        case .signing(let e): return e.description
        case .git(let e): return "git: \(e.description)"
        case .scratch(let e): return "\(e)"
        case .validationFilesUnwritable(let folder, let reason):
            return "the validation files of the sign-off could not be written to the working tree (\(reason)); nothing was signed: check the folder \(folder)"
        case .indexLocked(_, let state): return "nothing was signed: \(state.problem())"
        case .cannotLockIndex(let path, let reason): return "cannot create \(path): \(reason); nothing was signed"
        case .indexUnwritable(let reason): return "cannot write the index (\(reason)); nothing was signed"
        case .branchLocked(let branch, let lock, let tip):
            let name = Self.shortName(branch)
            return "nothing was signed: \(lock) exists: a git command is moving \(name), or one was killed (\(name) is at \(tip?.short ?? "?"))"
        case .branchMoved(let branch, let from, let to):
            return "\(Self.shortName(branch)) moved while the sign-off was being made (it was \(from.short), it is now \(to?.short ?? "another commit")): another commit came in. Nothing was changed"
        case .cannotMoveBranch(let e): return "git: \(e.description); nothing was signed"
        case .indexNotInPlace(let commit, let branch, _, _, let reason):
            return "the sign-off commit \(commit.short) is on \(Self.shortName(branch)), but the index could not be put in place (\(reason))"
        }
    }
}

/// Why git's signing configuration could not be read or a commit could not be signed
/// (CommitSigner.swift).
public enum CommitSignerError: Error, Sendable, CustomStringConvertible {
    /// `gpg.format` names a format git does not know.
    case unknownFormat(String)
    /// The configuration could not be read (libgit2's error).
    case unreadableConfig(GitError)
    /// The signing program could not be started (Subprocess' error).
    case cannotRun(program: String, any Error)
    /// The program ran and did not sign: `key` as given to it, `output` the first lines it
    /// printed on stderr (and, for ssh-keygen, stdout), gpg's status lines left out.
    case signerFailed(format: SigningConfig.Format, program: String, key: String, output: String)
    /// The program exited 0 and printed no signature.
    case noSignature(program: String)
    /// `gpg.ssh.defaultKeyCommand` printed no key (`output`: the first lines of its stderr).
    case defaultKeyCommandFailed(command: String, output: String)
    /// `commit.gpgSign` is true, `gpg.format` is ssh, and `user.signingKey` is not set.
    case sshKeyNotSet
    /// The temporary folder ssh-keygen signs in could not be made (TempFolders' error).
    case scratch(any Error)
    /// The literal public key could not be written to `path` for ssh-keygen.
    case cannotWriteKey(path: String)
    /// The commit buffer could not be written to `path` for ssh-keygen.
    case cannotWriteBuffer(path: String)

    public var description: String {
        switch self {
        case .unknownFormat(let f): return "git config gpg.format is '\(f)'; git knows openpgp, ssh and x509"
        case .unreadableConfig(let e): return "cannot read git's signing configuration: \(e)"
        case .cannotRun(_, let e): return "\(e)"
        case .signerFailed(let format, let program, let key, let output):
            return "signing with \(program) failed (\(format == .ssh ? "user.signingKey" : "key") '\(key)'): \(output)"
        case .noSignature(let program): return "\(program) produced no signature"
        case .defaultKeyCommandFailed(let command, let output): return "gpg.ssh.defaultKeyCommand '\(command)' gave no key: \(output)"
        case .sshKeyNotSet: return "commit.gpgSign is true and gpg.format is ssh, but user.signingKey is not set"
        case .scratch(let e): return "\(e)"
        case .cannotWriteKey(let path): return "cannot write the signing key to \(path)"
        case .cannotWriteBuffer(let path): return "cannot write the commit to sign to \(path)"
        }
    }
}

/// Why the policy of the working tree (`.attestconfig`, then `-c`) could not be read (Config.swift).
public enum ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// `.attestconfig` at `path` is not a git-config file libgit2 reads (its message).
    case unreadable(path: String, reason: String)
    /// A key or value is not policy (AttestCore's `Policy` error, naming both and the origin).
    case invalid(AttestError)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalid(let e): return e.description
        }
    }
}

/// Why the policy files at a commit could not be read (PolicyFiles.swift). `isUnreadable`
/// tells the git failures (the object store) from files that were read and are not policy.
public enum PolicyFilesError: Error, Sendable, CustomStringConvertible {
    /// `path` in `commit`'s tree could not be read (libgit2's message).
    case unreadable(path: String, commit: ObjectID, reason: String)
    /// `.attestconfig` in `commit` is not a git-config file libgit2 reads.
    case malformedConfig(commit: ObjectID, reason: String)
    /// `.attestconfig` in `commit` (then `-c`) holds a key or value that is not policy.
    case invalidPolicy(commit: ObjectID, AttestError)
    /// The allowed-signers file in `commit` does not parse (AttestCore's error, naming the line).
    case invalidAllowedSigners(commit: ObjectID, AttestError)

    /// The object store failed (as opposed to a file that was read and is not policy).
    public var isUnreadable: Bool { if case .unreadable = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .unreadable(let path, let commit, let reason): return "cannot read \(path) in \(commit.short): \(reason)"
        case .malformedConfig(let commit, let reason): return "cannot read .attestconfig in \(commit.short): \(reason)"
        case .invalidPolicy(_, let e), .invalidAllowedSigners(_, let e): return e.description
        }
    }
}

/// Why `AuditFacts.gather` could not gather the period's facts (AuditFacts.swift).
public enum AuditFactsError: Error, Sendable, CustomStringConvertible {
    /// The audited revision does not name a commit (libgit2's message).
    case unresolvableRevision(String, reason: String)
    /// The object store could not be opened or read.
    case unreadable(GitError)
    /// History could not be read from the revision.
    case history(revision: String, GitError)
    /// An `.attestconfig` of history (`displayName`: which one) is not a git-config file.
    case malformedConfig(displayName: String, reason: String)
    /// An `.attestconfig` of history (then `-c`) holds a key or value that is not policy.
    case invalidPolicy(AttestError)
    /// The policy files of a commit could not be read.
    case policyFiles(PolicyFilesError)
    /// Anything else, as it was thrown.
    case other(String)

    public var description: String {
        switch self {
        case .unresolvableRevision(let rev, let reason): return "cannot resolve '\(rev)': \(reason)"
        case .unreadable(let e): return e.description
        case .history(let rev, let e): return "reading history from \(rev): \(e.description)"
        case .malformedConfig(let name, let reason): return "cannot read \(name): \(reason)"
        case .invalidPolicy(let e): return e.description
        case .policyFiles(let e): return e.description
        case .other(let m): return m
        }
    }
}

/// Why an evidence ref's commit could not be written, or its ref moved or deleted (EvidenceRef.swift).
public enum EvidenceRefError: Error, Sendable, CustomStringConvertible {
    /// The ref (`refs/attest/evidence/YYYY-QN`) is not at `expected` (nil: it should not
    /// exist) but at `now` (nil: it does not exist); nothing was changed.
    case refMoved(ref: String, expected: ObjectID?, now: ObjectID?)
    /// The ref to delete is no longer at `expected`; nothing was deleted.
    case deleteRefused(ref: String, expected: ObjectID)
    /// A name for the evidence tree is not one plain file name.
    case notPlainName(String)
    /// `user.name` or `user.email` is not set.
    case identity(SignoffWriterError)
    /// The signer failed; nothing was written.
    case signing(CommitSignerError)
    /// A libgit2 call failed.
    case git(GitError)

    public var description: String {
        switch self {
        case .refMoved(let ref, let expected, let now):
            return "\(ref) moved meanwhile (expected \(expected?.short ?? "no ref"), it is now \(now?.short ?? "nothing")); nothing was changed"
        case .deleteRefused(let ref, _): return "\(ref) moved meanwhile; nothing was deleted"
        case .notPlainName(let name): return "'\(name)' is not a plain file name for the evidence tree"
        case .identity(let e): return e.description
        case .signing(let e): return e.description
        case .git(let e): return "git: \(e.description)"
        }
    }
}

/// Why a commit object's bytes are not a commit git would write (RawCommit.swift).
public enum RawCommitError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A header git allows once appears twice (`gpgsig`, `author`, `committer`).
    case duplicateHeader(commit: ObjectID, header: String)
    /// A `tree`, `parent`, `author` or `committer` header does not parse.
    case malformedHeader(commit: ObjectID, header: String)
    /// The `author` or `committer` date is not seconds and a `+HHMM` zone.
    case malformedDate(commit: ObjectID, header: String)
    /// There is no `tree` header.
    case missingTree(commit: ObjectID)
    /// There is no `author` or no `committer` header.
    case missingPerson(commit: ObjectID)

    public var description: String {
        switch self {
        case .duplicateHeader(let c, let h): return "commit \(c.short) has two \(h) headers"
        case .malformedHeader(let c, let h): return "commit \(c.short) has a malformed \(h) header"
        case .malformedDate(let c, let h): return "commit \(c.short) has a malformed \(h) date"
        case .missingTree(let c): return "commit \(c.short) has no tree header"
        case .missingPerson(let c): return "commit \(c.short) lacks an author or committer header"
        }
    }

    /// The description, for callers that wrap it into their own error.
    public var message: String { description }
}
