import Foundation
import Testing
import AttestTestSupport

/// `attest render` then `attest sign`, run as the built binary under faketime, checked with git.
@Suite struct SignCommandTests {
    let doc = "docs/attestation-log/2026-Q4.md"

    /// A repository with 2026-Q4 evidence (step 6 a finding) rendered with its issue link.
    func rendered(statuses: [String]? = nil, issue: Bool = true) -> ComplianceRepo {
        let c = ComplianceRepo()
        var s = Array(repeating: "pass", count: 7); s[5] = "finding"
        c.evidence(statuses: statuses ?? s)
        let r = c.attest(["render", "--quarter", "2026-Q4"] + (issue ? ["--issue", "6=#482"] : []), at: "2026-10-02 09:30:00")
        #expect(r.status == 0, "\(r)")
        return c
    }

    @Test func signInsideTheWindow() throws {
        let c = rendered()
        c.write("other.txt", "staged, not part of the sign-off\n")
        c.git(["add", "other.txt"])
        let before = c.head()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("\n  steps: 6 passed, 1 with a finding\n"), "\(r)")
        let after = c.head()
        // Exactly one new commit, on top of the old HEAD.
        #expect(c.git(["rev-list", "--count", "\(before)..\(after)"]).stdout == "1\n")
        #expect(c.git(["rev-parse", "HEAD~1"]).stdout == before + "\n")
        // Its tree differs from its parent only at the attestation file.
        #expect(c.git(["diff", "--name-only", "HEAD~1", "HEAD"]).stdout == doc + "\n")
        #expect(c.git(["show", "HEAD:\(doc)"]).stdout == c.read(doc))
        // Trailers, read by git itself.
        let message = c.git(["log", "-1", "--format=%B"]).stdout
        #expect(message.hasPrefix("ops(compliance): Q4 2026 SOC-2 attestation sign-off\n"))
        let trailers = c.git(["interpret-trailers", "--parse"], stdin: message).stdout
        let docDigest = c.sha256(c.path + "/" + doc)
        let manifest = c.sha256(c.path + "/evidence/2026-Q4/SHA256SUMS")
        #expect(trailers == """
        Attest-Quarter: 2026-Q4
        Attest-Result: qualified
        Attest-Document: \(doc) \(docDigest)
        Attest-Evidence: \(manifest)

