import Foundation

/// The facts `attest audit` judges and the verdicts it reaches (issue #6, DESIGN.md §4.6).
///
/// The git layer gathers `AuditInput` in one walk of history; `Audit.evaluate` is pure: it
/// turns facts into a `AuditReport` and never touches git, the clock or the file system.

/// A quarter's verdict on its sign-off time.
public enum AuditVerdict: String, Sendable, Codable, CaseIterable {
    /// Signed inside the window (author and committer instants both).
    case onTime = "on-time"
    /// Signed after the hard close, declared with `Attest-Late` or not.
    case late
    /// Signed before the window opened.
    case early
    /// No sign-off commit for the quarter in the audited history.
    case missing
}

/// Something an auditor must look at. The period passes only when no quarter has any.
public enum AuditFlag: String, Sendable, Codable, CaseIterable {
    /// The signed file was changed after its sign-off (with or without `Attest-Amends`).
    case amended
    /// The signed file was deleted after its sign-off.
    case deleted
    /// Policy requires signatures and the sign-off carries none.
    case unsigned
    /// Policy requires signatures and the sign-off's signature does not verify.
    case badSignature = "bad-signature"
    /// Dates that do not add up: a committer date before a parent's, author and committer far
    /// apart, or a sign-off dated in the window that only entered history long after it.
    case dateAnomaly = "date-anomaly"
    /// The signed document does not parse, lacks steps, or disagrees with its trailers.
    case incompleteDocument = "incomplete-document"
    /// The sign-off records a `blocked` result.
    case blockedResult = "blocked-result"
    /// More than one sign-off commit for the quarter.
    case duplicateSignoff = "duplicate-signoff"
    /// With `--evidence-root`: the evidence folder's digests differ from the committed ones.
    case evidenceMismatch = "evidence-mismatch"
    /// The policy changed during the period (by its place in history, not its date): a window
    /// key, a requirement turned off, the allowed signers, the TSA CA, the control files.
    case policyChanged = "policy-changed"
    /// The sign-off's RFC 3161 token does not hold (another CA, another imprint, corrupted),
    /// or it has none and `tsa.required` is true: its time cannot be trusted.
    case untrustedTime = "untrusted-time"
}

/// A person and instant from a commit header.
public struct AuditPerson: Sendable, Equatable {
    public var name: String
    public var email: String
    public var time: Date
    /// The time zone offset as written in the commit, minutes east of UTC.
    public var offsetMinutes: Int
    public init(name: String, email: String, time: Date, offsetMinutes: Int = 0) {
        self.name = name; self.email = email; self.time = time; self.offsetMinutes = offsetMinutes
    }
}

/// What is known of a commit's signature. The git layer fills `good`/`bad` when it can verify
/// (against `signing.allowedSigners`); `present` means signed but not verified.
public enum SignatureState: Sendable, Equatable {
    case none
    case present
    case good(signer: String)
    case bad(reason: String)

    public var name: String {
        switch self {
        case .none: return "none"
        case .present: return "unverified"
        case .good: return "good"
        case .bad: return "bad"
        }
    }
}

/// How a commit changed the quarter's file.
public enum FileChange: String, Sendable, Codable {
    case added, modified, deleted
    /// A merge that takes the file from one of its parents unchanged (it brings another
    /// line's change in; it writes no content of its own).
    case merged
}

/// The commit a sign-off first reached history through: its earliest-dated descendant.
public struct FirstDescendant: Sendable, Equatable {
    public var id: String
    public var committerTime: Date
    /// It is a merge whose other parent carries commits that are not the sign-off's
    /// descendants: the sign-off sat on a side line until then.
    public var mergedFromSideLine: Bool
    public init(id: String, committerTime: Date, mergedFromSideLine: Bool) {
        self.id = id; self.committerTime = committerTime; self.mergedFromSideLine = mergedFromSideLine
    }
}

