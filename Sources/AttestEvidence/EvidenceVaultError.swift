import Foundation
import AttestCore
import AttestGit
import AttestCrypto
import AttestVerification
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

    // Sealing, opening, resealing and disposing (EvidenceVault+Seal.swift).
    /// `evidence.recipients` names one file, and it is not there.
    case recipientsMissing(pattern: String)
    /// A file that had to be read (a certificate) could not be.
    case unreadableFile(RegularFileError)
    /// A certificate that does not load (a private key, a key type attest cannot seal to).
    case certificate(CryptoError)
    /// git's signing configuration, or signing itself, failed.
    case signing(CommitSignerError)
    /// `signing.required` is true and git would not sign.
    case signingNotEnabled
    /// The evidence folder or archive could not be packed or read back.
    case archive(ArchiveError)
    /// `evidence.recipients` matches no certificate.
    case noRecipients(pattern: String)
    /// The quarter's evidence ref exists: it is sealed already.
    case alreadySealed(Quarter, tip: ObjectID)
    /// The evidence folder to seal is not there.
    case folderMissing(Quarter, folder: String)
    /// The evidence folder does not match the digests signed; nothing was sealed.
    case folderMismatch(Quarter, problems: [String])
    /// CMS sealing failed.
    case sealFailed(Quarter, CryptoError)
    /// SHA-256 could not be computed.
    case digestFailed(CryptoError)
    /// Writing or moving the evidence ref failed.
    case ref(EvidenceRefError)
    /// The sign-off is made, but the evidence ref could not be set to its sealed commit.
    case refNotSet(signoff: ObjectID, blob: ObjectID, quarter: Quarter, commit: ObjectID, EvidenceRefError)
    /// No evidence ref for the quarter in this repository.
    case notSealedHere(Quarter)
    /// The evidence commit names no sealed blob this repository holds.
    case blobMissing(Quarter, commit: ObjectID)
    /// The key does not open the sealed blob (not a recipient, or the blob was altered).
    case openRefused(Quarter, CryptoError)
    /// The decrypted archive is not a well-formed tar; nothing was written.
    case archiveRefused(Quarter, blob: ObjectID, ArchiveError)
    /// The decrypted archive holds a file in a subfolder; nothing was written.
    case nestedPath(Quarter, path: String)
    /// The folder to write opened evidence into exists and is not empty.
    case outNotEmpty(path: String)
    /// A folder or file could not be created (errno).
    case cannotCreate(path: String, errno: Int32)
    /// A file could not be written (errno).
    case cannotWrite(path: String, errno: Int32)
    /// Resealing a quarter that has no evidence ref.
    case nothingToReseal(Quarter)
    /// A recipient certificate stored in the evidence ref does not load.
    case recipientUnreadable(Quarter, CryptoError)
    /// The certificate to add is a recipient already; nothing was changed.
    case alreadyRecipient(Quarter, name: String, subject: String)
    /// The sealed evidence does not match the sign-off, so it is not resealed.
    case resealMismatch(Quarter, problems: [String])
    /// The retention has not ended; nothing was disposed of.
    case retentionNotOver(Quarter, ends: Date, years: Int, now: Date)
    /// Disposing of a quarter that has no evidence ref here.
    case nothingToDispose(Quarter)
    /// The sign-off writer refused or failed (preflight, identity, the record's commit).
    case signoff(SignoffWriterError)
    /// The disposition record could not be written to the working tree.
    case recordUnwritable(AtomicFileError)
    /// The disposition record is committed, but the evidence ref could not be deleted.
    case refNotDeleted(Quarter, record: ObjectID, branch: String, tip: ObjectID, EvidenceRefError)
    /// The recipient's key file could not be read.
    case keyUnreadable(path: String)
    /// `verify --key`: the key does not open the sign-off's sealed evidence; `recipients` are the
    /// certificates at the ref's tip ("CN=… (EC P-256, sha256 …)").
    indirect case keyDoesNotOpen(EvidenceVaultError, ref: String, recipients: [String])
    /// The allowed signers that judge the evidence commits could not be read.
    case verification(VerificationError)

    public var description: String {
        switch self {
        case .git(let e): return "git: \(e.description)"
        case .pushedCommitsUnreadable(let ref, let e): return "cannot read the pushed commits of \(ref): \(e.description)"
        case .pushedCommitUnreadable(let id, let e): return "cannot read pushed commit \(id.short) for sealed evidence: \(e.description)"
        case .historyUnreadable(let tip, let path, let e): return "cannot read the history of \(tip.short) for \(path): \(e.description)"
        case .remoteUnasked(let e): return e.description
        case .remoteRefused(let remote, let ref, let reason): return "cannot ask \(remote) whether it has \(ref) (git ls-remote: \(reason))"
        case .recipientsMissing(let pattern): return "evidence.recipients is '\(pattern)', which does not exist"
        case .unreadableFile(let e): return e.description
        case .certificate(let e): return "\(e.operation): \(e.message)"
        case .signing(let e): return e.description
        case .signingNotEnabled: return "signing.required is true but git's commit.gpgSign is not"
        case .archive(let e): return e.description
        case .noRecipients(let pattern): return "no recipient certificates: evidence.recipients ('\(pattern)') matches no file"
        case .alreadySealed(let q, let tip): return "\(EvidenceRef.name(q)) already exists (\(tip.short)): \(q)'s evidence is sealed"
        case .folderMissing(let q, let folder): return "the evidence folder \(folder) is not there, so \(q)'s evidence cannot be sealed"
        case .folderMismatch(let q, let problems):
            return "\(q): the evidence folder does not match what is signed; nothing was sealed:\n  " + problems.joined(separator: "\n  ")
        case .sealFailed(let q, let e): return "sealing \(q)'s evidence: \(e)"
        case .digestFailed(let e): return "SHA-256 failed: \(e)"
        case .ref(let e): return e.description
        case .refNotSet(let signoff, let blob, let q, _, let e):
            return "the sign-off \(signoff.short) is made and names the sealed blob \(blob.short), but \(EvidenceRef.name(q)) could not be set (\(e))"
        case .notSealedHere(let q): return "\(q) has no sealed evidence here (no \(EvidenceRef.name(q)))"
        case .blobMissing(let q, let at): return "\(EvidenceRef.name(q)) (\(at.short)) has no \(EvidenceRef.blobPath(q)) blob in this repository"
        case .openRefused(let q, let e): return "\(q): \(e.message)"
        case .archiveRefused(let q, let blob, let e): return "\(q): the sealed archive in \(blob.short) is refused: \(e.description); nothing was written"
        case .nestedPath(let q, let path): return "\(q): the sealed archive holds '\(path)' in a subfolder; an evidence archive is flat; nothing was written"
        case .outNotEmpty(let path): return "\(path) exists and is not an empty folder"
        case .cannotCreate(let path, let code): return "cannot create \(path): \(String(cString: strerror(code)))"
        case .cannotWrite(let path, let code): return "cannot write \(path): \(String(cString: strerror(code)))"
        case .nothingToReseal(let q): return "\(q) has no sealed evidence (no \(EvidenceRef.name(q))) to reseal"
        case .recipientUnreadable(let q, let e): return "\(EvidenceRef.name(q)) holds an unreadable recipient certificate: \(e.message)"
        case .alreadyRecipient(let q, let name, let subject): return "\(name) (\(subject)) is already a recipient of \(q)'s sealed evidence; nothing was changed"
        case .resealMismatch(let q, let problems):
            return "\(q): the sealed evidence does not match the sign-off, so it is not resealed:\n  " + problems.joined(separator: "\n  ")
        case .retentionNotOver(let q, let ends, let years, let now):
            return "\(q)'s sealed evidence is kept until \(UTC.human(ends)) (evidence.retentionYears = \(years) from the hard close, runbook §5), \(UTC.span(ends.timeIntervalSince(now))) from now; nothing was disposed of"
        case .nothingToDispose(let q): return "\(q) has no sealed evidence here (no \(EvidenceRef.name(q))); nothing to dispose of"
        case .signoff(let e): return e.description
        case .recordUnwritable(let e): return e.description
        case .refNotDeleted(let q, let record, let branch, _, let e):
            return "the disposition record of \(q) is committed (\(record.short) on \(branch)), but \(EvidenceRef.name(q)) could not be deleted (\(e))"
        case .keyUnreadable(let path): return "cannot read the key \(path)"
        case .keyDoesNotOpen(let cause, let ref, let recipients): return "\(cause)\n\(ref) is sealed to: \(recipients.joined(separator: "; "))"
        case .verification(let e): return e.description
        }
    }
}
