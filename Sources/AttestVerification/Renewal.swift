import Foundation
import AttestCore
import AttestGit
import AttestCrypto

/// Renewal: each new token seals the ones before (docs/tsa.md, "Renewal"; RFC 4998's idea).
///
/// Every token's imprint lists, with their SHA-256, the files stored under the `.ltv` folder
/// before it: the earlier tokens (`<digest>.tst`) and their validation data. A token whose TSA
/// certificate later expires, is revoked or whose key is reported compromised is then still
/// proven to have existed, as stored, at the later token's time. A sign-off renews; so does
/// `attest timestamp renew` (a commit with a token and no sign-off). Each renewal also stores
/// fresh revocation data for every earlier token (`<folder>/refreshed/<digest>.*`).
public enum Renewal {
    /// The trailer of a renewal commit: the token, base64 DER, like `Attest-Timestamp`.
    public static let trailer = "Attest-Renewal"
    public static let header = "attest-timestamp-renewal v1"

    public static func root(policy: Policy) -> String { ValidationLayout.root(documentPath: policy.attestationFolder + "/YYYY-QN.md") }
    public static func folder(policy: Policy) -> String { root(policy: policy) + "/renewals" }

    /// The imprint bytes of a renewal commit (docs/tsa.md): the header, the tree without the
    /// files the renewal adds under `.ltv`, each parent, each renewed file.
    public static func imprintBytes(tree: ObjectID, parents: [ObjectID], renews: [TimestampImprint.Renewed]) -> Data {
        var lines = [header, "tree \(tree.hex)"] + parents.map { "parent \($0.hex)" }
        lines += renews.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }.map { "renews \($0.sha256) \($0.path)" }
        return Data(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// The SHA-256 a renewal commit's tokens must stamp, recomputed from the commit.
    public static func imprint(of raw: RawCommit, root: String, repository: Repository) throws -> [UInt8] {
        let tree = try repository.imprintTree(of: raw.id, addedUnder: root)
        let renews = try TrustedTime.renewed(inTree: tree, root: root, repository: repository)
        return try SHA256.digest(of: imprintBytes(tree: tree, parents: raw.parents, renews: renews))
    }

    /// The tokens of a renewal commit, each checked (empty when it is not one).
    public static func tokens(of raw: RawCommit, root: String, repository: Repository) -> [TrustedTime.Checked] {
        guard let text = Trailers.parse(raw.message).first(where: { $0.key == trailer })?.value else { return [] }
        guard let token = Data(base64Encoded: text), !token.isEmpty else {
            return [.other(.invalid("corrupted timestamp token: the \(trailer) trailer is not base64"))]
        }
        let folder = root + "/renewals"
        let others = ((try? repository.filesAdded(by: raw.id, under: folder)) ?? []).filter { $0.hasSuffix(".tst") && !$0.contains("/refreshed/") }
            .compactMap { try? repository.blob(at: $0, inCommit: raw.id) }.filter { $0 != token }
        return ([token] + others).map { t in
            TrustedTime.verifyToken(raw, token: t, folder: folder, root: root, repository: repository) {
                try imprint(of: raw, root: root, repository: repository)
            }
        }
    }

    // MARK: - what audit reports

    /// One quarter's latest sign-off token and the renewals that cover it.
    public struct Coverage {
        public let quarter: Quarter
        public let commit: ObjectID
        /// "TSA … at …", or why no token of the sign-off verifies.
        public let token: String
        /// Why the token no longer stands on its own (a compromised key), or nil.
        public let weakness: String?
        /// The latest renewal that covers it (made before the weakness, if any).
        public let coveredBy: String?
        /// Not verifiable on its own and not covered by a later renewal.
        public let flagged: Bool

        public var line: String {
            var s = "\(quarter): token of \(token)"
            if let weakness { s += "; \(weakness)" }
            if let coveredBy { s += weakness == nil ? "; latest renewal covering it: \(coveredBy)" : "; covered by \(coveredBy)" }
            else if !flagged { s += "; not yet covered by a later renewal" }
            if flagged { s += weakness == nil ? "" : "; no renewal made before then covers it: its trusted time rests on git dates only. FLAG" }
            return s
        }
    }

    /// A commit whose tokens renew what its imprint lists.
    public struct Renewer {
        public let name: String
        public let time: Date
        public let authority: String
        /// The token digests its imprint covers.
        public let covers: Set<String>
    }

    /// Whether anything is stored under `.ltv` at HEAD (else there is nothing to report).
    public static func anyStored(root: String, repository: Repository) -> Bool {
        guard let head = repository.headCommit, let tree = try? repository.commitLinks(head).tree,
              let files = try? repository.fileContents(inTree: tree, under: root) else { return false }
        return files.contains { $0.path.hasSuffix(".tst") }
    }

    /// Per quarter, the latest sign-off's token and its renewals, from HEAD's history.
    public static func coverage(root: String, repository: Repository) throws(VerificationError) -> [Coverage] {
        guard let head = repository.headCommit else { return [] }
        var latest: [Quarter: (RawCommit, [TrustedTime.Checked])] = [:]
        var renewers: [Renewer] = []
        do {
            try repository.walk(from: [head], hiding: []) { id throws(GitError) in
                guard try repository.messageMentionsAttest(id) else { return true }
                let raw = try repository.rawCommit(id)
                var checks: [TrustedTime.Checked] = []
                var name = "the renewal commit \(id.short)"
                if let t = try? SignoffTrailers.parse(message: raw.message), t.timestamp != nil {
                    checks = TrustedTime.tokens(of: raw, repository: repository)
                    name = "\(t.quarter)'s renewal (sign-off \(id.short))"
                    if latest[t.quarter] == nil { latest[t.quarter] = (raw, checks) }
                } else {
                    checks = tokens(of: raw, root: root, repository: repository)
                }
                guard !checks.isEmpty else { return true }
                let imprintTree = try repository.imprintTree(of: id, addedUnder: root)
                let covered = Set(try repository.fileContents(inTree: imprintTree, under: root).map(\.path)
                    .filter { $0.hasSuffix(".tst") && !$0.contains("/refreshed/") }
                    .map { String(($0 as NSString).lastPathComponent.dropLast(4)) })
                for case .valid(let time, let authority, let long) in checks where long?.compromise == nil {
                    renewers.append(Renewer(name: name, time: time, authority: authority, covers: covered))
                }
                return true
            }
        } catch { throw .renewalHistoryUnreadable(cause: error) }
        return latest.keys.sorted().map { q in
            let (raw, checks) = latest[q]!
            let digests = Set(checks.compactMap { c -> String? in
                if case .valid(_, _, let l?) = c { return ValidationLayout.digest(of: l.stamp.token) }
                return nil
            } + ((try? SignoffTrailers.parse(message: raw.message))??.timestamp.flatMap { Data(base64Encoded: $0) }.map { [ValidationLayout.digest(of: $0)] } ?? []))
            let valid = checks.compactMap { c -> (Date, String, LongTermStamp?)? in
                if case .valid(let t, let a, let l) = c { return (t, a, l) }
                return nil
            }
            let sound = valid.first { $0.2?.compromise == nil }
            let covering = renewers.filter { !$0.covers.isDisjoint(with: digests) && $0.time > (valid.map(\.0).min() ?? .distantPast) }
            func describe(_ r: Renewer) -> String { "\(r.name), TSA \(r.authority) at \(UTC.iso(r.time))" }
            if let sound {
                let by = covering.max { $0.time < $1.time }
                return Coverage(quarter: q, commit: raw.id, token: "TSA \(sound.1) at \(UTC.iso(sound.0))", weakness: nil,
                                coveredBy: by.map(describe), flagged: false)
            }
            guard let weak = valid.first, let c = weak.2?.compromise else {
                let why = checks.compactMap { c -> String? in if case .other(.invalid(let w)) = c { return w }; return nil }.joined(separator: "; ")
                return Coverage(quarter: q, commit: raw.id, token: "sign-off \(raw.id.short), which does not verify: \(why)", weakness: nil,
                                coveredBy: nil, flagged: true)
            }
            let by = covering.filter { $0.time < c.time }.max { $0.time < $1.time }
            return Coverage(quarter: q, commit: raw.id, token: "TSA \(weak.1) at \(UTC.iso(weak.0))",
                            weakness: "its TSA certificate was revoked \(UTC.iso(c.time)) (\(c.reason)), a compromised key: on its own it no longer proves its time (RFC 3161 §4)",
                            coveredBy: by.map(describe), flagged: by == nil)
        }
    }
}