/// One commit that touched a quarter's file.
public struct AuditCommit: Sendable, Equatable {
    public var id: String
    public var parents: [String]
    public var author: AuditPerson
    public var committer: AuditPerson
    public var message: String
    /// The latest committer instant among the parents (nil for a root commit).
    public var latestParentCommitterTime: Date?
    public var change: FileChange
    /// The file's bytes after this commit (nil when deleted).
    public var document: Data?
    /// SHA-256 of `document`, lowercase hex.
    public var documentSHA256: String?
    /// The quarter's window under the policy at this commit (`.attestconfig` there, then `-c`).
    public var window: Window
    /// Why the policy at this commit could not be read, when it could not (defaults were used).
    public var policyProblem: String?
    public var signature: SignatureState
    /// Sign-off candidates of this quarter that this commit descends from.
    public var descendsFrom: Set<String>
    /// Sign-off candidates whose line this commit changes the file on: it descends from the
    /// candidate, and the file differs from a parent that is the candidate or descends from it.
    public var changesLineOf: Set<String>
    /// For sign-off candidates only: the earliest-dated descendant, if any.
    public var firstDescendant: FirstDescendant?
    /// For sign-off candidates only: the `Attest-Timestamp` token checked offline (filled by
    /// the command layer, which owns the crypto; `.absent` until then).
    public var timestamp: TimestampOutcome = .absent
    /// The policy in force when the commit was made (`SignoffRules.policyInForce`), filled by
    /// the git layer; nil in hand-built facts (then the audited revision's requirements apply).
    public var policy: Policy?
    /// For sign-off candidates only: the catalogue of controls in force at the parent (issue
    /// #20), filled by the command layer; nil until then (the catalogue is then not judged).
    public var catalogue: Catalogue?
    public var catalogueOrigin = "the parent commit"
    public var catalogueProblem: String?

    public init(id: String, parents: [String], author: AuditPerson, committer: AuditPerson, message: String,
                latestParentCommitterTime: Date?, change: FileChange, document: Data?, documentSHA256: String?,
                window: Window, policyProblem: String? = nil, signature: SignatureState = .none,
                descendsFrom: Set<String> = [], changesLineOf: Set<String> = [], firstDescendant: FirstDescendant? = nil) {
        self.id = id; self.parents = parents; self.author = author; self.committer = committer; self.message = message
        self.latestParentCommitterTime = latestParentCommitterTime; self.change = change; self.document = document
        self.documentSHA256 = documentSHA256; self.window = window; self.policyProblem = policyProblem
        self.signature = signature; self.descendsFrom = descendsFrom; self.changesLineOf = changesLineOf
        self.firstDescendant = firstDescendant
    }