        """)
        // Author and committer dates are the faked instant.
        #expect(c.git(["log", "-1", "--format=%ad|%cd", "--date=iso-strict-local"], env: ["TZ": "UTC"]).stdout == "2026-10-04T12:00:00+00:00|2026-10-04T12:00:00+00:00\n")
        #expect(c.git(["log", "-1", "--format=%an <%ae>"]).stdout == "Olive Operator <olive@example.com>\n")
        // The file is clean in git status; what else was staged stays staged and uncommitted.
        let status = c.git(["status", "--porcelain"]).stdout
        #expect(!status.contains("attestation-log"), "\(status)")
        #expect(status.contains("A  other.txt"), "\(status)")
        #expect(c.git(["diff", "--cached", "--name-only"]).stdout == "other.txt\n")
        // Where in the window it fell.
        #expect(r.stdout.contains("2026-Q4: qualified, commit \(after)"), "\(r.stdout)")
        #expect(r.stdout.contains("2 days, 11 hours before hard close"), "\(r.stdout)")
        #expect(c.git(["fsck", "--no-dangling"]).status == 0)

        // status now knows.
        let st = c.attest(["status"], at: "2026-10-05 08:00:00")
        #expect(st.stdout.contains("signed off on HEAD in \(after.prefix(12)) at 2026-10-04 12:00:00 UTC, qualified, on time"), "\(st)")
        // A second sign-off of the quarter is refused.
        c.write(doc, c.read(doc) + "\nA note.\n")
        let again = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-05 08:00:00")
        #expect(again.status == 1)
        #expect(again.stderr.contains("2026-Q4 is already signed off on main in \(after.prefix(12))"), "\(again)")
        #expect(c.head() == after)
        // ... unless it is an amendment, which names the commit it amends.
        let amend = c.attest(["sign", "--quarter", "2026-Q4", "--amends", "added a note"], at: "2026-10-05 08:00:00")
        #expect(amend.status == 0, "\(amend)")
        let amendTrailers = c.git(["interpret-trailers", "--parse"], stdin: c.git(["log", "-1", "--format=%B"]).stdout).stdout
        #expect(amendTrailers.contains("Attest-Amends: \(after)\n"), "\(amendTrailers)")
        #expect(c.git(["log", "-1", "--format=%b"]).stdout.contains("Amends \(after.prefix(12)): added a note"))
    }

    @Test func afterTheHardCloseRefusedThenLate() throws {
        let c = rendered()
        let head = c.head()
        let index = try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index"))
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-07 00:00:00")
        #expect(r.status == 1)
        #expect(r.stderr.contains("2026-Q4's hard close was 2026-10-06 23:59:59 UTC, 1 second ago"), "\(r)")
        #expect(r.stderr.contains("--late --reason"))
        #expect(c.head() == head)
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")) == index)

        let late = c.attest(["sign", "--quarter", "2026-Q4", "--late", "--reason", "DBA out sick; approved in #501"], at: "2026-10-07 00:00:00")
        #expect(late.status == 0, "\(late)")
        #expect(c.git(["rev-parse", "HEAD~1"]).stdout == head + "\n")
        let trailers = c.git(["interpret-trailers", "--parse"], stdin: c.git(["log", "-1", "--format=%B"]).stdout).stdout
        #expect(trailers.contains("Attest-Late: DBA out sick; approved in #501\n"), "\(trailers)")
        #expect(late.stdout.contains("LATE: 1 second after hard close"), "\(late.stdout)")
        #expect(!late.stdout.contains("before hard close"))
        let st = c.attest(["status"], at: "2026-10-08 00:00:00")
        #expect(st.stdout.contains("2026-Q4: signed off on HEAD in \(c.head().prefix(12)) at 2026-10-07 00:00:00 UTC, qualified, LATE"), "\(st)")
    }

    @Test func beforeTheWindowRefusedEvenLate() {
        let c = rendered()
        let head = c.head()
        for extra in [[], ["--late", "--reason", "early bird"]] {
            let r = c.attest(["sign", "--quarter", "2026-Q4"] + extra, at: "2026-09-25 23:59:59")
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("2026-Q4's window opens 2026-09-26 00:00:00 UTC, in 1 second"), "\(r)")
            #expect(c.head() == head)
        }
        // The first second of the window is inside it.
        #expect(c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-09-26 00:00:00").status == 0)
    }

    @Test func sshSignatureVerifiesWithGit() throws {
        let c = rendered()
        let key = c.repo.home + "/.ssh/id_ed25519"
        try FileManager.default.createDirectory(atPath: c.repo.home + "/.ssh", withIntermediateDirectories: true)
        #expect(run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "olive", "-f", key]).status == 0)
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        c.write(".attest/allowed_signers", "olive@example.com \(pub)\n")
        c.git(["config", "gpg.format", "ssh"])
        c.git(["config", "user.signingKey", key])
        c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "gpg.ssh.allowedSignersFile", c.path + "/.attest/allowed_signers"])
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("(ssh signature)"))
        let v = c.git(["verify-commit", "HEAD"], check: false)
        #expect(v.status == 0, "\(v)")
        #expect(v.stderr.contains("Good \"git\" signature for olive@example.com with ED25519 key"), "\(v)")
        // Interpret-trailers still reads the trailers of the signed commit.
        #expect(c.git(["interpret-trailers", "--parse"], stdin: c.git(["log", "-1", "--format=%B"]).stdout).stdout.contains("Attest-Quarter: 2026-Q4\n"))
    }

    /// A real race: the configured ssh signing program commits to the branch, then signs. The
    /// branch has moved by the time sign swaps the ref, so sign must fail and lose nothing.
    @Test func concurrentCommitMakesSignFailCleanly() throws {
        let c = rendered()
        let key = c.repo.home + "/.ssh/id_ed25519"
        try FileManager.default.createDirectory(atPath: c.repo.home + "/.ssh", withIntermediateDirectories: true)
        #expect(run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]).status == 0)
        let slow = c.repo.home + "/slow-signer"
        try "#!/bin/sh\ngit -C \"$RACE_REPO\" -c commit.gpgSign=false commit -q --allow-empty -m 'a colleague commits meanwhile'\nexec ssh-keygen \"$@\"\n"
            .write(toFile: slow, atomically: true, encoding: .utf8)
        chmod(slow, 0o755)
        c.git(["config", "gpg.format", "ssh"])
        c.git(["config", "user.signingKey", key])
        c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "gpg.ssh.program", slow])
        let before = c.head()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:00:00", env: ["RACE_REPO": c.path])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("main moved while attest sign was working (it was \(before.prefix(12))"), "\(r)")
        // The colleague's commit is HEAD, on top of the old HEAD: nothing lost.
        #expect(c.git(["log", "-1", "--format=%s"]).stdout == "a colleague commits meanwhile\n")
        #expect(c.git(["rev-parse", "HEAD~1"]).stdout == before + "\n")
        #expect(c.git(["fsck", "--no-dangling"]).status == 0)
        #expect(c.git(["status", "--porcelain"]).stdout.contains("?? docs/attestation-log/2026-Q4.md"))
        // Run again (the signer commits again, so use the plain program): it signs on top.
        c.git(["config", "--unset", "gpg.ssh.program"])
        let again = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:05:00")
        #expect(again.status == 0, "\(again)")
        #expect(c.git(["log", "-2", "--format=%s"]).stdout == "ops(compliance): Q4 2026 SOC-2 attestation sign-off\na colleague commits meanwhile\n")
    }
}
