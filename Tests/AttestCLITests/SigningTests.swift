import Foundation
import Testing
import AttestTestSupport

/// `attest sign` signs as `git commit -S` would, for each of git's ways of signing, and git
/// itself verifies the result.
@Suite struct SigningTests {
    func rendered() -> ComplianceRepo {
        let c = ComplianceRepo("signing")
        c.evidence()
        #expect(c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        return c
    }

    /// A failing signing program: environment error with the program's message, nothing moved.
    @Test func signingFailureMovesNothing() throws {
        let c = rendered()
        c.git(["config", "gpg.format", "ssh"])
        c.git(["config", "user.signingKey", c.repo.home + "/.ssh/no_such_key"])
        c.git(["config", "commit.gpgSign", "true"])
        let head = c.head()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:00:00")
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("signing with ssh-keygen failed"), "\(r)")
        #expect(c.head() == head)
        #expect(c.git(["status", "--porcelain"]).stdout.contains("?? docs/"))
    }

    @Test func openPGPSignatureVerifiesWithGit() throws {
        let c = rendered()
        let gnupg = c.repo.home + "/.gnupg"
        try FileManager.default.createDirectory(atPath: gnupg, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let env = testEnvironment(home: c.repo.home, extra: ["GNUPGHOME": gnupg])
        // The key must exist at the faked signing instant: make it earlier in (faked) time.
        let gen = run("faketime", ["-f", "@2026-01-01 00:00:00", "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                              "Olive Operator <olive@example.com>", "ed25519", "sign", "never"], environment: env)
        #expect(gen.status == 0, "\(gen)")
        defer { _ = run("gpgconf", ["--kill", "all"], environment: env) }
        c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "user.signingKey", "olive@example.com"])
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:00:00", env: ["GNUPGHOME": gnupg])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("(openpgp signature)"))
        let v = c.git(["verify-commit", "HEAD"], env: ["GNUPGHOME": gnupg], check: false)
        #expect(v.status == 0, "\(v)")
        #expect(v.stderr.contains("Good signature from \"Olive Operator <olive@example.com>\""), "\(v)")
        #expect(c.git(["log", "-1", "--format=%G?"], env: ["GNUPGHOME": gnupg]).stdout == "G\n")

        // attest verify checks OpenPGP signatures through gpg, as git does, and agrees with
        // `git verify-commit`: good with the signer's keyring, refused with an empty one.
        let good = c.attest(["-c", "signing.required=true", "verify"], at: "2026-10-03 12:05:00", env: ["GNUPGHOME": gnupg])
        #expect(good.status == 0, "\(good)")
        let empty = c.repo.home + "/.gnupg-empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { _ = run("gpgconf", ["--kill", "all"], environment: testEnvironment(home: c.repo.home, extra: ["GNUPGHOME": empty])) }
        let gitNoKey = c.git(["verify-commit", "HEAD"], env: ["GNUPGHOME": empty], check: false)
        let noKey = c.attest(["-c", "signing.required=true", "verify"], at: "2026-10-03 12:05:00", env: ["GNUPGHOME": empty])
        #expect(gitNoKey.status != 0, "\(gitNoKey)")
        #expect(noKey.status == 1, "\(noKey)")
        #expect(noKey.stdout.contains("[signature]"), "\(noKey)")
    }

    @Test func statusJSONReportsTheSignoff() throws {
        let c = rendered()
        #expect(c.attest(["sign", "--quarter", "2026-Q4", "--json"], at: "2026-10-03 12:00:00").status == 0)
        let r = c.attest(["status", "--json"], at: "2026-10-04 00:00:00")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let open = try #require(obj["open"] as? [String: Any])
        let signoff = try #require(open["signoff"] as? [String: Any])
        #expect(signoff["commit"] as? String == c.head())
        #expect(signoff["late"] as? Bool == false)
        #expect(signoff["result"] as? String == "clean")
        #expect(signoff["time"] as? String == "2026-10-03T12:00:00Z")
    }
}
