import Foundation
import AttestCore
import AttestGit
import AttestControls
import AttestSystem
import AttestVerification
import AttestEvidence

// The one place where the libraries' typed errors become what the user reads: the fact (the
// error's payload), the remedy ("run attest sign again", "pass --force"), and through the
// `AttestError` case the exit code (DESIGN.md §5: 1 failed, 2 usage and config, 3 environment).
// The libraries say what happened; only the command layer says what to do about it
// (docs/ARCHITECTURE.md, "Errors").

/// Runs a library call for a command: a typed error it throws is reported as the user sees it
/// (`AttestError(reporting:)`).
///
///     let preflight = try reporting { try repo.signoffPreflight(watching: [path]) }
func reporting<T, E: Error>(_ body: () throws(E) -> T) throws(AttestError) -> T {
    do { return try body() } catch { throw AttestError(reporting: error) }
}

extension AttestError {
    /// The exit code of each case (DESIGN.md §5): only the command layer decides it.
    var exitCode: Int32 {
        switch self {
        case .usage, .config: return 2
        case .failed: return 1
        case .environment: return 3
        }
    }

    /// Any error as the command layer reports it: a library's typed error with its remedy and
    /// exit code; an `AttestError` as it is; anything else as an environment error.
    init(reporting error: any Error) {
        switch error {
        case let e as AttestError: self = e
        case let e as SignoffWriterError: self = Self.report(e)
        case let e as CommitSignerError: self = Self.report(e)
        case let e as ConfigError: self = Self.report(e)
        case let e as PolicyFilesError: self = Self.report(e)
        case let e as AuditFactsError: self = Self.report(e)
        case let e as EvidenceRefError: self = Self.report(e)
        case let e as EvidenceFolderError: self = Self.report(e)
        case let e as ExtraControlsError: self = Self.report(e)
        case let e as VerificationError: self = Self.report(e)
        case let e as EvidenceVaultError: self = Self.report(e)
        case let e as GitError: self = .environment("git: \(e.description)")
        case let e as any SystemError: self = .environment(e.description)
        default: self = .environment("\(error)")
        }
    }

    /// An AttestSystem error (a file that cannot be read or written, a program that cannot be
    /// started, a temporary folder that cannot be made): an environment error, exit 3, in the
    /// error's own sentence. A caller with a remedy or a domain word to add catches the case
    /// itself (`--pgaudit-log`'s "or '-' to read the log from standard input").
    init(_ error: some SystemError) { self.init(reporting: error) }

    /// What the fact readers, the push gate and the server's record throw, as the commands and
    /// the hooks state it: 3 when git (or OpenSSL, or the file system) cannot read what must be
    /// read, 1 when there is no policy to judge the push by or a committed file is refused, 2 when
    /// that policy is unreadable; a domain parse's error (allowed signers, imprint) as it was.
    static func report(_ e: VerificationError) -> AttestError {
        switch e {
        case .pushedCommitMissing(let id):
            return .environment("pushed commit \(id.short) is not in the object store; is GIT_DIR/GIT_OBJECT_DIRECTORY set as git sets it for hooks?")
        case .pushUnreadable(let what, let cause):
            return .environment("cannot \(what): \(cause); \(Self.unreadableRemedy)")
        case .unreadable(let what, let cause):
            return .environment("cannot \(what): \(cause)")
        case .policyRefMissing(let ref, let gitDir):
            return .failed("hook.policyRef is '\(ref)', which names no commit on this server, so there is no policy to judge the push by (push refused); to fix: push that ref first with the hook off, or point hook.policyRef at a ref the server has: git --git-dir=\(gitDir) config hook.policyRef refs/heads/main")
        case .serverHeadMissing(let ref, let head, let gitDir):
            return .failed("\(ref) is new and the server's HEAD names \(head), which does not exist: there is no .attestconfig to judge the push by, and the built-in defaults are never used (push refused); to fix: point the server's HEAD at the branch that holds the policy (git --git-dir=\(gitDir) symbolic-ref HEAD refs/heads/main), or name the policy ref (git --git-dir=\(gitDir) config hook.policyRef refs/heads/main)")
        case .serverPolicyUnreadable(let source, let cause):
            return .config("cannot read the server's policy from \(source): \(cause.description)")
        case .attest(let e):
            return e
        case .policyFiles(let e):
            return report(e)
        case .imprintInvalid(let e), .allowedSignersInvalid(_, let e):
            return e
        case .documentRefused, .imprintDocumentMissing, .controlFileInvalid:
            return .failed(e.description)
        case .commitUnreadable, .documentUnreadable, .digestFailed, .treeUnreadable, .allowedSignersUnreadable,
             .workingAllowedSignersUnreadable, .controlsUnreadable, .renewalHistoryUnreadable:
            return .environment(e.description)
        }
    }

