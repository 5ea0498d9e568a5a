import Foundation
import AttestCore

/// Everything a report says about one commit, read from its raw object: the people, their
/// instants (with the time zone offset as written), the message and whether it carries a
/// signature (`gpgsig`).
public struct CommitDetails: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public var name: String
        public var email: String
        public var time: Date
        /// The offset as written in the commit, in minutes east of UTC.
        public var offsetMinutes: Int
    }

    public var id: String
    public var tree: String
    public var parents: [String]
    public var author: Signature
    public var committer: Signature
    public var message: String
    /// The commit carries a `gpgsig` header (OpenPGP, SSH or X.509).
    public var isSigned: Bool

    /// The details of a commit as `RawCommit` splits it (the one commit parser).
    init(_ raw: RawCommit) {
        func signature(_ p: RawCommit.Person) -> Signature {
            let z = p.zone.utf8.map { Int($0) - 0x30 }
            let minutes = (z[1] * 10 + z[2]) * 60 + z[3] * 10 + z[4]
            return Signature(name: p.name, email: p.email, time: p.date, offsetMinutes: p.zone.hasPrefix("-") ? -minutes : minutes)
        }
        id = raw.id.hex; tree = raw.tree.hex; parents = raw.parents.map(\.hex)
        author = signature(raw.author); committer = signature(raw.committer)
        message = raw.message; isSigned = raw.signature != nil || raw.hasOtherSignature
    }
}

extension FolderHistory {
    /// The full details of commit `i`. A commit whose headers do not parse is an error naming
    /// it, never a report with an empty name or the epoch.
    public func details(at i: Int) throws(GitError) -> CommitDetails {
        let id = ids[i]
        let bytes = try reader.withObject(id, "commit") { buf, _ in Array(buf) }
        do { return CommitDetails(try RawCommit.parse(id: id, bytes: bytes)) } catch {
            throw GitError(operation: "read commit \(id.short)", code: -1, message: error.message)
        }
    }
}
