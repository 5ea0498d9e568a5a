import Foundation
import Testing
import AttestCore
@testable import AttestGit
import AttestTestSupport

/// AttestGit's wrappers throw facts: the typed case with its payload (the commit ids, the ref,
/// the lock, the program), read on real repositories changed by the git CLI. What the user
/// reads (the remedy, the exit code) is the CLI's (ErrorReportTests).
@Suite struct WrapperErrorTests {
    let path = "docs/attestation-log/2026-Q1.md"

    /// A repository with one commit, and a sign-off object written on top of it (not published).
    func unpublished(_ label: String) throws -> (ScratchRepository, Repository, Repository.UnpublishedSignoff) {
        let repo = ScratchRepository(label)
        repo.write("README", "x\n")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let preflight = try r.signoffPreflight(watching: [path])
        let u = try r.writeSignoffObject(preflight, path: path, contents: Data("signed\n".utf8),
                                         message: "ops(compliance): Q1 2026 SOC-2 attestation sign-off\n", at: Date(), sign: nil)
        return (repo, r, u)
    }

    @Test func aBranchThatMovedIsBranchMovedFromTheOldTipToTheNewOne() throws {
        let (repo, r, u) = try unpublished("moved")
        let old = repo.revParse("HEAD")
        let new = repo.commitAll("meanwhile")
        let e = #expect(throws: SignoffWriterError.self) { try r.publishSignoff(u) }
        guard case .branchMoved(let branch, let from, let to) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(branch == "refs/heads/main")
        #expect(from.hex == old)
        #expect(to?.hex == new)
        #expect(from != to)
        // Nothing moved, no lock left.
        #expect(repo.revParse("main") == new)
        #expect(!FileManager.default.fileExists(atPath: r.gitDir + "/index.lock"))
        #expect(e?.description.contains("attest sign") == false, "a fact, not advice: \(e!)")
    }

    @Test func aHeldIndexLockIsIndexLockedNamingTheLock() throws {
        let (repo, r, u) = try unpublished("indexlock")
        let head = repo.revParse("HEAD")
        let lock = r.gitDir + "/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let e = #expect(throws: SignoffWriterError.self) { try r.publishSignoff(u) }
        guard case .indexLocked(let at, let state) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(at == lock)
        #expect(state.locks.map { ($0 as NSString).resolvingSymlinksInPath } == [(lock as NSString).resolvingSymlinksInPath])
        #expect(state.head?.hex == head)
        // The lock is someone else's: left as it was; the branch did not move.
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(repo.revParse("main") == head)
        // Before anything is written, the same lock is the preflight's refusal.
        let p = #expect(throws: SignoffWriterError.self) { try r.signoffPreflight(watching: [path]) }
        guard case .interrupted(let s) = p else { Issue.record("\(String(describing: p))"); return }
        #expect(s.locks.count == 1 && s.behind.isEmpty)
    }

    @Test func aLockedBranchRefIsBranchLockedWithTheTip() throws {
        let (repo, r, u) = try unpublished("reflock")
        let head = repo.revParse("HEAD")
        let lock = r.commonDir + "/refs/heads/main.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let e = #expect(throws: SignoffWriterError.self) { try r.publishSignoff(u) }
        guard case .branchLocked(let branch, let at, let tip) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(branch == "refs/heads/main")
        #expect(at == lock)
        #expect(tip?.hex == head)
        // Our index lock was released.
        #expect(!FileManager.default.fileExists(atPath: r.gitDir + "/index.lock"))
        #expect(repo.revParse("main") == head)
    }

