import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// `attest verify` on sign-off commits made with plain git, with `git verify-commit` as the
/// oracle for every signature case.
@Suite struct VerifyCLITests {
    static let now = "2026-10-03 12:00:00"
    static let inWindow = "2026-10-02T09:30:00Z"

    /// A repository whose policy requires signatures, with one allowed signer (key `a`).
    func signedRepo() -> (ScratchRepository, key: String, other: String, signers: String) {
        let repo = ScratchRepository("verify")
        let a = SignoffFixture.sshKey(in: repo, name: "a"), b = SignoffFixture.sshKey(in: repo, name: "b")
        repo.write(".attestconfig", "[signing]\n\trequired = true\n")
        let signers = repo.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n")
        repo.write("README.md", "compliance\n")
        repo.commitAll("init", date: "2026-09-01T10:00:00Z")
        return (repo, a, b, signers)
    }

    func gitVerify(_ repo: ScratchRepository, _ id: String, signers: String) -> Int32 {
        repo.git(["-c", "gpg.ssh.allowedSignersFile=\(signers)", "verify-commit", id], check: false).status
    }

    /// Rewrites a commit object's bytes and stores the result; returns the new id.
    func rewrite(_ repo: ScratchRepository, _ id: String, _ change: (String) -> String) -> String {
        let raw = repo.git(["cat-file", "commit", id]).stdout
        return repo.git(["hash-object", "-t", "commit", "-w", "--stdin"], stdin: Data(change(raw).utf8)).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func goodSSHSignaturePassesAndGitAgrees() throws {
        let (repo, a, _, signers) = signedRepo()
        let id = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("ok: commit \(id.prefix(12)) 2026-Q4 sign-off (clean): every rule holds"))
        #expect(r.stdout.contains("note: signed by olive@example.com (ssh-ed25519 SHA256:"))
        #expect(gitVerify(repo, id, signers: signers) == 0)
    }