    /// What to do when a commit the gate must read is not there or not readable.
    static let unreadableRemedy = "the push is refused until every pushed commit and its parents can be read: check the object store with 'git fsck', or fetch the missing history ('git fetch --unshallow' in a shallow clone)"

    static func report(_ e: SignoffWriterError) -> AttestError {
        switch e {
        case .bareRepository:
            return .environment("\(e); run attest sign in a working tree")
        case .operationInProgress:
            return .failed("\(e); finish it or abort it (git status says how) before signing")
        case .detachedHead:
            return .failed("\(e); check out the branch the sign-off belongs on (git switch main) and run attest sign again")
        case .headNotOnBranch:
            return .failed("\(e); check out a branch and run attest sign again")
        case .interrupted(let state):
            return .failed("cannot sign: \(state.message())")
        case .unbornBranch:
            return .failed("\(e); make a first commit (the sign-off goes on top of the history it attests)")
        case .userNameNotSet:
            return .environment("\(e); run 'git config user.name \"Your Name\"'")
        case .userEmailNotSet:
            return .environment("\(e); run 'git config user.email you@example.com'")
        case .unchanged:
            return .failed("\(e). Render the quarter (attest render) or edit the file first")
        case .signing(let inner):
            return report(inner)
        case .scratch(let inner):
            return AttestError(reporting: inner)
        case .validationFilesUnwritable:
            return .environment("\(e) and run attest sign again")
        case .indexLocked(_, let state):
            return .failed("nothing was signed: \(state.message())")
        case .branchLocked(_, let lock, _):
            return .failed("\(e). If no git command is running, remove it with: rm -f \(lock), then run attest sign again")
        case .branchMoved(let branch, let from, let to):
            let name = branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch
            return .failed("\(name) moved while attest sign was working (it was \(from.short), it is now \(to?.short ?? "another commit")): another commit came in. Nothing was changed; look at the new commit, then run attest sign again")
        case .indexNotInPlace(_, _, let lock, let paths, _):
            return .environment("\(e); run: rm -f \(lock) && git reset -q -- \(paths.joined(separator: " "))")
        case .cannotReadHead, .git, .cannotLockIndex, .indexUnwritable, .cannotMoveBranch:
            return .environment(e.description)
        }
    }

    static func report(_ e: CommitSignerError) -> AttestError {
        switch e {
        case .unknownFormat:
            return .config(e.description)
        case .cannotRun(_, let inner), .scratch(let inner):
            return AttestError(reporting: inner)
        case .signerFailed(let format, _, _, _):
            return .environment(e.description + (format == .ssh
                ? "; check the key (and ssh-agent for a public key), as 'git commit -S' would need"
                : "; check user.signingKey and that the key is usable ('git commit -S' fails the same way)"))
        case .sshKeyNotSet:
            return .environment("\(e); run 'git config user.signingKey ~/.ssh/id_ed25519.pub'")
        case .unreadableConfig, .noSignature, .defaultKeyCommandFailed, .cannotWriteKey, .cannotWriteBuffer:
            return .environment(e.description)
        }
    }

    static func report(_ e: ConfigError) -> AttestError {
        switch e {
        case .unreadable: return .config(e.description)
        case .invalid(let inner): return inner
        }
    }

    static func report(_ e: PolicyFilesError) -> AttestError {
        switch e {
        case .unreadable: return .environment(e.description)
        case .malformedConfig: return .config(e.description)
        case .invalidPolicy(_, let inner), .invalidAllowedSigners(_, let inner): return inner
        }
    }

    static func report(_ e: AuditFactsError) -> AttestError {
        switch e {
        case .unresolvableRevision(let rev, let reason): return .usage("cannot resolve --rev '\(rev)': \(reason)")
        case .malformedConfig: return .config(e.description)
        case .invalidPolicy(let inner): return inner
        case .policyFiles(let inner): return report(inner)
        case .unreadable, .history, .other: return .environment(e.description)
        }
    }

