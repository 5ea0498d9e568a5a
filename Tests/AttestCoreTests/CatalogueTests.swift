import Foundation
import Testing
@testable import AttestCore
import AttestMarkdown

/// The controls table and the catalogue rule (issue #20), on hand-written documents.
@Suite struct CatalogueTests {
    init() { CommonMark.install() }
    static let sql = String(repeating: "5c", count: 32)
    static let file = CatalogueControl(step: 9, id: "X9.1", criterion: "CC6.1", title: "Stale accounts", evidenceFile: "X9.1.csv",
                                       onFinding: .block, source: "controls/x.sql", sqlSHA256: sql)
    static let catalogue = Catalogue(controls: [Catalogue.deprovisioning, file])

    /// The sample document with steps 8 and 9 and a controls table.
    static func text(controlRows: [String]? = nil, step9: String = "pass", findingRows: [String] = ["| 6 | gap of 30 h on 2026-08-12 \\| no window | #482 | no |"],
                     result: String = "qualified") -> String {
        let d = SampleDocument.digest
        let steps = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | `\(d)` |" }
            + ["| 8 | \(Catalogue.deprovisioningName) | CC6.3 | pass | \(d) |", "| 9 | Stale accounts | CC6.1 | \(step9) | \(d) |"]
        let rows = controlRows ?? ["| 8 | CC6.3 | built-in | issue |  |", "| 9 | X9.1 | controls/x.sql | block | \(sql) |"]
        return SampleDocument.text(stepRows: steps, findingRows: findingRows, result: result)
            .replacingOccurrences(of: "## Findings", with: "## Controls\n\n| Step | Control id | Source | On finding | SQL SHA-256 |\n|---|---|---|---|---|\n" + rows.joined(separator: "\n") + "\n\n## Findings")
    }

    @Test func theControlsTableIsReadAndMatchesTheCatalogue() throws {
        let doc = try AttestationDocument.parse(Self.text(), path: "docs/attestation-log/2026-Q4.md")
        #expect(doc.controls == [DocumentControl(step: 8, id: "CC6.3", source: "built-in", onFinding: .issue, sqlSHA256: ""),
                                 DocumentControl(step: 9, id: "X9.1", source: "controls/x.sql", onFinding: .block, sqlSHA256: Self.sql)])
        #expect(doc.steps.map(\.step) == Array(1...9))
        #expect(doc.signingProblems().isEmpty, "\(doc.signingProblems())")
        #expect(Self.catalogue.problems(of: doc, at: "abc").isEmpty)
        // A runbook-only catalogue does not hold steps 8 and 9.
        #expect(Catalogue().problems(of: doc, at: "abc") == [
            "line 34: step 8 (CC6.3, built-in) is not in the catalogue at abc",
            "line 35: step 9 (X9.1, controls/x.sql) is not in the catalogue at abc",
        ])
    }

    @Test func otherSQLAMissingControlAndAnotherNameAreEachAProblem() throws {
        let other = String(repeating: "77", count: 32)
        let doc = try AttestationDocument.parse(Self.text(controlRows: ["| 9 | X9.1 | controls/x.sql | block | \(other) |"])
            .replacingOccurrences(of: "| 8 | \(Catalogue.deprovisioningName) | CC6.3 | pass | \(SampleDocument.digest) |\n", with: ""), path: "2026-Q4.md")
        #expect(Self.catalogue.problems(of: doc, at: "1a2b") == [
            "control CC6.3 (built-in, step 8) is in the catalogue at 1a2b but missing from the document",
            "line 33: step 9 (X9.1) ran SQL with SHA-256 \(other), but controls/x.sql at 1a2b has SHA-256 \(Self.sql): the control was run from SQL other than the committed file",
        ])
        let renamed = try AttestationDocument.parse(Self.text(controlRows: ["| 8 | CC6.3 | built-in | issue |  |", "| 9 | X9.1 | controls/x.sql | issue | \(Self.sql) |"]), path: "2026-Q4.md")
        #expect(Self.catalogue.problems(of: renamed, at: "1a2b").first?.contains("(on finding issue) in the document; the catalogue at 1a2b has X9.1 from controls/x.sql (on finding block)") == true)
    }

    @Test func aBlockingControlsFindingMustBeResolved() throws {
        let rows = ["| 6 | gap | #482 | no |", "| 9 | stale svc-old | #12 | no |"]
        let doc = try AttestationDocument.parse(Self.text(step9: "finding", findingRows: rows), path: "2026-Q4.md")
        #expect(OverallResult.evaluate(steps: doc.steps, findings: doc.findings, controls: doc.controls) == .blocked)
        #expect(doc.signingProblems().contains { $0.contains("the step 9 finding is not resolved") }, "\(doc.signingProblems())")
        let resolved = try AttestationDocument.parse(Self.text(step9: "finding", findingRows: ["| 6 | gap | #482 | no |", "| 9 | stale svc-old | #12 | yes |"]), path: "2026-Q4.md")
        #expect(OverallResult.evaluate(steps: resolved.steps, findings: resolved.findings, controls: resolved.controls) == .qualified)
    }

    @Test func stepsBeyondSevenNeedTheControlsTable() {
        let d = SampleDocument.digest
        let steps = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | `\(d)` |" } + ["| 8 | x | CC6.3 | pass | \(d) |"]
        #expect(throws: AttestError.self) { try AttestationDocument.parse(SampleDocument.text(stepRows: steps), path: "2026-Q4.md") }
    }

    @Test func aStepWithoutItsControlsRowIsMissingFromTheCatalogueAndTheDocument() throws {
        let text = Self.text(controlRows: ["| 8 | CC6.3 | built-in | issue |  |"])
        let doc = try AttestationDocument.parse(text, path: "docs/attestation-log/2026-Q4.md")
        #expect(Self.catalogue.problems(of: doc, at: "parent") == ["control X9.1 (controls/x.sql, step 9) is in the catalogue at parent but missing from the document"])
        #expect(doc.signingProblems().contains { $0.contains("step 9 does not exist; the runbook has steps 1 to 7 and the controls table names no step 9") }, "\(doc.signingProblems())")
    }
}