    @Test func preflightNamesEachRefusal() throws {
        let detached = ScratchRepository("detached")
        detached.commitAll("one")
        detached.git(["checkout", "-q", "--detach"])
        let d = #expect(throws: SignoffWriterError.self) { try Repository.discover(from: detached.path).signoffPreflight() }
        guard case .detachedHead = d else { Issue.record("\(String(describing: d))"); return }

        let unborn = ScratchRepository("unborn")
        let u = #expect(throws: SignoffWriterError.self) { try Repository.discover(from: unborn.path).signoffPreflight() }
        guard case .unbornBranch(let branch) = u else { Issue.record("\(String(describing: u))"); return }
        #expect(branch == "refs/heads/main")

        let bare = ScratchRepository("bare", bare: true)
        let b = #expect(throws: SignoffWriterError.self) { try Repository.discover(from: bare.path).signoffPreflight() }
        guard case .bareRepository = b else { Issue.record("\(String(describing: b))"); return }

        // A real merge stopped on a conflict.
        let merging = ScratchRepository("merging")
        merging.write("f", "a\n"); merging.commitAll("one")
        merging.git(["checkout", "-q", "-b", "side"]); merging.write("f", "b\n"); merging.commitAll("side")
        merging.git(["checkout", "-q", "main"]); merging.write("f", "c\n"); merging.commitAll("main")
        #expect(merging.git(["merge", "-q", "side"], check: false).status != 0)
        let m = #expect(throws: SignoffWriterError.self) { try Repository.discover(from: merging.path).signoffPreflight() }
        guard case .operationInProgress(let op) = m else { Issue.record("\(String(describing: m))"); return }
        #expect(op == "merge")
    }

    @Test func anUnchangedFileIsUnchangedAtHead() throws {
        let repo = ScratchRepository("unchanged")
        repo.write(path, "same\n")
        let head = repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let preflight = try r.signoffPreflight(watching: [path])
        let e = #expect(throws: SignoffWriterError.self) { try r.requireChange(preflight, path: path, contents: Data("same\n".utf8)) }
        guard case .unchanged(let p, let at) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(p == path && at.hex == head)
        try r.requireChange(preflight, path: path, contents: Data("other\n".utf8))
    }

    @Test func aFailingSignerIsSignerFailedWithWhatItPrinted() throws {
        let repo = ScratchRepository("signer")
        repo.commitAll("first")
        let missingKey = repo.home + "/no-such-key"
        repo.git(["config", "gpg.format", "ssh"])
        repo.git(["config", "user.signingKey", missingKey])
        let r = try Repository.discover(from: repo.path)
        let config = try r.signingConfig()
        let e = #expect(throws: CommitSignerError.self) {
            try CommitSigner.sign(Data("tree x\n".utf8), config: config, committer: "Olive Operator <olive@example.com>", environment: repo.environment)
        }
        guard case .signerFailed(let format, let program, let key, let output) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(format == .ssh && program == "ssh-keygen" && key == missingKey)
        // ssh-keygen's own words about the missing key file.
        #expect(output.contains("no-such-key") || output.lowercased().contains("no such file"), "\(output)")

