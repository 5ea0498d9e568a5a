import Foundation
import AttestCore

/// Sign-off commits made with plain git (not `attest sign`), so verify and the hooks can be
/// tested against commits whose every byte the test chose: the attestation file in the
/// documented format, trailers from `SignoffTrailers.message`, dates from GIT_*_DATE, and an
/// optional SSH signature by `ssh-keygen` through git itself.
public enum SignoffFixture {
    /// `sha256sum` of bytes (an independent implementation).
    public static func sha256(_ data: Data) -> String {
        String(run("sha256sum", ["-b", "-"], stdin: data).stdout.prefix(64))
    }

    /// An evidence folder: the seven files, `SHA256SUMS` (sha256sum format). Returns the
    /// digest of each step's file and of `SHA256SUMS`.
    @discardableResult
    public static func evidence(at folder: String, quarter: String = "2026-Q4") -> (steps: [Int: String], manifest: String) {
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var steps: [Int: String] = [:]
        var sums = ""
        for c in Controls.all {
            let data = Data("evidence of step \(c.step) for \(quarter)\n".utf8)
            _ = FileManager.default.createFile(atPath: folder + "/" + c.evidenceFile, contents: data)
            steps[c.step] = sha256(data)
            sums += "\(steps[c.step]!)  \(c.evidenceFile)\n"
        }
        _ = FileManager.default.createFile(atPath: folder + "/SHA256SUMS", contents: Data(sums.utf8))
        return (steps, sha256(Data(sums.utf8)))
    }

    /// A clean attestation file for a quarter under the default policy.
    public static func document(quarter q: Quarter, steps: [Int: String]? = nil, manifest: String? = nil,
                                schedule: Schedule = Schedule()) -> String {
        let w = schedule.window(for: q)
        let digest = String(repeating: "ab", count: 32)
        let rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | pass | `\(steps?[c.step] ?? digest)` |" }
        return """
        # SOC-2 quarterly attestation: \(q)

        | Field | Value |
        |---|---|
        | Quarter | \(q) |
        | Window opens | \(UTC.iso(w.opens)) |
        | Window closes | \(UTC.iso(w.closes)) |
        | Operator | Olive Operator |
        | Operator email | olive@example.com |
        | Date | \(UTC.day(w.target)) |
        | Result | clean |
        | Evidence manifest SHA-256 | \(manifest ?? String(repeating: "0f", count: 32)) |

        ## Steps

        | Step | Control | AICPA ref | Status | Evidence SHA-256 |
        |---|---|---|---|---|
        \(rows.joined(separator: "\n"))

        ## Findings

        | Step | Finding | Issue | Resolved |
        |---|---|---|---|

        ## Sign-off

        I, Olive Operator, confirm the above.

        """
    }

    /// Writes the quarter's file and commits it as a sign-off with plain git at `date`
    /// (author and committer), optionally SSH-signed with `signingKey`. Returns the commit id.
    @discardableResult
    public static func commit(in repo: ScratchRepository, quarter: String, date: String, text: String? = nil,
                              manifest: String? = nil, steps: [Int: String]? = nil, late: String? = nil, amends: String? = nil,
                              signingKey: String? = nil) -> String {
        let q = try! Quarter(parsing: quarter)
        let path = "docs/attestation-log/\(q).md"
        let manifest = manifest ?? String(repeating: "0f", count: 32)
        let body = text ?? document(quarter: q, steps: steps, manifest: manifest)
        repo.write(path, body)
        let t = SignoffTrailers(quarter: q, result: .clean, documentPath: path, documentSHA256: sha256(Data(body.utf8)),
                                evidenceSHA256: manifest, late: late, amends: amends)
        repo.git(["add", "-A"])
        var args = ["commit", "-q", "--allow-empty", "-F", "-"]
        if let signingKey { args = ["-c", "gpg.format=ssh", "-c", "user.signingKey=\(signingKey)"] + args + ["-S"] }
        repo.git(args, env: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date], stdin: Data(t.message.utf8))
        return repo.revParse("HEAD")
    }

    /// An ed25519 key made by ssh-keygen in the repository's HOME; returns the private key path.
    public static func sshKey(in repo: ScratchRepository, name: String = "id_ed25519") -> String {
        let path = repo.home + "/" + name
        if !FileManager.default.fileExists(atPath: path) {
            run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
        }
        return path
    }

    /// An allowed-signers line for a key: `principal namespaces="git" <type> <base64>`.
    public static func allowedSignersLine(key: String, principal: String = "olive@example.com", options: String = "namespaces=\"git\"") -> String {
        let pub = try! String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ")
        return "\(principal) \(options.isEmpty ? "" : options + " ")\(pub[0]) \(pub[1])"
    }
}
