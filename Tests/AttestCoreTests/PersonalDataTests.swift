import Foundation
import Testing
@testable import AttestCore
import AttestMarkdown

/// What render commits of a finding (issue #15): the withheld form and the row reference, and no
/// email address but the operator's, whatever results.json holds.
@Suite struct PersonalDataTests {
    // render reads the document back through the one parser: run alone, nothing else installs it.
    init() { CommonMark.install() }

    @Test func addressesAreFoundWhereTextPutsThem() {
        let text = "granted by Root <root@raxx.example>, then ops@raxx.example. See a@b (no domain dot), x@.y, and O.Brien+q@Audit-Firm.co.uk;"
        #expect(PersonalData.emails(in: text) == ["root@raxx.example", "ops@raxx.example", "O.Brien+q@Audit-Firm.co.uk"])
        #expect(PersonalData.emails(in: text, except: "OPS@raxx.example") == ["root@raxx.example", "O.Brien+q@Audit-Firm.co.uk"])
        #expect(PersonalData.withoutEmails("by root@raxx.example.", keep: "olive@example.com") == "by \(PersonalData.placeholder).")
        #expect(PersonalData.addressLines(in: "a\nolive@example.com\nb dana@raxx.example c\n", except: "olive@example.com").map { "\($0.line) \($0.address)" }
                == ["3 dana@raxx.example"])
    }

    static func results(_ findings: [StepFinding], summary: String = "2 findings") -> EvidenceResults {
        let steps = Controls.all.map { c in
            StepResult(step: c.step, criterion: c.criterion, name: c.name, status: c.step == 1 ? .finding : .pass,
                       summary: c.step == 1 ? summary : "by olive@example.com and pat@raxx.example", findings: c.step == 1 ? findings : [],
                       sql: "SELECT 1", parameters: [], rowCount: 0, evidenceFile: c.evidenceFile,
                       sha256: Hex.encode(Array(repeating: UInt8(c.step), count: 32)))
        }
        return EvidenceResults(quarter: try! Quarter(parsing: "2026-Q4"), asOf: "2026-10-03T12:00:00Z",
                               database: DatabaseIdentity(serverVersion: "15", database: "raxx", user: "ro", host: "localhost"),
                               snapshotId: "1", steps: steps, tool: "attest test")
    }

    @Test func renderCommitsTheRowReferenceAndNoColleaguesAddress() throws {
        let digest = String(repeating: "ab", count: 32)
        let withRow = StepFinding(detail: "raxx-compliance-auditors has member alice@auditfirm.example (granted 2026-03-01 by ops@raxx.example)",
                                  withheld: "raxx-compliance-auditors has a member (granted 2026-03-01)", evidenceLine: 2, evidenceLineSHA256: digest)
        // As a results.json written before findings carried row references has it.
        let older = StepFinding(detail: "direct user grant to mallory@raxx.example by olive@example.com")
        let q = try Quarter(parsing: "2026-Q4")
        let doc = AttestationDocument.from(results: Self.results([withRow, older]), window: Schedule().window(for: q), operatorName: "Olive",
                                           operatorEmail: "olive@example.com", date: "2026-10-03", manifestSHA256: digest, issues: [1: "#12"])
        #expect(doc.findings.map(\.detail) == [
            "raxx-compliance-auditors has a member (granted 2026-03-01) (evidence CC6.1-role-assignment.csv line 2, sha256 abababababababab)",
            "direct user grant to \(PersonalData.placeholder) by olive@example.com",
        ])
        let text = try doc.render(with: try MustacheTemplate(DefaultTemplate.text, name: DefaultTemplate.path), outputPath: "docs/attestation-log/2026-Q4.md",
                                  summaries: Dictionary(uniqueKeysWithValues: Self.results([]).steps.map { ($0.step, $0.summary) }))
        #expect(Set(PersonalData.emails(in: text)) == ["olive@example.com"], "\(text)")
        #expect(text.contains("by olive@example.com and \(PersonalData.placeholder)"), "\(text)")
    }
}
