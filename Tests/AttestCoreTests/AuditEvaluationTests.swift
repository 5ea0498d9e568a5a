import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore
import AttestTestSupport

/// The audit's judgement as a pure function: facts built by hand, verdicts and flags checked.
@Suite struct AuditEvaluationTests {
    init() { CommonMark.install() } // the attestation file is read by cmark-gfm

    static let q1 = try! Quarter(parsing: "2026-Q1")
    static let w1 = Schedule().window(for: q1)
    static let path = "docs/attestation-log/2026-Q1.md"

    static func at(_ s: String) -> Date { UTC.parseInstant(s)! }

    /// A commit touching the Q1 file. `signoff` makes its message a proper sign-off whose
    /// trailers match the document.
    static func commit(_ id: String, _ date: String, committed: String? = nil, message: String? = nil,
                       late: String? = nil, amends: String? = nil, result: OverallResult = .clean,
                       change: FileChange = .added, document: String? = SignoffFixture.document(quarter: q1),
                       parentTime: String? = nil, window: Window = w1) -> AuditCommit {
        let data = document.map { Data($0.utf8) }
        let digest = data.map(SignoffFixture.sha256)
        let msg = message ?? SignoffTrailers(quarter: q1, result: result, documentPath: path,
                                             documentSHA256: digest ?? String(repeating: "0", count: 64),
                                             evidenceSHA256: String(repeating: "0f", count: 32), late: late, amends: amends).message
        let fullID = id.padding(toLength: 40, withPad: "0", startingAt: 0)
        return AuditCommit(id: fullID, parents: [], author: AuditPerson(name: "Olive", email: "o@example.com", time: at(date)),
                           committer: AuditPerson(name: "Olive", email: "o@example.com", time: at(committed ?? date)),
                           message: msg, latestParentCommitterTime: parentTime.map(at), change: change,
                           document: data, documentSHA256: digest, window: window)
    }

    static func evaluate(_ commits: [AuditCommit], present: Bool = true, skew: Int = 24,
                         policyChanges: [PolicyChange] = [], signatures: Bool = false) -> QuarterReport {
        let input = AuditInput(from: at("2026-01-01"), to: at("2026-03-31"), revision: "HEAD", revisionID: String(repeating: "f", count: 40),
                               folder: "docs/attestation-log",
                               quarters: [QuarterHistory(quarter: q1, path: path, commits: commits, presentAtRevision: present, windowAtRevision: w1)],
                               policyChanges: policyChanges, signatureRequired: signatures, maxDateSkewHours: skew)
        return Audit.evaluate(input).quarters[0]
    }

    @Test(arguments: [
        ("2025-12-27T00:00:00Z", AuditVerdict.onTime),   // the window's first second
        ("2026-01-06T23:59:59Z", .onTime),               // its last second
        ("2026-01-07T00:00:00Z", .late),
        ("2025-12-26T23:59:59Z", .early),
    ])
    func verdictAtTheEdges(date: String, verdict: AuditVerdict) {
        let r = Self.evaluate([Self.commit("a1", date)])
        #expect(r.verdict == verdict)
        #expect(r.flags.isEmpty, "\(r.flags)")
        #expect(r.passes == (verdict == .onTime))
    }

    @Test func lateDeclaredOrNot() {
        let declared = Self.evaluate([Self.commit("a1", "2026-01-09T10:00:00Z", late: "on leave")])
        #expect(declared.verdict == .late && declared.lateReason == "on leave")
        #expect(declared.verdictDetail.contains("2 days, 10 hours after the hard close") && declared.verdictDetail.contains("declared late: on leave"))
        let silent = Self.evaluate([Self.commit("a1", "2026-01-09T10:00:00Z")])
        #expect(silent.verdict == .late && silent.lateReason == nil)
        #expect(silent.verdictDetail.contains("not declared late"))
    }