    static func report(_ e: EvidenceRefError) -> AttestError {
        switch e {
        case .refMoved, .deleteRefused: return .failed("\(e); run the command again")
        case .notPlainName: return .failed(e.description)
        case .identity(let inner): return report(inner)
        case .signing(let inner): return report(inner)
        case .git: return .environment(e.description)
        }
    }

    static func report(_ e: EvidenceFolderError) -> AttestError {
        switch e {
        case .exists: return .usage("\(e); pass --force to replace it, or --out DIR")
        case .appeared: return .usage("\(e); pass --force to replace it")
        case .wrongSteps: return .failed(e.description)
        case .noAtomicReplace: return .environment("\(e); remove the folder yourself")
        case .scratch(let inner): return AttestError(reporting: inner)
        case .cannotCreate, .cannotWrite, .digest, .cannotReplace, .cannotMove: return .environment(e.description)
        }
    }

    static func report(_ e: ExtraControlsError) -> AttestError {
        switch e {
        case .unreadable: return .environment(e.description)
        case .controlFile: return .usage("\(e); fix it (docs/controls.md) — nothing was run")
        case .departures: return .usage("\(e) — nothing was run")
        }
    }

    /// What the sealed evidence's reading, sealing, opening, resealing and disposing, and the push
    /// gate's evidence rules, throw: the hooks' unreadable history adds "push refused"; a missing
    /// ref or blob says how to fetch it; a refusal says what to run instead.
    static func report(_ e: EvidenceVaultError) -> AttestError {
        let fetch = "git fetch origin '\(EvidenceRef.prefix)*:\(EvidenceRef.prefix)*'"
        switch e {
        case .pushedCommitsUnreadable, .historyUnreadable, .remoteRefused: return .environment("\(e); push refused")
        case .remoteUnasked(let inner): return AttestError(inner)
        case .unreadableFile(let inner): return AttestError(inner)
        case .recordUnwritable(let inner): return AttestError(inner)
        case .signing(let inner): return report(inner)
        case .signoff(let inner): return report(inner)
        case .ref(let inner): return report(inner)
        case .recipientsMissing: return .config("\(e); add the certificate or change the setting")
        case .signingNotEnabled:
            return .failed("\(e); configure signing (git config commit.gpgSign true, gpg.format, user.signingKey) and run the command again")
        case .noRecipients: return .failed("\(e); add the operators' and auditors' X.509 certificates (PEM) there")
        case .alreadySealed(let q, _):
            return .failed("\(e); to add a recipient run 'attest evidence reseal --quarter \(q) --key KEY --add-recipient CERT'")
        case .folderMissing: return .failed("\(e); pass the folder collect wrote with --evidence DIR")
        case .refNotSet(let signoff, let blob, let q, let commit, let inner):
            return .environment("the sign-off \(signoff.short) is made and names the sealed blob \(blob.short), but \(EvidenceRef.name(q)) could not be set (\(report(inner))); run 'git update-ref \(EvidenceRef.name(q)) \(commit.hex)'")
        case .notSealedHere: return .failed("\(e); fetch it: \(fetch)")
        case .blobMissing: return .failed("\(e); fetch the evidence refs again")
        case .outNotEmpty(let path): return .failed("--out \(path) exists and is not an empty folder; give a new folder")
        case .nothingToReseal(let q): return .failed("\(e); seal it first: attest evidence seal --quarter \(q)")
        case .nothingToDispose: return .failed("\(e) (fetch the evidence refs if it is on the server)")
        case .keyDoesNotOpen(let cause, let ref, let recipients):
            return .failed("\(report(cause))\n\(ref) is sealed to: \(recipients.joined(separator: "; ")); give the key of one of them with --key (and its certificate with --cert)")
        case .verification(let inner): return report(inner)
        case .refNotDeleted(let q, let record, let branch, let tip, let inner):
            return .environment("the disposition record of \(q) is committed (\(record.short) on \(branch)), but \(EvidenceRef.name(q)) could not be deleted (\(report(inner))); run 'git update-ref -d \(EvidenceRef.name(q)) \(tip.hex)'")
        case .certificate, .archive, .folderMismatch, .openRefused, .archiveRefused, .nestedPath, .recipientUnreadable,
             .alreadyRecipient, .resealMismatch, .retentionNotOver:
            return .failed(e.description)
        case .git, .pushedCommitUnreadable, .sealFailed, .digestFailed, .cannotCreate, .cannotWrite, .keyUnreadable:
            return .environment(e.description)
        }
    }
}
