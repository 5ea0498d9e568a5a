import Foundation
import Testing
import AttestCore
import AttestGit
import AttestVerification
import AttestTestSupport

/// Issue 14: the policy at a commit is read by one function (`PolicyFiles.policy(at:)`, its parse
/// `PolicyFiles.policy(contents:displayName:overrides:)` shared with audit's raw reads), which
/// verify, sign, status, the hooks and audit all use. Real repositories; `git config --blob`
/// is the oracle for what a committed `.attestconfig` says.
@Suite struct PolicyAtCommitTests {
    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex)) }

    /// `git config --blob COMMIT:.attestconfig KEY`, trimmed.
    func committed(_ repo: ScratchRepository, _ commit: String, _ key: String, bool: Bool = false) -> String {
        repo.git(["config"] + (bool ? ["--type=bool"] : []) + ["--blob", "\(commit):.attestconfig", key]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func thePolicyAtEachCommitIsWhatGitReadsThere() throws {
        let repo = ScratchRepository("policy-at")
        repo.write("README", "start\n")
        let bare = repo.commitAll("start")
        repo.write(".attestconfig", "[window]\n\ttargetHour = 14\n\topenDaysBefore = 3\n[signing]\n\trequired = yes\n")
        let set = repo.commitAll("policy", date: "2026-01-03T10:00:00Z")
        let r = try Repository.discover(from: repo.path)

        let files = PolicyFiles(repository: r, overrides: [])
        // No .attestconfig: the defaults, as `attest` documents them.
        #expect(try files.policy(at: id(bare)) == Policy())
        let p = try files.policy(at: id(set))
        #expect(p.windowTargetHour == Int(committed(repo, set, "window.targetHour")))
        #expect(p.windowOpenDaysBefore == Int(committed(repo, set, "window.openDaysBefore")))
        #expect(p.signatureRequired == (committed(repo, set, "signing.required", bool: true) == "true"))
        #expect(p != Policy())

        // -c on top, at every commit, later settings winning as in git.
        let over = PolicyFiles(repository: r, overrides: [Policy.Entry(name: "window.targetHour", value: "9", origin: "-c")])
        #expect(try over.policy(at: id(bare)).windowTargetHour == 9)
        #expect(try over.policy(at: id(set)).windowTargetHour == 9)
        #expect(try over.policy(at: id(set)).windowOpenDaysBefore == 3)
    }

    @Test func aBadValueNamesTheCommitAndTheLineForEveryReader() throws {
        let repo = ScratchRepository("policy-bad")
        repo.write(".attestconfig", "[window]\n\topenDaysBefore = 5\n\ttargetHour = noon\n")
        let bad = repo.commitAll("a bad policy")
        let r = try Repository.discover(from: repo.path)
        let badID = try id(bad), short = String(bad.prefix(12))
        let line = repo.git(["grep", "-n", "noon", bad, "--", ".attestconfig"]).stdout.split(separator: ":")[2]
        #expect(line == "3")

        var viaCommit = ""
        do { _ = try PolicyFiles(repository: r, overrides: []).policy(at: badID); Issue.record("a bad value was accepted") } catch {
            viaCommit = error.description
        }
        #expect(viaCommit.contains("invalid value 'noon' for window.targetHour in .attestconfig@\(short):\(line)"), "\(viaCommit)")
        // Audit hands the raw blob to the same parse: the same error for the same bytes.
        let bytes = Data(repo.git(["cat-file", "blob", "\(bad):.attestconfig"]).stdout.utf8)
        var viaBytes = ""
        do { _ = try PolicyFiles.policy(contents: bytes, displayName: ".attestconfig@\(short)", overrides: []); Issue.record("a bad value was accepted") } catch {
            viaBytes = "\(error)"
        }
        #expect(viaBytes == viaCommit)
        // A -c setting cannot hide a committed bad value: the file is read first.
        do {
            _ = try PolicyFiles(repository: r, overrides: [Policy.Entry(name: "window.targetHour", value: "9", origin: "-c")]).policy(at: badID)
            Issue.record("a bad committed value was accepted under -c")
        } catch { #expect(error.description == viaCommit) }
    }

    /// The policy in force for a sign-off: the parent's, a change made inside the quarter's
    /// window applying only where stricter, tightened by the sign-off's own.
    @Test func aSignoffIsJudgedByThePolicyInForceWhenItWasSigned() throws {
        let q = try Quarter(parsing: "2026-Q4")
        let opens = Schedule(policy: Policy()).window(for: q).opens
        let repo = ScratchRepository("policy-in-force")
        repo.write(".attestconfig", "[signing]\n\trequired = true\n")
        let before = repo.commitAll("policy: signatures required", date: "2026-09-10T10:00:00Z")
        repo.write(".attestconfig", "[signing]\n\trequired = false\n")
        let weakened = repo.commitAll("policy: signatures optional", date: "2026-09-30T10:00:00Z")
        let r = try Repository.discover(from: repo.path)
        #expect(try r.rawCommit(id(before)).committer.date < opens)
        #expect(try r.rawCommit(id(weakened)).committer.date >= opens)
        let signoff = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-02T10:00:00Z")

        let raw = try r.rawCommit(id(signoff))
        // At the parent alone, signatures are optional; in force, the weakening made inside the
        // window does not apply to this quarter.
        #expect(try PolicyFiles(repository: r, overrides: []).policy(at: id(weakened)).signatureRequired == false)
        #expect(try SignoffInspector.policyInForce(for: raw, repository: r, overrides: []).signatureRequired == true)
        // The inspector verify and status use judges by that policy.
        #expect(try SignoffInspector.forVerify(raw, repository: r, overrides: []).policy.signatureRequired == true)
        // -c still applies on top of every commit read.
        let off = [Policy.Entry(name: "signing.required", value: "false", origin: "-c")]
        #expect(try SignoffInspector.policyInForce(for: raw, repository: r, overrides: off).signatureRequired == false)
    }

    /// The readings that were four (TrustedTime's, the push gate's, audit's, the server's) are
    /// one: a committed `.attestconfig` is parsed in PolicyFiles only, read as the source says.
    @Test func oneFunctionReadsThePolicyAtACommit() throws {
        let root = packageRoot + "/Sources"
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        var parsing: [String] = []
        for f in files.sorted() where try String(contentsOfFile: root + "/" + f, encoding: .utf8).contains("ConfigFile.entries(contents:") {
            parsing.append("Sources/" + f)
        }
        #expect(parsing == ["Sources/AttestGit/PolicyFiles.swift"])
        for gone in ["static func entries(at commit", "TrustedTime.policy(", "TrustedTime.entries("] {
            let holders = try files.filter { try String(contentsOfFile: root + "/" + $0, encoding: .utf8).contains(gone) }
            #expect(holders.isEmpty, "\(gone): \(holders)")
        }
    }
}