    @Test func keyNotInAllowedSignersFailsAndGitAgrees() {
        let (repo, _, b, signers) = signedRepo()
        let id = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, signingKey: b)
        let r = repo.attest(["verify", id], at: Self.now)
        #expect(r.status == 1)
        #expect(r.stdout.contains("[signature] the signature does not hold: the key ssh-ed25519 SHA256:"), "\(r)")
        #expect(r.stdout.contains("is not in .attest/allowed_signers"))
        #expect(gitVerify(repo, id, signers: signers) != 0)
    }

    @Test func tamperedPayloadFailsAndGitAgrees() {
        let (repo, a, _, signers) = signedRepo()
        let good = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        let bad = rewrite(repo, good) { $0.replacingOccurrences(of: "olive@example.com> 1790933400 +0000\ncommitter", with: "olive@example.com> 1790933401 +0000\ncommitter") }
        #expect(bad != good)
        let r = repo.attest(["verify", bad], at: Self.now)
        #expect(r.status == 1)
        #expect(r.stdout.contains("[signature] the signature does not hold: the ssh-ed25519 signature by SHA256:"), "\(r)")
        #expect(r.stdout.contains("does not match the signed data"))
        #expect(gitVerify(repo, bad, signers: signers) != 0)
    }

    @Test func signatureMovedIntoBodyFailsAndGitAgrees() {
        let (repo, a, _, signers) = signedRepo()
        let good = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        let moved = rewrite(repo, good) { raw in
            var lines = raw.components(separatedBy: "\n")
            let start = lines.firstIndex { $0.hasPrefix("gpgsig ") }!
            var end = start + 1
            while lines[end].hasPrefix(" ") { end += 1 }
            let sig = Array(lines[start..<end])
            lines.removeSubrange(start..<end)
            // Put the block between the subject and the trailers, where git never reads it.
            let blank = lines.firstIndex(of: "")!
            lines.insert(contentsOf: [""] + sig, at: blank + 2)
            return lines.joined(separator: "\n")
        }
        let r = repo.attest(["verify", moved], at: Self.now)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("[signature] the commit is not signed and signing.required is true"), "\(r)")
        #expect(gitVerify(repo, moved, signers: signers) != 0)
        #expect(repo.git(["cat-file", "commit", moved]).stdout.contains("\ngpgsig -----BEGIN SSH SIGNATURE-----"))
    }

    @Test func truncatedArmorFailsAndGitAgrees() {
        let (repo, a, _, signers) = signedRepo()
        let good = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        let cut = rewrite(repo, good) { raw in
            var lines = raw.components(separatedBy: "\n")
            let end = lines.firstIndex { $0 == " -----END SSH SIGNATURE-----" }!
            lines.removeSubrange((end - 1)...end)
            return lines.joined(separator: "\n")
        }
        let r = repo.attest(["verify", cut], at: Self.now)
        #expect(r.status == 1)
        #expect(r.stdout.contains("[signature] the signature does not hold: the signature armor is truncated: no -----END SSH SIGNATURE----- line"), "\(r)")
        #expect(gitVerify(repo, cut, signers: signers) != 0)
    }

    @Test func unsignedPassesWhenPolicyAllowsAndFailsWhenRequired() {
        let repo = ScratchRepository("verify-unsigned")
        let id = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow)
        #expect(repo.attest(["verify"], at: Self.now).status == 0)
        let r = repo.attest(["-c", "signing.required=true", "verify", id], at: Self.now)
        #expect(r.status == 1 && r.stdout.contains("[signature] the commit is not signed"))
    }

    @Test func datesOutsideTheWindowAndOrder() {
        let repo = ScratchRepository("verify-dates")
        repo.commitAll("init", date: "2026-10-05T00:00:00Z")
        let late = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-07T08:00:00Z")
        let r = repo.attest(["verify", late], at: "2026-10-08 00:00:00")
        #expect(r.status == 1)
        #expect(r.stdout.contains("[window-committer] the committer date 2026-10-07 08:00:00 UTC is after the 2026-Q4 hard close (2026-10-06 23:59:59 UTC); to fix: a sign-off after the hard close must be declared late"), "\(r)")
        #expect(r.stdout.contains("[window-author]"))
        // Before the parent's committer date, and in the future.
        let back = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-03T00:00:00Z")
        let b = repo.attest(["verify", back], at: "2026-10-02 00:00:00")
        #expect(b.stdout.contains("[committer-order]"), "\(b)")
        #expect(b.stdout.contains("[future] the committer date 2026-10-03 00:00:00 UTC is in the future"))
        // Declared late: holds, and says so.
        let declared = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-08T08:00:00Z", late: "DBA out sick")
        let d = repo.attest(["verify", declared], at: "2026-10-08 09:00:00")
        #expect(d.status == 0, "\(d)")
        #expect(d.stdout.contains("note: late: the committer date 2026-10-08 08:00:00 UTC is after the hard close"))
    }

    @Test func documentAndTrailerMismatches() {
        let repo = ScratchRepository("verify-doc")
        let q = try! Quarter(parsing: "2026-Q4")
        let edited = SignoffFixture.document(quarter: q).replacingOccurrences(of: "| 7 | Access change control | CC6.7 | pass |", with: "| 7 | Access change control | CC6.7 | finding |")
        let id = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, text: edited)
        let r = repo.attest(["verify", id, "--json"], at: Self.now)
        #expect(r.status == 1)
        let obj = try! JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let rules = (obj["violations"] as! [[String: Any]]).map { $0["rule"] as! String }
        #expect(rules.contains("document-content"), "\(r.stdout)")
        #expect(obj["holds"] as? Bool == false && obj["quarter"] as? String == "2026-Q4")
        // The file changed after signing: digest mismatch.
        repo.write("docs/attestation-log/2026-Q4.md", SignoffFixture.document(quarter: q) + "\nedited\n")
        repo.git(["commit", "-q", "-a", "--amend", "--no-edit"], env: ["GIT_COMMITTER_DATE": Self.inWindow])
        let m = repo.attest(["verify"], at: Self.now)
        #expect(m.stdout.contains("[document-digest] docs/attestation-log/2026-Q4.md has SHA-256"), "\(m)")
    }

    @Test func evidenceFolderIsRecomputed() {
        let repo = ScratchRepository("verify-evidence")
        let folder = repo.scratch.path + "/evidence/2026-Q4"
        let ev = SignoffFixture.evidence(at: folder)
        SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, manifest: ev.manifest, steps: ev.steps)
        let ok = repo.attest(["verify", "--evidence", folder], at: Self.now)
        #expect(ok.status == 0, "\(ok)")
        _ = FileManager.default.createFile(atPath: folder + "/CC8.1-hmac-chain-monthly.csv", contents: Data("altered\n".utf8))
        let bad = repo.attest(["verify", "--evidence", folder], at: Self.now)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("[evidence] \(folder)/SHA256SUMS does not match: CC8.1-hmac-chain-monthly.csv has SHA-256"), "\(bad)")
        #expect(bad.stdout.contains("[evidence] \(folder)/CC8.1-hmac-chain-monthly.csv has SHA-256"))
    }

    @Test func notASignoffAndNoSignoff() {
        let repo = ScratchRepository("verify-none")
        repo.commitAll("plain")
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 1 && r.stderr.contains("error: no sign-off commit is reachable from HEAD"))
        let n = repo.attest(["verify", "HEAD"], at: Self.now)
        #expect(n.status == 1 && n.stderr.contains("is not a sign-off"))
        let u = repo.attest(["verify", "nope"], at: Self.now)
        #expect(u.status == 2 && u.stderr.contains("error: 'nope' is not a commit"))
    }
}
