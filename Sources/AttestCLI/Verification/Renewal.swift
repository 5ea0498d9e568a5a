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
enum Renewal {
    /// The trailer of a renewal commit: the token, base64 DER, like `Attest-Timestamp`.
    static let trailer = "Attest-Renewal"
    static let header = "attest-timestamp-renewal v1"

    static func root(policy: Policy) -> String { ValidationLayout.root(documentPath: policy.attestationFolder + "/YYYY-QN.md") }
    static func folder(policy: Policy) -> String { root(policy: policy) + "/renewals" }

    /// The imprint bytes of a renewal commit (docs/tsa.md): the header, the tree without the
    /// files the renewal adds under `.ltv`, each parent, each renewed file.
    static func imprintBytes(tree: ObjectID, parents: [ObjectID], renews: [TimestampImprint.Renewed]) -> Data {
        var lines = [header, "tree \(tree.hex)"] + parents.map { "parent \($0.hex)" }
        lines += renews.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }.map { "renews \($0.sha256) \($0.path)" }
        return Data(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// The SHA-256 a renewal commit's tokens must stamp, recomputed from the commit.
    static func imprint(of raw: RawCommit, root: String, repository: Repository) throws -> [UInt8] {
        let tree = try repository.imprintTree(of: raw.id, addedUnder: root)
        let renews = try TrustedTime.renewed(inTree: tree, root: root, repository: repository)
        return try SHA256.digest(of: imprintBytes(tree: tree, parents: raw.parents, renews: renews))
    }

    /// Fresh validation data for every token stored under `root` in `tree`, as files in
    /// `folder/refreshed/`. A token whose data cannot be refreshed is warned about, not refused.
    static func refreshed(tree: ObjectID, root: String, folder: String, anchor: (pem: Data, name: String),
                          repository: Repository, err: Output) -> [(path: String, contents: Data)] {
        guard let all = try? repository.fileContents(inTree: tree, under: root) else { return [] }
        var out: [(path: String, contents: Data)] = []
        for f in all where f.path.hasSuffix(".tst") {
            do {
                let data = try ValidationFetcher.refresh(token: f.contents, caPEM: anchor.pem, caName: anchor.name)
                out += ValidationLayout.files(token: f.contents, data: data).filter { !$0.name.hasSuffix(".tst") }
                    .map { (path: folder + "/refreshed/" + $0.name, contents: $0.contents) }
            } catch {
                err.line("warning: cannot refresh the validation data of \(f.path): \(error.description); it is renewed without fresh revocation data")
            }
        }
        return out
    }

    /// The tokens of a renewal commit, each checked (empty when it is not one).
    static func tokens(of raw: RawCommit, root: String, repository: Repository) -> [TrustedTime.Checked] {
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
    struct Coverage {
        let quarter: Quarter
        let commit: ObjectID
        /// "TSA … at …", or why no token of the sign-off verifies.
        let token: String
        /// Why the token no longer stands on its own (a compromised key), or nil.
        let weakness: String?
        /// The latest renewal that covers it (made before the weakness, if any).
        let coveredBy: String?
        /// Not verifiable on its own and not covered by a later renewal.
        let flagged: Bool

        var line: String {
            var s = "\(quarter): token of \(token)"
            if let weakness { s += "; \(weakness)" }
            if let coveredBy { s += weakness == nil ? "; latest renewal covering it: \(coveredBy)" : "; covered by \(coveredBy)" }
            else if !flagged { s += "; not yet covered by a later renewal" }
            if flagged { s += weakness == nil ? "" : "; no renewal made before then covers it: its trusted time rests on git dates only. FLAG" }
            return s
        }
    }

    /// A commit whose tokens renew what its imprint lists.
    struct Renewer {
        let name: String
        let time: Date
        let authority: String
        /// The token digests its imprint covers.
        let covers: Set<String>
    }

    /// Whether anything is stored under `.ltv` at HEAD (else there is nothing to report).
    static func anyStored(root: String, repository: Repository) -> Bool {
        guard let head = repository.headCommit, let tree = try? repository.commitLinks(head).tree,
              let files = try? repository.fileContents(inTree: tree, under: root) else { return false }
        return files.contains { $0.path.hasSuffix(".tst") }
    }

    /// Per quarter, the latest sign-off's token and its renewals, from HEAD's history.
    static func coverage(root: String, repository: Repository) throws(AttestError) -> [Coverage] {
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
        } catch { throw .environment("cannot walk history for renewals: \(error.message)") }
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

    /// The section audit appends to its text and markdown reports.
    static func section(_ entries: [Coverage], markdown: Bool) -> String {
        guard !entries.isEmpty else { return "" }
        var out = markdown ? "\n## Timestamp renewals\n\n" : "\nTimestamp renewals (docs/tsa.md):\n"
        for e in entries { out += (markdown ? "- " + MarkdownReport.text(e.line) : "  " + e.line) + "\n" }
        let flagged = entries.filter(\.flagged).map(\.quarter.description)
        if !flagged.isEmpty {
            out += "\n" + (markdown ? "**FAIL**" : "FAIL") + ": the trusted time of \(flagged.joined(separator: ", ")) is no longer proven by a token or a renewal covering it\n"
        }
        return out
    }

    static func json(_ entries: [Coverage]) -> [[String: Any]] {
        entries.map { e in
            ["quarter": e.quarter.description, "commit": e.commit.hex, "token": e.token, "weakness": e.weakness as Any? ?? NSNull(),
             "coveredBy": e.coveredBy as Any? ?? NSNull(), "flagged": e.flagged, "line": e.line]
        }
    }
}

/// Audit's renewal section (docs/tsa.md, "Renewal"): a section of the text, markdown and HTML
/// reports, a `renewals` array in JSON.
enum RenewalReport {
    /// The coverage at HEAD; empty when no token is stored under `.ltv`.
    static func coverage(policy: Policy, repository: Repository) throws(AttestError) -> [Renewal.Coverage] {
        let root = Renewal.root(policy: policy)
        guard Renewal.anyStored(root: root, repository: repository) else { return [] }
        return try Renewal.coverage(root: root, repository: repository)
    }

    static func append(_ entries: [Renewal.Coverage], to text: inout String, format: AuditCommand.Format) {
        guard !entries.isEmpty else { return }
        switch format {
        case .text: text += Renewal.section(entries, markdown: false)
        case .markdown: text += Renewal.section(entries, markdown: true)
        case .html:
            guard let end = text.range(of: "</body>", options: .backwards) else { return }
            text.insert(contentsOf: html(entries), at: end.lowerBound)
        case .json:
            guard var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
            object["renewals"] = Renewal.json(entries)
            text = JSONText.encode(object) + "\n"
        }
    }

    /// The HTML section: one row per quarter, the same facts as the text line.
    static func html(_ entries: [Renewal.Coverage]) -> String {
        let e = TimelineSVG.esc
        var s = "<section id=\"renewals\">\n<h2>Timestamp renewals</h2>\n<p>Each later token renews the tokens stored before it (docs/tsa.md, \"Renewal\").</p>\n"
        s += "<div class=\"scroll\"><table>\n<tr><th>Quarter</th><th>Sign-off</th><th>Token</th><th>Weakness</th><th>Covered by</th><th>Result</th></tr>\n"
        for x in entries {
            let cover = x.coveredBy ?? (x.flagged ? "none" : "not yet covered by a later renewal")
            s += "<tr id=\"renewal-\(x.quarter)\"><td>\(x.quarter)</td><td><code>\(x.commit.short)</code></td><td>\(e(x.token))</td><td>\(e(x.weakness ?? "none"))</td>"
            s += "<td\(x.flagged ? " class=\"bad\"" : "")>\(e(cover))</td><td\(x.flagged ? " class=\"bad\"" : "")>\(x.flagged ? "✖ FAIL: trusted time rests on git dates only" : "✔ stands")</td></tr>\n"
        }
        s += "</table></div>\n"
        let flagged = entries.filter(\.flagged).map(\.quarter.description)
        if !flagged.isEmpty {
            s += "<p class=\"result fail\">✖ FAIL: the trusted time of \(e(flagged.joined(separator: ", "))) is no longer proven by a token or a renewal covering it</p>\n"
        }
        return s + "</section>\n"
    }
}
