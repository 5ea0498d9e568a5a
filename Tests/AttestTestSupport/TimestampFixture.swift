import Foundation
import AttestCore

/// Sign-off commits carrying an `Attest-Timestamp` token made with tools independent of
/// attest: the imprint bytes written out as docs/tsa.md defines them, hashed by
/// `openssl ts -query -data`, stamped by `openssl ts -reply` with a test TSA's keys under
/// `faketime` at a chosen TSA time, and committed with `git write-tree` / `git commit-tree`.
public enum TimestampFixture {
    /// How the token of a fixture sign-off is spoiled.
    public enum Damage: String, Sendable, CaseIterable {
        case none
        /// A token for other bytes than the sign-off's imprint.
        case otherImprint
        /// A good token with one byte of its signature flipped.
        case corrupted
        /// No Attest-Timestamp trailer at all.
        case missing
    }

    /// Commits `.attestconfig` (tsa.caFile, tsa.required, and tsa.url when given) and the CA
    /// file at `.attest/tsa/ca.pem`, copied from `caFile`.
    @discardableResult
    public static func configure(_ repo: ScratchRepository, caFile: String, required: Bool, url: String? = nil,
                                 date: String = "2026-09-01T10:00:00Z") -> String {
        let pem = try! String(contentsOfFile: caFile, encoding: .utf8)
        repo.write(".attest/tsa/ca.pem", pem)
        var config = "[tsa]\n\tcaFile = .attest/tsa/ca.pem\n\trequired = \(required)\n"
        if let url { config += "\turl = \(url)\n" }
        repo.write(".attestconfig", config)
        return repo.commitAll("trusted time: TSA CA and policy", date: date)
    }

    /// The imprint bytes of docs/tsa.md for a sign-off about to be committed from the index.
    public static func imprintText(quarter: String, path: String, blob: String, tree: String, parents: [String],
                                   evidence: String) -> String {
        var lines = ["attest-timestamp-imprint v1", "quarter \(quarter)", "document \(path)", "blob \(blob)", "tree \(tree)"]
        lines += parents.map { "parent \($0)" }
        lines.append("evidence \(evidence)")
        return lines.map { $0 + "\n" }.joined()
    }

    /// A token from `tsa`'s keys at `tsaTime` (UTC, "2026-10-07 12:00:00") for the SHA-256
    /// of `data`, made by `openssl ts` alone. Returns the DER token.
    public static func token(for data: Data, tsa: TestTSA, at tsaTime: String) -> Data {
        let dir = tsa.scratch.path + "/fixture-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/imprint.txt", contents: data)
        let env = ["TZ": "UTC", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let q = run("openssl", ["ts", "-query", "-data", dir + "/imprint.txt", "-sha256", "-cert", "-out", dir + "/q.tsq"], environment: env)
        precondition(q.status == 0, "openssl ts -query: \(q)")
        // `-f` without `@` freezes the clock: the token says tsaTime to the second however
        // slowly openssl runs on a loaded machine (`faketime TIME` alone lets it tick).
        let r = run("faketime", ["-f", tsaTime, "openssl", "ts", "-reply", "-config", tsa.scratch.path + "/tsa.cnf",
                                 "-queryfile", dir + "/q.tsq", "-token_out", "-out", dir + "/t.der"], environment: env)
        precondition(r.status == 0, "openssl ts -reply: \(r)")
        return try! Data(contentsOf: URL(fileURLWithPath: dir + "/t.der"))
    }

    /// Writes the quarter's file, stamps the sign-off's imprint with `tsa` at `tsaTime`, and
    /// commits it with git dates `date` on the current branch (SSH-signed with `signingKey` when
    /// given). Returns the commit id and the
    /// imprint's SHA-256 (hex, by `sha256sum`).
    @discardableResult
    public static func commit(in repo: ScratchRepository, quarter: String, date: String, tsa: TestTSA, tsaTime: String,
                              damage: Damage = .none, signingKey: String? = nil) -> (id: String, imprint: String) {
        let q = try! Quarter(parsing: quarter)
        let path = "docs/attestation-log/\(q).md"
        let manifest = String(repeating: "0f", count: 32)
        let body = SignoffFixture.document(quarter: q, manifest: manifest)
        repo.write(path, body)
        repo.git(["add", "-A"])
        let tree = repo.git(["write-tree"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let blob = repo.revParse(":" + path)
        let parent = repo.revParse("HEAD")
        let text = imprintText(quarter: quarter, path: path, blob: blob, tree: tree, parents: [parent], evidence: manifest)
        let imprint = SignoffFixture.sha256(Data(text.utf8))
        var timestamp: String?
        if damage != .missing {
            var token = token(for: Data((damage == .otherImprint ? text + "another sign-off\n" : text).utf8), tsa: tsa, at: tsaTime)
            if damage == .corrupted { token[token.count - 3] ^= 0x5A }
            timestamp = token.base64EncodedString()
        }
        let t = SignoffTrailers(quarter: q, result: .clean, documentPath: path, documentSHA256: SignoffFixture.sha256(Data(body.utf8)),
                                evidenceSHA256: manifest, timestamp: timestamp)
        let sign = signingKey.map { ["-c", "gpg.format=ssh", "-c", "user.signingKey=\($0)"] } ?? []
        let id = repo.git(sign + ["commit-tree", tree, "-p", parent] + (signingKey == nil ? [] : ["-S"]) + ["-F", "-"], env: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date],
                          stdin: Data(t.message.utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        repo.git(["update-ref", "HEAD", id])
        return (id, imprint)
    }

    /// The token of a commit extracted as docs/tsa.md tells an auditor:
    /// `git log -1 --format='%(trailers:key=Attest-Timestamp,valueonly)' REV | base64 -d > token.der`.
    public static func extractToken(_ repo: ScratchRepository, _ rev: String, to file: String) -> RunResult {
        run("sh", ["-c", "git log -1 --format='%(trailers:key=Attest-Timestamp,valueonly)' \"$1\" | base64 -d > \"$2\"", "sh", rev, file],
            cwd: repo.path, environment: repo.environment)
    }
}
