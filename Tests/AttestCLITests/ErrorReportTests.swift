import Foundation
import Testing
import AttestCore
import AttestGit
import AttestControls
import AttestVerification
import AttestEvidence
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

    /// The fact readers' errors read as they did when the readers threw AttestError: the same
    /// sentence, the same exit code (3 for what cannot be read, 1 for a committed file refused,
    /// the domain parse's own case for an allowed-signers file that does not parse).
    @Test func aFactReaderErrorReadsAsItDidWithItsExitCode() throws {
        let repo = ScratchRepository("report-reader")
        let path = Policy().allowedSignersFile
        repo.write(path, "olive@example.com ssh-ed25519 AAAA-not-base64\n")
        let c = try #require(ObjectID(hex: repo.commitAll("a broken allowed-signers file")))
        let r = try Repository.discover(from: repo.path)
        let absent = try #require(ObjectID(hex: repo.git(["hash-object", "--stdin"], stdin: Data("never written\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let inspector = SignoffInspector(repository: r, policy: Policy(), allowedSigners: nil)

        let missing = try #require(#expect(throws: VerificationError.self) { try inspector.commit(absent) })
        guard case .commitUnreadable(_, let git) = missing else { Issue.record("\(missing)"); return }
        #expect(AttestError(reporting: missing) == .environment("cannot read commit \(absent.short): \(git.message)"))
        #expect(throws: AttestError.environment("cannot read commit \(absent.short): \(git.message)")) { try reporting { try inspector.commit(absent) } }

        let controls = try #require(#expect(throws: VerificationError.self) { try ControlCatalogue.files(at: absent, repository: r, policy: Policy()) })
        guard case .controlsUnreadable(_, let cause) = controls else { Issue.record("\(controls)"); return }
        #expect(AttestError(reporting: controls) == .environment("cannot read the controls of \(absent.short): \(cause.message)"))

        let signers = try #require(#expect(throws: VerificationError.self) { try SignoffInspector.allowedSigners(in: r, commit: c, policy: Policy()) })
        let parse = try #require(#expect(throws: AttestError.self) {
            try AllowedSigners(parsing: "olive@example.com ssh-ed25519 AAAA-not-base64\n", path: "\(path)@\(c.short)")
        })
        #expect(AttestError(reporting: signers) == parse)
        #expect(AttestError(reporting: signers).exitCode == parse.exitCode)

        // A document committed as a symbolic link is refused: exit 1, git's refusal as it was.
        repo.write("README", "start\n")
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/docs-link.md", withDestinationPath: "README")
        let linked = try #require(ObjectID(hex: repo.commitAll("x\n\nAttest-Document: docs-link.md sha256:00\n")))
        let raw = try inspector.commit(linked)
        let refused = try #require(#expect(throws: VerificationError.self) { try inspector.facts(raw, now: Date(), evidenceFolder: nil) })
        guard case .documentRefused(let doc, let at, let why) = refused else { Issue.record("\(refused)"); return }
        #expect(doc == "docs-link.md" && at == linked && why.isRefusal)
        #expect(AttestError(reporting: refused) == .failed("\(why.operation): \(why.message)"))
        #expect(AttestError(reporting: VerificationError.imprintDocumentMissing(path: "docs/a.md", commit: c))
                == .failed("the commit has no file docs/a.md to compute the timestamp imprint from"))
    }

    /// The push gate's sealed-evidence rules throw the fact (`EvidenceVaultError`, with the ref
    /// and git's error); the hook's words add "push refused", exit 3, as before the move.
    @Test func anEvidenceGateErrorIsReportedWithPushRefusedAndExitThree() throws {
        let repo = ScratchRepository("report-evidence-gate")
        repo.write("README", "x\n")
        repo.commitAll("first")
        let r = try Repository.discover(from: repo.path)
        let absent = try #require(ObjectID(hex: repo.git(["hash-object", "--stdin"], stdin: Data("never written\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let ref = "refs/attest/evidence/2026-Q1"
        let gate = EvidenceGate(repository: r, policy: Policy(), now: Date(), environment: [:],
                                inspector: SignoffInspector(repository: r, policy: Policy(), allowedSigners: nil))
        // A pushed commit the gate must read for its Attest-Sealed-Evidence is not in the store.
        let head = try #require(ObjectID(hex: repo.revParse("HEAD")))
        let update = HookInput.RefUpdate(ref: "refs/heads/main", old: .zero, new: head)
        let e = try #require(#expect(throws: EvidenceVaultError.self) { try gate.check([update], mentioningAttest: [absent], remote: nil) })
        guard case .pushedCommitUnreadable(let id, let git) = e else { Issue.record("\(e)"); return }
        #expect(id == absent)
        let reported = AttestError.environment("cannot read pushed commit \(absent.short) for sealed evidence: \(git.description)")
        #expect(AttestError(reporting: e) == reported)
        #expect(AttestError(reporting: e).exitCode == 3)
        #expect(throws: reported) { try reporting { try gate.check([update], mentioningAttest: [absent], remote: nil) } }
        // The walks that stop the push: the fact alone, "push refused" added by the report.
        let walk = EvidenceVaultError.pushedCommitsUnreadable(ref: ref, git)
        #expect(!walk.description.contains("push refused"), "a fact, not the hook's verdict: \(walk)")
        #expect(AttestError(reporting: walk) == .environment("cannot read the pushed commits of \(ref): \(git.description); push refused"))
        #expect(AttestError(reporting: EvidenceVaultError.historyUnreadable(tip: head, path: "docs/attestation-log/dispositions/2026-Q1.md", git))
                == .environment("cannot read the history of \(head.short) for docs/attestation-log/dispositions/2026-Q1.md: \(git.description); push refused"))
        #expect(AttestError(reporting: EvidenceVaultError.remoteRefused(remote: "origin", ref: ref, reason: "fatal: no such remote"))
                == .environment("cannot ask origin whether it has \(ref) (git ls-remote: fatal: no such remote); push refused"))
    }

    @Test func anAttestErrorIsReportedAsItIs() {
        for e in [AttestError.usage("u"), .failed("f"), .environment("e"), .config("c")] {
            #expect(AttestError(reporting: e) == e)
        }
    }
}