        // Through writeSignoffObject, the same failure is the writer's `.signing`, and nothing is written.
        let preflight = try r.signoffPreflight()
        let w = #expect(throws: SignoffWriterError.self) {
            try r.writeSignoffObject(preflight, path: path, contents: Data("x\n".utf8), message: "m\n", at: Date(),
                                     sign: { (p: Data) throws(CommitSignerError) -> String in
                                         try CommitSigner.sign(p, config: config, committer: "Olive Operator <olive@example.com>", environment: repo.environment) })
        }
        guard case .signing(.signerFailed(.ssh, "ssh-keygen", missingKey, _)) = w else { Issue.record("\(String(describing: w))"); return }

        repo.git(["config", "--unset", "user.signingKey"])
        let unset = try Repository.discover(from: repo.path).signingConfig()
        let n = #expect(throws: CommitSignerError.self) { try CommitSigner.sign(Data(), config: unset, committer: "x", environment: repo.environment) }
        guard case .sshKeyNotSet = n else { Issue.record("\(String(describing: n))"); return }

        repo.git(["config", "gpg.format", "bogus"])
        let f = #expect(throws: CommitSignerError.self) { try Repository.discover(from: repo.path).signingConfig() }
        guard case .unknownFormat("bogus") = f else { Issue.record("\(String(describing: f))"); return }

        repo.git(["config", "gpg.format", "ssh"])
        repo.git(["config", "user.signingKey", missingKey])
        repo.git(["config", "gpg.ssh.program", repo.home + "/no-such-program"])
        let c = #expect(throws: CommitSignerError.self) {
            try CommitSigner.sign(Data(), config: try Repository.discover(from: repo.path).signingConfig(), committer: "x", environment: repo.environment)
        }
        guard case .cannotRun(let prog, _) = c else { Issue.record("\(String(describing: c))"); return }
        #expect(prog == repo.home + "/no-such-program")
    }

    @Test func policyFilesNameTheCommitWhosePolicyIsBad() throws {
        let repo = ScratchRepository("policyfiles")
        repo.write(".attestconfig", "[controls]\n\tlookbackDayz = 30\n")
        let bad = repo.commitAll("bad key")
        repo.write(".attestconfig", "[controls\n")
        let broken = repo.commitAll("broken syntax")
        let r = try Repository.discover(from: repo.path)
        let files = PolicyFiles(repository: r, overrides: [])
        let e = #expect(throws: PolicyFilesError.self) { try files.policy(at: ObjectID(hex: bad)!) }
        guard case .invalidPolicy(let commit, .config(let m)) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(commit.hex == bad && m.contains("lookbackdayz"))
        #expect(e?.isUnreadable == false)
        let s = #expect(throws: PolicyFilesError.self) { try files.policy(at: ObjectID(hex: broken)!) }
        guard case .malformedConfig(let at, _) = s else { Issue.record("\(String(describing: s))"); return }
        #expect(at.hex == broken)

        // The working tree's: ConfigError, naming the file.
        let c = #expect(throws: ConfigError.self) { try r.loadPolicy() }
        guard case .unreadable(let file, _) = c else { Issue.record("\(String(describing: c))"); return }
        #expect(file.hasSuffix("/.attestconfig"))
    }

    @Test func auditFactsNameTheRevisionThatDoesNotResolve() throws {
        let repo = ScratchRepository("auditfacts")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let e = #expect(throws: AuditFactsError.self) {
            try AuditFacts.gather(repository: r, revision: "no-such-branch", from: Date(timeIntervalSince1970: 1_767_225_600),
                                  to: Date(timeIntervalSince1970: 1_798_761_599), overrides: [], sha256: { _ in "" })
        }
        guard case .unresolvableRevision(let rev, _) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(rev == "no-such-branch")
    }

    @Test func anEvidenceRefThatMovedIsRefMovedWithBothIds() throws {
        let q = try Quarter(parsing: "2026-Q1")
        let repo = ScratchRepository("evmoved")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let one = try r.writeEvidenceCommit(q, sealed: Data("one".utf8), recipients: [], parent: nil, message: "one\n", at: Date(), sign: nil)
        try r.moveEvidenceRef(q, to: one.commit, from: nil, reason: "seal")
        let two = try r.writeEvidenceCommit(q, sealed: Data("two".utf8), recipients: [], parent: one.commit, message: "two\n", at: Date(), sign: nil)
        let e = #expect(throws: EvidenceRefError.self) { try r.moveEvidenceRef(q, to: two.commit, from: nil, reason: "seal") }
        guard case .refMoved(let ref, let expected, let now) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(ref == "refs/attest/evidence/2026-Q1" && expected == nil && now == one.commit)
        let d = #expect(throws: EvidenceRefError.self) { try r.deleteEvidenceRef(q, expected: two.commit) }
        guard case .deleteRefused(let dref, let dexpected) = d else { Issue.record("\(String(describing: d))"); return }
        #expect(dref == ref && dexpected == two.commit)
        #expect(repo.revParse("refs/attest/evidence/2026-Q1") == one.commit.hex)
        let n = #expect(throws: EvidenceRefError.self) {
            try r.writeEvidenceCommit(q, sealed: Data(), recipients: [("../x.pem", Data())], parent: nil, message: "m\n", at: Date(), sign: nil)
        }
        guard case .notPlainName("../x.pem") = n else { Issue.record("\(String(describing: n))"); return }
    }

    @Test func rawCommitErrorsNameTheCommitAndTheHeader() {
        let id = ObjectID(hex: String(repeating: "2", count: 40))!
        let tree = "tree \(String(repeating: "a", count: 40))\n"
        let cases: [(String, RawCommitError)] = [
            ("", .missingTree(commit: id)),
            ("tree xyz\n", .malformedHeader(commit: id, header: "tree")),
            (tree + "parent nope\n", .malformedHeader(commit: id, header: "parent")),
            (tree + "author A <a> 1 +0000\nauthor B <b> 1 +0000\n", .duplicateHeader(commit: id, header: "author")),
            (tree + "author A <a> x +0000\n", .malformedDate(commit: id, header: "author")),
            (tree + "author A <a> 1 +0000\n\nx", .missingPerson(commit: id)),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try RawCommit.parse(id: id, bytes: Array(text.utf8)) }
        }
    }
}
