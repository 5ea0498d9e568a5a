import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// A compliance repository with a bare server, attest's pre-push hook on the client and its
/// pre-receive hook on the server: a sign-off reaches the server only through both.
final class JudgeWorld: @unchecked Sendable {
    let c: ComplianceRepo
    let server: String
    static let doc = "docs/attestation-log/2026-Q4.md"

    /// `signed`: the operator's SSH key is made, listed in the allowed signers, and git signs with it.
    init(_ label: String, config: String = "", allowedSigners: String? = nil, signed: Bool = false) {
        c = ComplianceRepo(label)
        server = c.repo.scratch.path + "/server.git"
        run("git", ["init", "-q", "--bare", "-b", "main", server], environment: c.repo.environment)
        c.git(["remote", "add", "origin", server])
        if !config.isEmpty { c.write(".attestconfig", c.read(".attestconfig") + "\n" + config) }
        if let allowedSigners { c.write(".attest/allowed_signers", allowedSigners) }
        if signed { c.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: signWithSSH()) + "\n") }
        c.repo.commitAll("policy", date: "2026-09-02T10:00:00Z")
        c.git(["push", "-q", "-u", "origin", "main"])
        precondition(c.attest(["hook", "install"]).status == 0)
        precondition(attest(["hook", "install"], cwd: server, home: c.repo.home).status == 0)
        c.evidence()
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        precondition(r.status == 0, "\(r)")
    }

    /// A key for `ssh-keygen`, git configured to sign with it as `git commit -S` would.
    @discardableResult
    func signWithSSH(_ name: String = "id_ed25519") -> String {
        let key = SignoffFixture.sshKey(in: c.repo, name: name)
        c.git(["config", "gpg.format", "ssh"])
        c.git(["config", "user.signingKey", key])
        c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "gpg.ssh.allowedSignersFile", c.path + "/.attest/allowed_signers"])
        return key
    }

    /// Everything a refusal must leave as it was: HEAD (file and commit), every ref, the index
    /// bytes, the work tree's status and the signed file.
    func snapshot() throws -> [String] {
        // git status first: it may refresh the index's stat data, which is not sign's doing.
        let status = c.git(["status", "--porcelain", "--untracked-files=all"]).stdout
        return [try String(contentsOfFile: c.path + "/.git/HEAD", encoding: .utf8), c.head(),
                c.git(["for-each-ref", "--format=%(refname) %(objectname)"]).stdout,
                try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")).base64EncodedString(),
                status, c.read(Self.doc)]
    }

    func sign(at instant: String, _ extra: [String] = []) -> RunResult {
        c.attest(["sign", "--quarter", "2026-Q4"] + extra, at: instant)
    }

    /// `git push origin main` at an instant, through both hooks.
    func push(at instant: String) -> RunResult {
        run("faketime", ["-f", "@\(instant)", "git", "push", "origin", "main"], cwd: c.path, environment: c.repo.environment)
    }

    var serverMain: String {
        run("git", ["--git-dir", server, "rev-parse", "main"], environment: c.repo.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Commits a change with plain git at a chosen date.
    /// `policyChange`: the commit weakens the policy on purpose (a new signer, another TSA CA)
    /// and says so in an `Attest-Policy-Change` trailer, as the hooks require (issue #15).
    func commit(_ file: String, _ text: String, date: String, policyChange: String? = nil) {
        c.write(file, text)
        c.git(["add", file])
        let message = "change \(file)" + (policyChange.map { "\n\nAttest-Policy-Change: \($0)" } ?? "")
        c.git(["commit", "-q", "--no-gpg-sign", "-m", message], env: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date])
    }
}

/// Issue 13: every case that used to end in "signed, then rejected" is refused by `attest sign`
/// with the judge's rule name and nothing written; with the cause fixed, sign succeeds and
/// `attest verify`, `git verify-commit` and a real push through both hooks accept the result.
@Suite struct SignJudgeTests {
    typealias W = JudgeWorld