    @Test func authorInsideButCommitterAfterTheCloseIsLate() {
        let r = Self.evaluate([Self.commit("a1", "2026-01-06T20:00:00Z", committed: "2026-01-07T01:00:00Z")])
        #expect(r.verdict == .late)
        #expect(r.flags.isEmpty)
    }

    @Test func authorAndCommitterFarApartIsADateAnomaly() {
        let r = Self.evaluate([Self.commit("a1", "2026-01-01T10:00:00Z", committed: "2026-01-03T10:00:01Z")])
        #expect(r.verdict == .onTime)
        #expect(r.flags.map(\.flag) == [.dateAnomaly])
        #expect(r.flags[0].detail.contains("are 2 days apart (audit.maxDateSkewHours = 24)"))
        #expect(Self.evaluate([Self.commit("a1", "2026-01-01T10:00:00Z", committed: "2026-01-03T10:00:01Z")], skew: 72).flags.isEmpty)
    }

    @Test func committerBeforeParentIsADateAnomaly() {
        let r = Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z", parentTime: "2026-01-20T09:00:00Z")])
        #expect(r.verdict == .onTime && r.flags.map(\.flag) == [.dateAnomaly])
        #expect(r.flags[0].detail.contains("before its parent's 2026-01-20 09:00:00 UTC"))
    }

    @Test func signoffThatSatOnASideLineUntilAfterTheClose() {
        var s = Self.commit("a1", "2026-01-03T10:00:00Z")
        s.firstDescendant = FirstDescendant(id: String(repeating: "b", count: 40), committerTime: Self.at("2026-01-20T10:00:00Z"), mergedFromSideLine: true)
        #expect(Self.evaluate([s]).flags.map(\.flag) == [.dateAnomaly])
        // The same gap with an ordinary child (a quiet repository) is no anomaly.
        s.firstDescendant?.mergedFromSideLine = false
        #expect(Self.evaluate([s]).flags.isEmpty)
        // Merged inside the window: no anomaly either.
        s.firstDescendant = FirstDescendant(id: String(repeating: "b", count: 40), committerTime: Self.at("2026-01-05T10:00:00Z"), mergedFromSideLine: true)
        #expect(Self.evaluate([s]).flags.isEmpty)
    }

    @Test func amendmentsWithAndWithoutTrailerAndDeletion() {
        let s = Self.commit("a1", "2026-01-03T10:00:00Z")
        var edit = Self.commit("a2", "2026-02-01T10:00:00Z", message: "typo\n", change: .modified,
                               document: SignoffFixture.document(quarter: Self.q1) + "x\n")
        edit.descendsFrom = [s.id]; edit.changesLineOf = [s.id]
        var fix = Self.commit("a3", "2026-02-02T10:00:00Z", amends: s.id, change: .modified)
        fix.descendsFrom = [s.id]; fix.changesLineOf = [s.id]
        var del = Self.commit("a4", "2026-03-01T10:00:00Z", message: "remove\n", change: .deleted, document: nil)
        del.descendsFrom = [s.id]; del.changesLineOf = [s.id]
        // A merge that carries the file unchanged from the sign-off's side is no amendment.
        var merge = Self.commit("a5", "2026-02-03T10:00:00Z", message: "Merge\n", change: .merged)
        merge.descendsFrom = [s.id]
        let r = Self.evaluate([s, edit, fix, merge, del], present: false)
        #expect(r.verdict == .onTime)
        #expect(r.flags.map(\.flag) == [.amended, .amended, .deleted])
        #expect(r.flags[0].detail.contains("without an Attest-Amends trailer"))
        #expect(r.flags[1].detail.contains("with Attest-Amends: \(s.id)"))
        #expect(r.flags[2].commit == del.id)
        #expect(r.flagNames == [.amended, .deleted])
    }

    @Test func draftsBeforeTheSignoffAreNotAmendments() {
        let draft = Self.commit("a0", "2025-12-20T10:00:00Z", message: "draft\n")
        let s = Self.commit("a1", "2026-01-03T10:00:00Z", change: .modified)
        let r = Self.evaluate([draft, s])
        #expect(r.verdict == .onTime && r.flags.isEmpty && r.signoff?.id == s.id)
    }

