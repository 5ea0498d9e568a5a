import Foundation
import Testing
import AttestCore
import AttestGit
import AttestControls
@testable import AttestCLI
import AttestTestSupport

/// The CLI's one map from the libraries' typed errors to what the user reads and the exit code
/// (ErrorReport.swift): the libraries' descriptions are facts without advice; the report adds
/// the remedy the user has always read and picks the exit code of DESIGN.md §5.
@Suite struct ErrorReportTests {
    @Test func aMovedBranchIsReportedWithTheRemedyAndExitOne() throws {
        let repo = ScratchRepository("report-moved")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let preflight = try r.signoffPreflight()
        let u = try r.writeSignoffObject(preflight, path: "docs/attestation-log/2026-Q1.md", contents: Data("x\n".utf8),
                                         message: "m\n", at: Date(), sign: nil)
        let old = ObjectID(hex: repo.revParse("HEAD"))!.short
        let new = ObjectID(hex: repo.commitAll("meanwhile"))!.short
        let e = #expect(throws: SignoffWriterError.self) { try r.publishSignoff(u) }
        let fact = try #require(e)
        #expect(!fact.description.contains("attest sign"), "\(fact)")
        let report = AttestError(reporting: fact)
        #expect(report == .failed("main moved while attest sign was working (it was \(old), it is now \(new)): another commit came in. Nothing was changed; look at the new commit, then run attest sign again"))
        #expect(report.exitCode == 1)
        // `reporting` is the same map, for a call inside a command.
        #expect(throws: report) { try reporting { try r.publishSignoff(u) } }
    }

    @Test func aFailingSignerIsAnEnvironmentErrorSayingWhatToCheck() throws {
        let repo = ScratchRepository("report-signer")
        repo.commitAll("first")
        repo.git(["config", "gpg.format", "ssh"])
        repo.git(["config", "user.signingKey", repo.home + "/no-such-key"])
        let config = try Repository.discover(from: repo.path).signingConfig()
        let e = #expect(throws: CommitSignerError.self) {
            try CommitSigner.sign(Data("x".utf8), config: config, committer: "Olive Operator <olive@example.com>", environment: repo.environment)
        }
        let fact = try #require(e)
        #expect(!fact.description.contains("check the key"))
        let report = AttestError(reporting: fact)
        #expect(report.exitCode == 3)
        #expect(report.description == fact.description + "; check the key (and ssh-agent for a public key), as 'git commit -S' would need")
        #expect(report.description.hasPrefix("signing with ssh-keygen failed (user.signingKey '\(repo.home)/no-such-key'): "))
    }

    @Test func anExistingEvidenceFolderIsAUsageErrorNamingForceAndOut() throws {
        let scratch = Scratch("report-evidence")
        let target = scratch.path + "/evidence/2026-Q1"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let collected = Collector.Collected(database: DatabaseIdentity(serverVersion: "15", database: "d", user: "u", host: "h"),
                                            snapshotId: "s", outcomes: [])
        let e = #expect(throws: EvidenceFolderError.self) {
            try EvidenceFolderWriter.write(quarter: try Quarter(parsing: "2026-Q1"), asOf: Date(), collected: collected, to: target,
                                           force: false, tool: "attest test")
        }
        guard case .exists(let path) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(path == target)
        let report = AttestError(reporting: e!)
        #expect(report == .usage("evidence folder \(target) already exists; pass --force to replace it, or --out DIR"))
        #expect(report.exitCode == 2)

        // Outcomes that are not each step once: nothing is written, and it is a failure (exit 1).
        let fresh = scratch.path + "/evidence/2026-Q2"
        let two = Collector.Collected(database: collected.database, snapshotId: "s",
                                      outcomes: [StepOutcome(step: 1, status: .pass, summary: "", evidence: Data()),
                                                 StepOutcome(step: 2, status: .pass, summary: "", evidence: Data())])
        let w = #expect(throws: EvidenceFolderError.self) {
            try EvidenceFolderWriter.write(quarter: try Quarter(parsing: "2026-Q2"), asOf: Date(), collected: two, to: fresh,
                                           force: false, tool: "attest test")
        }
        guard case .wrongSteps(let steps, let expected) = w else { Issue.record("\(String(describing: w))"); return }
        #expect(steps == [1, 2] && expected == Controls.all.map(\.step))
        #expect(AttestError(reporting: w!).exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }

    @Test func anUnresolvableRevisionIsAUsageErrorNamingTheOption() throws {
        let repo = ScratchRepository("report-rev")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let e = #expect(throws: AuditFactsError.self) {
            try AuditFacts.gather(repository: r, revision: "nope", from: Date(timeIntervalSince1970: 0), to: Date(), overrides: [], sha256: { _ in "" })
        }
        let fact = try #require(e)
        #expect(!fact.description.contains("--rev"))
        let report = AttestError(reporting: fact)
        guard case .usage(let m) = report else { Issue.record("\(report)"); return }
        #expect(m.hasPrefix("cannot resolve --rev 'nope': "))
        #expect(report.exitCode == 2)
    }

    @Test func anAttestErrorIsReportedAsItIs() {
        for e in [AttestError.usage("u"), .failed("f"), .environment("e"), .config("c")] {
            #expect(AttestError(reporting: e) == e)
        }
    }
}