    /// Sign refused: exit 1, the rule named, every byte of the repository as it was.
    func refused(_ w: W, at instant: String, rule: String, _ message: String, _ extra: [String] = []) throws {
        let before = try w.snapshot()
        let r = w.sign(at: instant, extra)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.contains("[\(rule)]"), "\(r)")
        #expect(r.stderr.contains(message), "\(r)")
        #expect(r.stderr.contains("to fix: "), "\(r)")
        #expect(r.stderr.contains("nothing was signed"), "\(r)")
        #expect(try w.snapshot() == before)
    }

    /// Sign accepted, then verify, git verify-commit (when signed) and both hooks accept it.
    func accepted(_ w: W, at instant: String, pushAt: String, signed: Bool = true, env: [String: String] = [:]) {
        let r = w.sign(at: instant)
        #expect(r.status == 0, "\(r)")
        let id = w.c.head()
        let v = w.c.attest(["verify"], at: pushAt, env: env)
        #expect(v.status == 0, "\(v)")
        if signed {
            let g = w.c.git(["verify-commit", id], check: false)
            #expect(g.status == 0, "\(g)")
        }
        let p = w.push(at: pushAt)
        #expect(p.status == 0, "\(p)")
        #expect(w.serverMain == id)
    }

    @Test func keyNotAnAllowedSigner() throws {
        let w = W("judge-key", config: "[signing]\n\trequired = true\n", allowedSigners: "")
        let stranger = SignoffFixture.sshKey(in: w.c.repo, name: "stranger")
        w.commit(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: stranger, principal: "stranger@example.com") + "\n", date: "2026-09-03T10:00:00Z",
                 policyChange: "signing.allowedSigners: the stranger signs")
        let key = w.signWithSSH()
        try refused(w, at: "2026-10-03 12:00:00", rule: "signature", "is not in .attest/allowed_signers")
        // The fix: the owners list the operator's key (and push it: the server trusts the
        // allowed signers it already has, never those of the push it judges).
        w.commit(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: key) + "\n", date: "2026-10-03T11:00:00Z",
                 policyChange: "signing.allowedSigners: the operator signs")
        let warned = w.sign(at: "2026-10-03 11:30:00")
        #expect(warned.stderr.contains("warning: .attest/allowed_signers at HEAD differs from refs/remotes/origin/main"), "\(warned)")
        w.c.git(["reset", "-q", "--soft", "HEAD~1"])
        #expect(w.push(at: "2026-10-03 11:05:00").status == 0)
        accepted(w, at: "2026-10-03 12:00:00", pushAt: "2026-10-03 12:05:00")
    }

    @Test func noAllowedSignersFileWithSigningRequired() throws {
        let w = W("judge-nofile", config: "[signing]\n\trequired = true\n")
        let key = w.signWithSSH()
        try refused(w, at: "2026-10-03 12:00:00", rule: "signature", "the signature cannot be checked: no allowed-signers file at .attest/allowed_signers")
        w.commit(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: key) + "\n", date: "2026-10-03T11:00:00Z")
        #expect(w.push(at: "2026-10-03 11:05:00").status == 0)
        accepted(w, at: "2026-10-03 12:00:00", pushAt: "2026-10-03 12:05:00")
    }

    @Test func committerDateBeforeTheParents() throws {
        let w = W("judge-order", signed: true)
        // HEAD was made on a machine whose clock ran a day ahead.
        w.commit("README.md", "ahead\n", date: "2026-10-04T12:00:00Z")
        try refused(w, at: "2026-10-03 12:00:00", rule: "committer-order", "before its parent's 2026-10-04 12:00:00 UTC")
        // The fix: this machine's clock is right (it is later than HEAD's date).
        accepted(w, at: "2026-10-04 12:30:00", pushAt: "2026-10-04 12:35:00")
    }

    @Test func tokenTimeOutsideTheWindow() throws {
        let wrong = try TestTSA(label: "Fast TSA", at: "2026-10-07 12:00:00")
        defer { wrong.stop() }
        let w = W("judge-tsa-time", config: "[tsa]\n\turl = \(wrong.url)\n\tcaFile = .attest/tsa/ca.pem\n\trequired = true\n", signed: true)
        w.commit(".attest/tsa/ca.pem", try String(contentsOfFile: wrong.caFile, encoding: .utf8), date: "2026-09-03T10:00:00Z")
        try refused(w, at: "2026-10-05 12:00:00", rule: "late", "the trusted time 2026-10-07 12:00:")
        // The fix: a TSA whose clock is right, its CA committed.
        let right = try TestTSA(label: "Right TSA", at: "2026-10-05 12:00:00")
        defer { right.stop() }
        w.commit(".attest/tsa/ca.pem", try String(contentsOfFile: right.caFile, encoding: .utf8), date: "2026-10-05T11:00:00Z",
                 policyChange: "tsa.caFile: the TSA whose clock is right")
        w.commit(".attestconfig", w.c.read(".attestconfig").replacingOccurrences(of: wrong.url, with: right.url), date: "2026-10-05T11:01:00Z")
        #expect(w.push(at: "2026-10-05 11:05:00").status == 0)  // the new CA reaches the server first
        accepted(w, at: "2026-10-05 12:00:00", pushAt: "2026-10-05 12:05:00")
        #expect(w.c.git(["log", "-1", "--format=%B"]).stdout.contains("Attest-Timestamp: "))
    }

    @Test func tokenMissingWithTSARequired() throws {
        let tsa = try TestTSA(label: "Sign TSA", at: "2026-10-03 12:00:00")
        defer { tsa.stop() }
        let w = W("judge-tsa-missing", config: "[tsa]\n\tcaFile = .attest/tsa/ca.pem\n\trequired = true\n", signed: true)
        w.commit(".attest/tsa/ca.pem", try String(contentsOfFile: tsa.caFile, encoding: .utf8), date: "2026-09-03T10:00:00Z")
        try refused(w, at: "2026-10-03 12:00:00", rule: "untrusted-time", "tsa.required is true but no TSA is configured")
        w.commit(".attestconfig", w.c.read(".attestconfig") + "\turl = \(tsa.url)\n", date: "2026-10-03T11:00:00Z")
        accepted(w, at: "2026-10-03 12:00:00", pushAt: "2026-10-03 12:05:00")
    }

    @Test func principalOtherThanUserEmailIsAWarning() throws {
        let w = W("judge-principal", allowedSigners: "")
        let key = w.signWithSSH()
        w.commit(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: key, principal: "o.operator@example.com") + "\n", date: "2026-09-03T10:00:00Z")
        let r = w.sign(at: "2026-10-03 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("warning: the signing key is listed in .attest/allowed_signers as o.operator@example.com, not as user.email olive@example.com"), "\(r)")
    }

    @Test func alreadySignedUnpushedTipIsReplaced() throws {
        let w = W("judge-replace")
        #expect(w.sign(at: "2026-10-03 12:00:00").status == 0)
        let first = w.c.head()
        w.c.write(W.doc, w.c.read(W.doc).replacingOccurrences(of: "I, Olive Operator, confirm", with: "I, Olive Operator, hereby confirm"))
        // Refused, saying it was never pushed and how to drop it.
        let before = try w.snapshot()
        let again = w.sign(at: "2026-10-03 13:00:00")
        #expect(again.status == 1)
        #expect(again.stderr.contains("2026-Q4 is already signed off on main in \(first.prefix(12))"), "\(again)")
        #expect(again.stderr.contains("it was never pushed (not on refs/remotes/origin/main)"), "\(again)")
        #expect(again.stderr.contains("'attest sign --quarter 2026-Q4 --replace-unpushed'") && again.stderr.contains("'git reset --soft HEAD~1'"), "\(again)")
        #expect(try w.snapshot() == before)
        // Replaced: the new sign-off sits on the old one's parent; the old one is on no branch.
        let r = w.sign(at: "2026-10-03 13:00:00", ["--replace-unpushed"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("replaces the unpushed sign-off \(first)"), "\(r)")
        #expect(w.c.git(["rev-parse", "HEAD~1"]).stdout == w.c.git(["rev-parse", "\(first)~1"]).stdout)
        #expect(w.c.git(["branch", "--contains", first]).stdout.isEmpty)
        #expect(!w.c.git(["status", "--porcelain"]).stdout.contains("attestation-log"))
        #expect(w.c.attest(["verify"], at: "2026-10-03 13:05:00").status == 0)
        #expect(w.push(at: "2026-10-03 13:05:00").status == 0)
        // Pushed, it is never replaced: an amendment is the way.
        w.c.write(W.doc, w.c.read(W.doc) + "\nA note.\n")
        let pushed = w.sign(at: "2026-10-03 14:00:00", ["--replace-unpushed"])
        #expect(pushed.status == 1)
        #expect(pushed.stderr.contains("is on refs/remotes/origin/main: it was pushed and stays in the record"), "\(pushed)")
        let plain = w.sign(at: "2026-10-03 14:00:00")
        #expect(plain.stderr.contains("it is on refs/remotes/origin/main, so it stays: to change it, make an amendment with --amends TEXT"), "\(plain)")
    }

    @Test func aSignoffWithoutTrailersIsAnEarlierSignoff() throws {
        // The runbook's subject typed by hand: sign sees it as the quarter's sign-off, as verify,
        // the hooks and audit do.
        let w = W("judge-subject")
        w.c.git(["add", W.doc])
        w.c.git(["commit", "-q", "-m", "ops(compliance): Q4 2026 SOC-2 attestation sign-off"],
                env: ["GIT_AUTHOR_DATE": "2026-10-02T10:00:00Z", "GIT_COMMITTER_DATE": "2026-10-02T10:00:00Z"])
        w.c.write(W.doc, w.c.read(W.doc) + "\nA note.\n")
        let r = w.sign(at: "2026-10-03 12:00:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("2026-Q4 is already signed off on main in \(w.c.head().prefix(12))"), "\(r)")
    }
}