    @Test func secondSignoffIsADuplicate() {
        let s = Self.commit("a1", "2026-01-03T10:00:00Z")
        var again = Self.commit("a2", "2026-01-04T10:00:00Z", change: .modified)
        again.descendsFrom = [s.id]; again.changesLineOf = [s.id]
        let r = Self.evaluate([s, again])
        #expect(r.signoff?.id == s.id)
        #expect(r.flags.map(\.flag) == [.duplicateSignoff])
    }

    @Test func missingWithAndWithoutAFile() {
        let none = Self.evaluate([], present: false)
        #expect(none.verdict == .missing && none.signoff == nil && none.flags.isEmpty)
        #expect(none.verdictDetail.contains("no sign-off commit for 2026-Q1"))
        let plain = Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z", message: "add the file\n")])
        #expect(plain.verdict == .missing)
        #expect(plain.verdictDetail.contains("present at the audited revision, but no commit signs it off"))
    }

    @Test func documentProblems() {
        // The trailers' digest is not the file's.
        var wrong = Self.commit("a1", "2026-01-03T10:00:00Z")
        wrong.documentSHA256 = String(repeating: "1", count: 64)
        #expect(Self.evaluate([wrong]).flags.map(\.flag) == [.incompleteDocument])
        // The file does not parse.
        let junk = Self.commit("a1", "2026-01-03T10:00:00Z", document: "# just prose\n")
        let j = Self.evaluate([junk])
        #expect(j.flags.map(\.flag) == [.incompleteDocument])
        #expect(j.flags[0].detail.contains("does not parse"))
        // A step is missing from the table.
        let six = SignoffFixture.document(quarter: Self.q1).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("| 7 |") }.joined(separator: "\n")
        #expect(Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z", document: six)]).flags.contains { $0.flag == .incompleteDocument && $0.detail.contains("step 7 is missing") })
        // The runbook's subject without trailers.
        let manual = Self.commit("a1", "2026-01-03T10:00:00Z", message: "ops(compliance): Q1 2026 SOC-2 attestation sign-off\n")
        let m = Self.evaluate([manual])
        #expect(m.signoff != nil && m.verdict == .onTime)
        #expect(m.flags.contains { $0.flag == .incompleteDocument && $0.detail.contains("no Attest-* trailers") })
    }

    @Test func blockedResult() {
        let r = Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z", result: .blocked)])
        #expect(r.flags.contains { $0.flag == .blockedResult })
    }

    @Test func signaturesOnlyWhenPolicyRequiresThem() {
        var s = Self.commit("a1", "2026-01-03T10:00:00Z")
        #expect(Self.evaluate([s], signatures: false).flags.isEmpty)
        #expect(Self.evaluate([s], signatures: true).flags.map(\.flag) == [.unsigned])
        s.signature = .bad(reason: "the key is not in .attest/allowed_signers")
        #expect(Self.evaluate([s], signatures: true).flags.map(\.flag) == [.badSignature])
        s.signature = .good(signer: "olive@example.com")
        #expect(Self.evaluate([s], signatures: true).flags.isEmpty)
    }

    @Test func policyChangeInThePeriodIsReportedOnTheQuarterItCouldHelp() {
        let person = AuditPerson(name: "Mallory", email: "m@example.com", time: Self.at("2026-01-05T10:00:00Z"))
        let change = PolicyChange(commit: String(repeating: "c", count: 40), committer: person, author: person, subject: "widen",
                                  changes: [.init(key: "window.closeDaysAfter", old: "5", new: "30")])
        let r = Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z")], policyChanges: [change])
        #expect(r.flags.map(\.flag) == [.policyChanged])
        #expect(r.flags[0].detail.contains("window.closeDaysAfter 5 → 30"))
        // Outside the period: history, not a flag.
        var old = change
        old.committer.time = Self.at("2025-06-01T00:00:00Z")
        #expect(Self.evaluate([Self.commit("a1", "2026-01-03T10:00:00Z")], policyChanges: [old]).flags.isEmpty)
    }

    @Test func theWindowIsThePolicyAtTheSignoff() {
        let wide = Schedule(openDaysBefore: 5, closeDaysAfter: 30, targetHour: 10).window(for: Self.q1)
        let r = Self.evaluate([Self.commit("a1", "2026-01-20T10:00:00Z", window: wide)])
        #expect(r.verdict == .onTime && r.window == wide)
        #expect(r.verdictDetail.contains("window from the policy at the sign-off commit"))
    }

    @Test func evidenceChecks() throws {
        let s = Scratch("audit-evidence")
        let ev = SignoffFixture.evidence(at: s.path + "/2026-Q1", quarter: "2026-Q1")
        let doc = SignoffFixture.document(quarter: Self.q1, steps: ev.steps, manifest: ev.manifest)
        let msg = SignoffTrailers(quarter: Self.q1, result: .clean, documentPath: Self.path, documentSHA256: SignoffFixture.sha256(Data(doc.utf8)),
                                  evidenceSHA256: ev.manifest).message
        let c = Self.commit("a1", "2026-01-03T10:00:00Z", message: msg, document: doc)
        func run(_ e: EvidenceDigests?) -> [FlagDetail] {
            var input = AuditInput(from: Self.at("2026-01-01"), to: Self.at("2026-03-31"), revision: "HEAD", revisionID: String(repeating: "f", count: 40),
                                   folder: "docs/attestation-log",
                                   quarters: [QuarterHistory(quarter: Self.q1, path: Self.path, commits: [c], presentAtRevision: true, windowAtRevision: Self.w1)])
            input.evidence = e.map { [Self.q1: $0] } ?? [:]
            return Audit.evaluate(input).quarters[0].flags
        }
        var files = Dictionary(uniqueKeysWithValues: Controls.all.map { ($0.evidenceFile, ev.steps[$0.step]!) })
        files["SHA256SUMS"] = ev.manifest
        #expect(run(EvidenceDigests(folder: "ev/2026-Q1", manifestSHA256: ev.manifest, files: files)).isEmpty)
        files["CC7.2-pgaudit-sample.txt"] = String(repeating: "9", count: 64)
        let one = run(EvidenceDigests(folder: "ev/2026-Q1", manifestSHA256: ev.manifest, files: files))
        #expect(one.map(\.flag) == [.evidenceMismatch] && one[0].detail.contains("step 6 (CC7.2)"))
        #expect(run(nil).map(\.detail) == ["no evidence folder for 2026-Q1 under --evidence-root"])
        #expect(run(EvidenceDigests(folder: "ev/2026-Q1", manifestSHA256: nil, files: [:])).map(\.detail)
                == ["the evidence folder ev/2026-Q1 is missing or empty; the evidence cannot be matched to the sign-off"])
        let other = run(EvidenceDigests(folder: "ev/2026-Q1", manifestSHA256: String(repeating: "8", count: 64), files: files))
        // One `evidence` finding (the judge's rule, issue 13): SHA256SUMS against Attest-Evidence;
        // the document's manifest digest equals the trailer, or `evidence-trailer` would say so.
        #expect(other.filter { $0.detail.contains("SHA256SUMS has SHA-256") }.count == 1)
    }

    @Test func periodPassesOnlyWhenEveryQuarterDoes() {
        let ok = AuditInput(from: Self.at("2026-01-01"), to: Self.at("2026-03-31"), revision: "HEAD", revisionID: "f", folder: "d",
                            quarters: [QuarterHistory(quarter: Self.q1, path: Self.path, commits: [Self.commit("a1", "2026-01-03T10:00:00Z")],
                                                      presentAtRevision: true, windowAtRevision: Self.w1)])
        #expect(Audit.evaluate(ok).pass)
        var none = ok
        none.quarters = []
        #expect(!Audit.evaluate(none).pass)
    }
}
