import Foundation
import Testing
import AttestCore
import AttestGit
import AttestVerification
import AttestTestSupport

/// Issue 14: the push gate and the server's record throw `VerificationError` with the facts
/// (which commit, which ref, which repository); the words and the exit code are AttestCLI's
/// (HookCLITests and ServerRecordTests check those through the built binary).
@Suite struct GateErrorTests {
    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex)) }

    @Test func aPushedTipTheStoreLacksIsNamed() throws {
        let repo = ScratchRepository("gate-missing")
        repo.write("README", "start\n")
        let head = try id(repo.commitAll("start"))
        let r = try Repository.discover(from: repo.path)
        // An id git has never seen: hash-object without -w writes nothing.
        let absent = try id(repo.git(["hash-object", "--stdin"], stdin: Data("never written\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!r.contains(absent))
        let gate = PushGate(repository: r, policy: Policy(), now: Date(), allowedSigners: nil, gpgProgram: "gpg")
        let update = HookInput.RefUpdate(ref: "refs/heads/main", old: head, new: absent)
        do {
            _ = try gate.check([update], alsoHide: [])
            Issue.record("a tip the store lacks was accepted")
        } catch {
            guard case .pushedCommitMissing(let named) = error else { Issue.record("\(error)"); return }
            #expect(named == absent)
        }
        // A tip it has is walked and judged: one commit pushed, nothing refused.
        let next = try id(repo.commitAll("second", date: "2026-01-03T10:00:00Z"))
        let outcome = try gate.check([HookInput.RefUpdate(ref: "refs/heads/main", old: head, new: next)], alsoHide: [])
        #expect(outcome.pushed == 1 && outcome.rejections.isEmpty)
    }

    @Test func aPolicyRefThatNamesNothingIsNamedWithTheServer() throws {
        let server = ScratchRepository("gate-server", bare: true)
        let r = try Repository.discover(from: server.path)
        let record = ServerRecord(repository: r, overrides: [Policy.Entry(name: "hook.policyRef", value: "refs/heads/policy", origin: "-c")])
        let tip = try id(server.git(["hash-object", "--stdin"], stdin: Data("x\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        do {
            _ = try record.policySource(for: HookInput.RefUpdate(ref: "refs/heads/main", old: .zero, new: tip))
            Issue.record("a policy ref that names nothing gave a policy")
        } catch {
            guard case .policyRefMissing(let ref, let gitDir) = error else { Issue.record("\(error)"); return }
            #expect(ref == "refs/heads/policy")
            #expect(gitDir == r.gitDir)
        }
    }
}
