import Foundation
import AttestCore
internal import CGit2

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

    /// Parses a raw commit object. Malformed identity lines give empty names and the epoch,
    /// never a crash: history is input like any other.
    static func parse(id: String, raw: UnsafeBufferPointer<UInt8>) -> CommitDetails {
        let text = String(decoding: raw, as: UTF8.self)
        var headers = Substring(text)
        var message = ""
        if let r = text.range(of: "\n\n") {
            headers = text[..<r.lowerBound]
            message = String(text[r.upperBound...])
        }
        var tree = "", parents: [String] = [], signed = false
        let empty = Signature(name: "", email: "", time: Date(timeIntervalSince1970: 0), offsetMinutes: 0)
        var author = empty, committer = empty
        for line in headers.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("tree ") { tree = String(line.dropFirst(5)) }
            else if line.hasPrefix("parent ") { parents.append(String(line.dropFirst(7))) }
            else if line.hasPrefix("author ") { author = parseSignature(line.dropFirst(7)) ?? empty }
            else if line.hasPrefix("committer ") { committer = parseSignature(line.dropFirst(10)) ?? empty }
            else if line.hasPrefix("gpgsig ") || line.hasPrefix("gpgsig-sha256 ") { signed = true }
        }
        return CommitDetails(id: id, tree: tree, parents: parents, author: author, committer: committer,
                             message: message, isSigned: signed)
    }

    /// `Name <email> 1767261600 +0100`
    static func parseSignature(_ s: Substring) -> Signature? {
        guard let lt = s.lastIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else { return nil }
        let name = s[..<lt].trimmingCharacters(in: .whitespaces)
        let email = String(s[s.index(after: lt)..<gt])
        let rest = s[s.index(after: gt)...].split(separator: " ")
        guard let t = rest.first.flatMap({ Int64($0) }) else { return nil }
        var offset = 0
        if rest.count > 1, let tz = Int(rest[1].dropFirst()), rest[1].count == 5 {
            offset = (tz / 100 * 60 + tz % 100) * (rest[1].hasPrefix("-") ? -1 : 1)
        }
        return Signature(name: name, email: email, time: Date(timeIntervalSince1970: TimeInterval(t)), offsetMinutes: offset)
    }
}

extension FolderHistory {
    /// The full details of commit `i`.
    public func details(at i: Int) throws(GitError) -> CommitDetails {
        let id = ids[i]
        return try reader.withObject(id, "commit") { buf, _ in CommitDetails.parse(id: id.hex, raw: buf) }
    }
}
