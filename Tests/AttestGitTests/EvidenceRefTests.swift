import Foundation
import Testing
import AttestCore
@testable import AttestGit
import AttestTestSupport

/// The per-quarter evidence ref, checked with git itself.
@Suite struct EvidenceRefTests {
    let q = try! Quarter(parsing: "2026-Q1")

    @Test func appendedCommitsFormAnAppendOnlyHistoryGitReads() throws {
        let repo = ScratchRepository("evref")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        #expect(try r.evidenceTip(q) == nil)
        let sealed1 = Data("sealed one".utf8)
        let first = try r.writeEvidenceCommit(q, sealed: sealed1, recipients: [("a.pem", Data("cert a\n".utf8))], parent: nil,
                                              message: "attest evidence: 2026-Q1 sealed\n", at: Date(timeIntervalSince1970: 1_775_000_000), sign: nil)
        // Written but not referenced until moved.
        #expect(try r.evidenceTip(q) == nil)
        try r.moveEvidenceRef(q, to: first.commit, from: nil, reason: "seal")
        #expect(repo.revParse("refs/attest/evidence/2026-Q1") == first.commit.hex)
        #expect(repo.git(["cat-file", "-p", "refs/attest/evidence/2026-Q1:2026-Q1.p7m"]).stdout == "sealed one")
        #expect(repo.git(["cat-file", "-p", "refs/attest/evidence/2026-Q1:recipients/a.pem"]).stdout == "cert a\n")
        let hashed = run("git", ["hash-object", "--stdin"], stdin: sealed1).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(first.blob?.hex == hashed)
        #expect(try r.blobID(of: sealed1).hex == hashed)
        // A second seal of a missing ref is refused (compare-and-swap).
        #expect(throws: EvidenceRefError.self) { try r.moveEvidenceRef(q, to: first.commit, from: nil, reason: "seal") }

        let second = try r.writeEvidenceCommit(q, sealed: Data("sealed two".utf8), recipients: [("a.pem", Data("cert a\n".utf8)), ("b.pem", Data("cert b\n".utf8))],
                                               parent: first.commit, message: "attest evidence: 2026-Q1 resealed\n", at: Date(timeIntervalSince1970: 1_775_000_100), sign: nil)
        try r.moveEvidenceRef(q, to: second.commit, from: first.commit, reason: "reseal")
        // A stale expectation is refused and leaves the ref alone.
        #expect(throws: EvidenceRefError.self) { try r.moveEvidenceRef(q, to: first.commit, from: first.commit, reason: "x") }
        #expect(repo.revParse("refs/attest/evidence/2026-Q1") == second.commit.hex)
        #expect(try r.evidenceHistory(q) == [second.commit, first.commit])
        #expect(repo.git(["rev-list", "refs/attest/evidence/2026-Q1"]).stdout == "\(second.commit.hex)\n\(first.commit.hex)\n")
        // The branch is untouched: a clone of main does not carry the evidence.
        #expect(repo.git(["log", "--format=%s", "main"]).stdout == "first\n")
        let read = try r.sealedEvidence(q, commit: second.commit)
        #expect(read.blob == second.blob)
        #expect(read.recipients.map(\.name) == ["a.pem", "b.pem"])
        #expect(try r.blobData(read.blob!) == Data("sealed two".utf8))
        #expect(repo.git(["fsck", "--strict"], check: false).status == 0)

        #expect(throws: EvidenceRefError.self) { try r.deleteEvidenceRef(q, expected: first.commit) }
        try r.deleteEvidenceRef(q, expected: second.commit)
        #expect(try r.evidenceTip(q) == nil)
    }

    @Test func theEvidenceCommitIsSignedLikeTheSignoff() throws {
        let repo = ScratchRepository("evref-signed")
        repo.commitAll("first")
        let key = SignoffFixture.sshKey(in: repo)
        repo.git(["config", "gpg.format", "ssh"])
        repo.git(["config", "user.signingKey", key])
        repo.git(["config", "commit.gpgSign", "true"])
        repo.write("allowed", SignoffFixture.allowedSignersLine(key: key) + "\n")
        repo.git(["config", "gpg.ssh.allowedSignersFile", repo.path + "/allowed"])
        let r = try Repository.discover(from: repo.path)
        let config = try r.signingConfig()
        let env = repo.environment
        let e = try r.writeEvidenceCommit(q, sealed: Data("x".utf8), recipients: [], parent: nil, message: "attest evidence: 2026-Q1 sealed\n",
                                          at: Date(), sign: { (p: Data) throws(CommitSignerError) -> String in
                                              try CommitSigner.sign(p, config: config, committer: "Olive Operator <olive@example.com>", environment: env) })
        try r.moveEvidenceRef(q, to: e.commit, from: nil, reason: "seal")
        let v = repo.git(["verify-commit", "refs/attest/evidence/2026-Q1"], check: false)
        #expect(v.status == 0, "\(v)")
        #expect(v.stderr.contains("Good \"git\" signature for olive@example.com"))
        #expect(repo.git(["log", "-1", "--format=%an <%ae>", "refs/attest/evidence/2026-Q1"]).stdout == "Olive Operator <olive@example.com>\n")
    }

    @Test func refNamesParse() {
        #expect(EvidenceRef.quarter(ofRef: "refs/attest/evidence/2026-Q3")?.description == "2026-Q3")
        #expect(EvidenceRef.quarter(ofRef: "refs/attest/evidence/2026-Q5") == nil)
        #expect(EvidenceRef.quarter(ofRef: "refs/attest/evidence/2026-Q3/x") == nil)
        #expect(EvidenceRef.quarter(ofRef: "refs/heads/2026-Q3") == nil)
    }
}