    public var subject: String { String(message.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
    public var shortID: String { String(id.prefix(12)) }
}

/// Everything history says about one required quarter.
public struct QuarterHistory: Sendable {
    public var quarter: Quarter
    /// The file's path in the repository: `docs/attestation-log/2026-Q1.md`.
    public var path: String
    /// Every commit that touched the file, oldest first.
    public var commits: [AuditCommit]
    /// The file exists at the audited revision.
    public var presentAtRevision: Bool
    /// The quarter's window under the policy at the audited revision (used when nothing is signed).
    public var windowAtRevision: Window
    public init(quarter: Quarter, path: String, commits: [AuditCommit], presentAtRevision: Bool, windowAtRevision: Window) {
        self.quarter = quarter; self.path = path; self.commits = commits
        self.presentAtRevision = presentAtRevision; self.windowAtRevision = windowAtRevision
    }
}

/// A commit that changed window keys of `.attestconfig`.
public struct PolicyChange: Sendable, Equatable {
    public struct KeyChange: Sendable, Equatable {
        public var key: String, old: String, new: String
        /// Whether the change weakens the rule, when the git layer decided it (signers, CA,
        /// control files); nil: decided from the values (`Audit.weakened`).
        public var weakens: Bool?
        public init(key: String, old: String, new: String, weakens: Bool? = nil) { self.key = key; self.old = old; self.new = new; self.weakens = weakens }
    }
    public var commit: String
    public var committer: AuditPerson
    public var author: AuditPerson
    public var subject: String
    public var changes: [KeyChange]
    /// When the change entered history at the earliest: the latest committer time of it and
    /// its ancestors (issue #15: a policy change is placed by the graph, never by its own
    /// claimed date). nil in hand-built facts: the committer time.
    public var historyTime: Date?
    /// The latest committer time among its parents (a date set back is a date anomaly).
    public var latestParentCommitterTime: Date?
    /// Its `Attest-Policy-Change` trailers.
    public var named: [String] = []
    public init(commit: String, committer: AuditPerson, author: AuditPerson, subject: String, changes: [KeyChange]) {
        self.commit = commit; self.committer = committer; self.author = author; self.subject = subject; self.changes = changes
    }
    /// When it entered history (`historyTime`, else the committer time).
    public var placed: Date { historyTime ?? committer.time }
}

/// Digests recomputed from an evidence folder `YYYY-QN/` under `--evidence-root`.
public struct EvidenceDigests: Sendable, Equatable {
    public var folder: String
    /// SHA-256 of `SHA256SUMS`, nil when the folder or the file is missing.
    public var manifestSHA256: String?
    /// File name to SHA-256 of every regular file in the folder.
    public var files: [String: String]
    public init(folder: String, manifestSHA256: String?, files: [String: String]) {
        self.folder = folder; self.manifestSHA256 = manifestSHA256; self.files = files
    }
}

/// Which time a quarter's verdict rests on: git's own dates, or the time of a valid RFC 3161
/// token (`kind` "tsa", detail "TSA <subject> at <instant>").
public struct TimeBasis: Sendable, Equatable {
    public var kind: String
    public var detail: String
    public init(kind: String, detail: String) { self.kind = kind; self.detail = detail }
    public static let gitDates = TimeBasis(kind: "git-dates",
                                           detail: "git dates only (author and committer dates, set by whoever commits)")
    public static func tsa(subject: String, time: Date) -> TimeBasis {
        TimeBasis(kind: "tsa", detail: "TSA \(subject) at \(UTC.iso(time))")
    }
}

/// A commit whose folder subtree differs from a parent's, and the folder entries it changed.
public struct FolderCommit: Sendable, Equatable {
    public var id: String
    public var isMerge: Bool
    public var files: [String]
    public init(id: String, isMerge: Bool, files: [String]) { self.id = id; self.isMerge = isMerge; self.files = files }
}

public struct AuditInput: Sendable {
    public var from: Date
    public var to: Date
    /// The revision as given (`HEAD`) and the commit it resolved to.
    public var revision: String
    public var revisionID: String
    public var folder: String
    public var quarters: [QuarterHistory]
    public var policyChanges: [PolicyChange]
    /// Present when `--evidence-root` was given: one entry per quarter looked for.
    public var evidence: [Quarter: EvidenceDigests]?
    public var signatureRequired: Bool
    /// `tsa.required`: a sign-off without a valid token is flagged `untrusted-time`.
    public var tsaRequired = false
    public var maxDateSkewHours: Int
    /// How many commits the walk read, and how many touched the folder.
    public var commitsWalked: Int
    public var commitsTouchingFolder: Int
    /// Every commit that touched the folder, newest first (walk order).
    public var folderCommits: [FolderCommit]
    /// The repository is a shallow clone: what lies before its cut-off is not judged.
    public var shallow = false
    /// When the audit runs, for the judge's `future` rule (`.distantFuture`: not judged).
    public var now = Date.distantFuture

    public init(from: Date, to: Date, revision: String, revisionID: String, folder: String, quarters: [QuarterHistory],
                policyChanges: [PolicyChange] = [], evidence: [Quarter: EvidenceDigests]? = nil,
                signatureRequired: Bool = false, maxDateSkewHours: Int = 24, commitsWalked: Int = 0, commitsTouchingFolder: Int = 0,
                folderCommits: [FolderCommit] = []) {
        self.folderCommits = folderCommits
        self.from = from; self.to = to; self.revision = revision; self.revisionID = revisionID; self.folder = folder
        self.quarters = quarters; self.policyChanges = policyChanges; self.evidence = evidence
        self.signatureRequired = signatureRequired; self.maxDateSkewHours = maxDateSkewHours
        self.commitsWalked = commitsWalked; self.commitsTouchingFolder = commitsTouchingFolder
    }
}

/// One flag raised on a quarter, with the commit it is about and a sentence for the auditor.
public struct FlagDetail: Sendable, Equatable {
    public var flag: AuditFlag
    public var commit: String?
    public var detail: String
    public init(flag: AuditFlag, commit: String?, detail: String) { self.flag = flag; self.commit = commit; self.detail = detail }
}

public struct QuarterReport: Sendable {
    public var quarter: Quarter
    public var path: String
    /// The window the verdict used: the policy at the sign-off commit, or at the revision.
    public var window: Window
    public var verdict: AuditVerdict
    /// One sentence on the verdict: when it was signed, relative to which window.
    public var verdictDetail: String
    /// The `Attest-Late` reason, for a late sign-off that declared itself.
    public var lateReason: String?
    public var flags: [FlagDetail]
    public var signoff: AuditCommit?
    public var commits: [AuditCommit]
    public var timeBasis: TimeBasis

    /// The distinct flag names, in the order of `AuditFlag.allCases`.
    public var flagNames: [AuditFlag] {
        let present = Set(flags.map(\.flag))
        return AuditFlag.allCases.filter(present.contains)
    }

    public var passes: Bool { verdict == .onTime && flags.isEmpty }
}

public struct AuditReport: Sendable {
    public var from: Date
    public var to: Date
    public var revision: String
    public var revisionID: String
    public var folder: String
    public var quarters: [QuarterReport]
    public var policyChanges: [PolicyChange]
    public var evidenceChecked: Bool
    public var commitsWalked: Int
    public var commitsTouchingFolder: Int
    public var folderCommits: [FolderCommit]
    public var shallow = false

    /// The period passes only when every quarter is on time with no flags (and there is at
    /// least one quarter to judge).
    public var pass: Bool { !quarters.isEmpty && quarters.allSatisfy(\.passes) }
}
