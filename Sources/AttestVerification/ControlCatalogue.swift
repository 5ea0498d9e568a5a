import Foundation
import AttestCore
import AttestGit
import AttestControls
import AttestCrypto

/// The catalogue of controls in force at a commit (issue #20, docs/controls.md): CC6.3 while the
/// departures list is in the commit's tree, and one control per `<controls.folder>/*.sql` file
/// as committed, with its SHA-256. The sign-off judge compares a document against the catalogue
/// at the sign-off's parent; audit can compare the catalogues of two commits to report a scope
/// change (a control file added or deleted).
public enum ControlCatalogue {
    /// One control file as committed.
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let sha256: String
    }

    /// The control files (path and SHA-256, in step order) and whether CC6.3 is in force at
    /// `commit`, without parsing the files: what changed between two commits is visible even when
    /// a file does not parse.
    public static func files(at commit: ObjectID, repository: Repository, policy: Policy) throws(VerificationError) -> (deprovisioning: Bool, files: [Entry]) {
        let raw = try contents(at: commit, repository: repository, policy: policy)
        var entries: [Entry] = []
        for f in raw.files {
            entries.append(Entry(path: f.path, sha256: (try? AttestCrypto.SHA256.hex(of: f.bytes)) ?? ""))
        }
        return (raw.departures, entries)
    }

    /// The catalogue at `commit`, parsed; an unreadable control file is an error naming it.
    public static func at(_ commit: ObjectID, repository: Repository, policy: Policy) throws(VerificationError) -> Catalogue {
        let raw = try contents(at: commit, repository: repository, policy: policy)
        do { return try ExtraControls.catalogue(files: raw.files, departuresPresent: raw.departures).0 } catch {
            throw .controlFileInvalid(commit: commit, cause: error)
        }
    }

    /// The judge's catalogue facts for a sign-off: the catalogue at `commit` (its parent), where
    /// it was read, or why it cannot be read.
    public static func judged(at commit: ObjectID, repository: Repository, policy: Policy) -> (catalogue: Catalogue?, origin: String, problem: String?) {
        do { return (try at(commit, repository: repository, policy: policy), commit.short, nil) } catch {
            return (nil, commit.short, error.description)
        }
    }

    /// The commit whose catalogue judges a sign-off: its first parent (a root commit: itself).
    public static func base(of raw: RawCommit, repository: Repository) -> ObjectID? {
        raw.parents.first.flatMap { repository.contains($0) ? $0 : nil } ?? (raw.parents.isEmpty ? raw.id : nil)
    }

    /// Fills the judge's facts with the catalogue at `commit`.
    public static func gather(into facts: inout SignoffFacts, commit: ObjectID, repository: Repository, policy: Policy) {
        (facts.catalogue, facts.catalogueOrigin, facts.catalogueProblem) = judged(at: commit, repository: repository, policy: policy)
    }

    /// The same for audit's commit facts.
    public static func gather(into commit: inout AuditCommit, raw: RawCommit, repository: Repository, policy: Policy) {
        guard let base = base(of: raw, repository: repository) else { return }
        (commit.catalogue, commit.catalogueOrigin, commit.catalogueProblem) = judged(at: base, repository: repository, policy: policy)
    }

    private static func contents(at commit: ObjectID, repository: Repository, policy: Policy) throws(VerificationError) -> (departures: Bool, files: [(path: String, bytes: Data)]) {
        do {
            let tree = try repository.commitLinks(commit).tree
            let folder = policy.controlsFolder
            let files = try repository.fileContents(inTree: tree, under: folder).filter { f in
                f.path.hasSuffix(".sql") && !f.path.dropFirst(folder.count + 1).contains("/")
            }
            let departures = try repository.blobID(at: policy.departuresFile, inCommit: commit) != nil
            return (departures, files.map { ($0.path, $0.contents) })
        } catch {
            throw .controlsUnreadable(commit: commit, cause: error)
        }
    }
}
