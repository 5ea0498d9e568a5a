import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore

/// A hand-written attestation file in the documented format (docs/attestation-log/README.md),
/// independent of the template and the renderer.
enum SampleDocument {
    static let digest = String(repeating: "ab", count: 32)
    static let manifest = String(repeating: "0f", count: 32)

    static func text(stepRows: [String]? = nil, findingRows: [String] = ["| 6 | gap of 30 h on 2026-08-12 \\| no window | #482 | no |"],
                     result: String = "qualified", quarter: String = "2026-Q4") -> String {
        let steps = stepRows ?? Controls.all.map { c in
            "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | `\(digest)` |"
        }
        return """
        # SOC-2 quarterly attestation: \(quarter)

        Some prose the parser does not read. | not a table row

        | Field | Value |
        |---|---|
        | Quarter | \(quarter) |
        | Window opens | 2026-09-26T00:00:00Z |
        | Window closes | 2026-10-06T23:59:59Z |
        | Operator | Olive \\| Operator |
        | Operator email | olive@example.com |
        | Date | 2026-10-03 |
        | Result | \(result) |
        | Evidence manifest SHA-256 | \(manifest) |

        ## Steps

        | Step | Control | AICPA ref | Status | Evidence SHA-256 |
        |---|---|:---:|---|---|
        \(steps.joined(separator: "\n"))

        ## Findings

        | Step | Finding | Issue | Resolved |
        |---|---|---|---|
        \(findingRows.joined(separator: "\n"))

        ## Sign-off

        I confirm.

        """
    }
}

@Suite struct AttestationDocumentTests {
    init() { CommonMark.install() } // the attestation file is read by cmark-gfm

    let path = "docs/attestation-log/2026-Q4.md"

    @Test func parsesTheDocumentedFormat() throws {
        let doc = try AttestationDocument.parse(SampleDocument.text(), path: path)
        #expect(doc.quarter.description == "2026-Q4")
        #expect(UTC.iso(doc.windowOpens) == "2026-09-26T00:00:00Z")
        #expect(UTC.iso(doc.windowCloses) == "2026-10-06T23:59:59Z")
        #expect(doc.operatorName == "Olive | Operator")
        #expect(doc.operatorEmail == "olive@example.com")
        #expect(doc.date == "2026-10-03")
        #expect(doc.result == .qualified)
        #expect(doc.manifestSHA256 == SampleDocument.manifest)
        #expect(doc.steps.map(\.step) == Array(1...7))
        #expect(doc.steps[0] == DocumentStep(step: 1, criterion: "CC6.1", name: "Logical access — least privilege", status: .pass,
                                             evidenceSHA256: SampleDocument.digest))
        #expect(doc.steps[5].status == .finding)
        #expect(doc.findings == [DocumentFinding(step: 6, detail: "gap of 30 h on 2026-08-12 | no window", issue: "#482", resolved: false)])
        #expect(doc.lines.fields["Result"] == 13)
        #expect(doc.lines.steps[1] == 20)
        #expect(doc.lines.findings == [32])
        #expect(doc.signingProblems() == [])
    }

    @Test func crlfLineEndingsParseTheSame() throws {
        let lf = try AttestationDocument.parse(SampleDocument.text(), path: path)
        let crlf = try AttestationDocument.parse(SampleDocument.text().replacingOccurrences(of: "\n", with: "\r\n"), path: path)
        #expect(lf == crlf)
    }

    /// Human edits that break the format: each is an error naming the file and the line.
    @Test(arguments: [
        ("| 3 | Change management — audit trail integrity | CC8.1 | pass |", "2026-Q4.md:22:", "has 4 cells; expected 5"),
        ("| 3 | Change management — audit trail integrity | CC8.1 | passed | \(SampleDocument.digest) |", "2026-Q4.md:22:", "status 'passed'"),
        ("| 3 | Change management — audit trail integrity | CC8.1 | pass | abc |", "2026-Q4.md:22:", "not 64 lowercase hex"),
        ("| 9 | x | y | pass | \(SampleDocument.digest) |", "2026-Q4.md:22:", "step '9' is not a step number"),
        ("| 1 | x | y | pass | \(SampleDocument.digest) |", "2026-Q4.md:22:", "step 1 is listed twice (also line 20)"),
        ("| 3 | Change management | CC8.1 | pass | \(SampleDocument.digest)", "2026-Q4.md:22:", "does not end with '|'"),
    ])
    func brokenStepRow(_ row: String, _ location: String, _ fragment: String) throws {
        var rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | \(SampleDocument.digest) |" }
        rows[2] = row
        let error = #expect(throws: AttestError.self) { try AttestationDocument.parse(SampleDocument.text(stepRows: rows), path: path) }
        #expect(error?.description.contains(location) == true, "\(String(describing: error))")
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        // A broken row is a failed check (exit 1 in the command layer, ErrorReport.swift).
        #expect(error.map { if case .failed = $0 { true } else { false } } == true)
    }

    @Test(arguments: [
        ("| Step | Control | Status | Evidence SHA-256 |", "\n|---|---|---|---|", 18, "is not one the attestation format knows"),
        ("| Step | Control | AICPA ref | Status | Evidence SHA-256 |", "\n|---|---|---|", 19, "delimiter row of 5 cells"),
    ])
    func brokenStepsHeader(_ header: String, _ delimiter: String, _ line: Int, _ fragment: String) throws {
        var text = SampleDocument.text()
        text = text.replacingOccurrences(of: "| Step | Control | AICPA ref | Status | Evidence SHA-256 |\n|---|---|:---:|---|---|",
                                         with: header + delimiter)
        let error = #expect(throws: AttestError.self) { try AttestationDocument.parse(text, path: path) }
        #expect(error?.description.contains("2026-Q4.md:\(line):") == true, "\(String(describing: error))")
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        ("| Result | qualified |", "| Result | done |", "2026-Q4.md:13:", "Result 'done'"),
        ("| Result | qualified |", "| Reslt | clean |", "2026-Q4.md:13:", "unknown field 'Reslt'"),
        ("| Date | 2026-10-03 |", "| Date | 3 Oct 2026 |", "2026-Q4.md:12:", "not a date"),
        ("| Result | qualified |", "| Quarter | 2026-Q3 |", "2026-Q4.md:13:", "given twice (also line 7)"),
        ("| Window opens | 2026-09-26T00:00:00Z |", "| Window opens | 2026-09-26 |", "2026-Q4.md:8:", "not a UTC instant"),
        ("| Evidence manifest SHA-256 | \(SampleDocument.manifest) |", "| Evidence manifest SHA-256 | TODO |", "2026-Q4.md:14:", "not 64 lowercase hex"),
    ])
    func brokenField(_ original: String, _ replacement: String, _ location: String, _ fragment: String) throws {
        let text = SampleDocument.text().replacingOccurrences(of: original, with: replacement)
        #expect(text != SampleDocument.text())
        let error = #expect(throws: AttestError.self) { try AttestationDocument.parse(text, path: path) }
        #expect(error?.description.contains(location) == true, "\(String(describing: error))")
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test func missingFieldNamesTheTable() throws {
        let text = SampleDocument.text().replacingOccurrences(of: "| Result | qualified |\n", with: "")
        let error = #expect(throws: AttestError.self) { try AttestationDocument.parse(text, path: path) }
        #expect(error?.description == "\(path):5: the fields table has no 'Result' row")
    }

    @Test func quarterMustMatchTheFileName() throws {
        let error = #expect(throws: AttestError.self) {
            try AttestationDocument.parse(SampleDocument.text(quarter: "2026-Q3"), path: path)
        }
        #expect(error?.description.contains("2026-Q4.md:7: the file is named for 2026-Q4 but its Quarter field says 2026-Q3") == true)
    }

    @Test func badIssueReferenceNamesTheLine() throws {
        let text = SampleDocument.text(findingRows: ["| 6 | gap | see slack | no |"])
        let error = #expect(throws: AttestError.self) { try AttestationDocument.parse(text, path: path) }
        #expect(error?.description.contains("2026-Q4.md:32: step 6: issue 'see slack' is not an issue reference") == true)
    }

    @Test func junkIsAnErrorNotACrash() throws {
        for junk in ["", "|", "||||", "| Field | Value |", "| Field | Value |\n|---|---|\n| Quarter |", String(repeating: "|\\", count: 1000)] {
            #expect(throws: AttestError.self) { try AttestationDocument.parse(junk, path: path) }
        }
    }

    // MARK: sign-time validations

    @Test func findingWithoutIssueNamesStepAndLine() throws {
        let doc = try AttestationDocument.parse(SampleDocument.text(findingRows: ["| 6 | gap |  | no |"], result: "blocked"), path: path)
        let problems = doc.signingProblems()
        #expect(problems.contains { $0.hasPrefix("line 32: the step 6 finding has no issue reference") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("line 13: the result is blocked") }, "\(problems)")
    }

    @Test func missingStepNamesStepAndTable() throws {
        var rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | \(SampleDocument.digest) |" }
        rows.remove(at: 3)
        let doc = try AttestationDocument.parse(SampleDocument.text(stepRows: rows), path: path)
        let problems = doc.signingProblems()
        #expect(problems.first == "line 18: step 4 is missing from the steps table; every step 1 to 7 needs a status (re-render with 'attest render --force')")
        #expect(problems.contains { $0.contains("the result says qualified but the steps and findings make it blocked") })
    }

    @Test func unresolvedStep7FindingBlocks() throws {
        let rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 7 ? "finding" : "pass") | \(SampleDocument.digest) |" }
        let unresolved = try AttestationDocument.parse(SampleDocument.text(stepRows: rows, findingRows: ["| 7 | grant without window | #9 | no |"]), path: path)
        #expect(unresolved.signingProblems().contains { $0.hasPrefix("line 32: the step 7 finding is not resolved") })
        let resolved = try AttestationDocument.parse(SampleDocument.text(stepRows: rows, findingRows: ["| 7 | grant without window | #9 | yes |"]), path: path)
        #expect(resolved.signingProblems() == [])
    }

    @Test func inconsistentResultAndWrongControl() throws {
        var rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | pass | \(SampleDocument.digest) |" }
        rows[1] = "| 2 | Logical access — access review | CC9.9 | pass | \(SampleDocument.digest) |"
        let doc = try AttestationDocument.parse(SampleDocument.text(stepRows: rows, findingRows: [], result: "qualified"), path: path)
        let problems = doc.signingProblems()
        #expect(problems.contains("line 21: step 2 names control 'CC9.9' / 'Logical access — access review'; the runbook's step 2 is CC6.2 / Logical access — access review"))
        #expect(problems.contains { $0.hasPrefix("line 13: the result says qualified but the steps and findings make it clean") })
    }

    // MARK: the overall-result rule

    static func steps(_ statuses: [StepStatus]) -> [DocumentStep] {
        statuses.enumerated().map { DocumentStep(step: $0.offset + 1, criterion: "", name: "", status: $0.element, evidenceSHA256: "") }
    }

    @Test func resultRule() {
        let allPass = Array(repeating: StepStatus.pass, count: 7)
        #expect(OverallResult.evaluate(steps: Self.steps(allPass), findings: []) == .clean)
        #expect(OverallResult.evaluate(steps: Self.steps(Array(allPass.prefix(6))), findings: []) == .blocked)
        var six = allPass; six[5] = .finding
        #expect(OverallResult.evaluate(steps: Self.steps(six), findings: [.init(step: 6, detail: "x", issue: "#1", resolved: false)]) == .qualified)
        #expect(OverallResult.evaluate(steps: Self.steps(six), findings: [.init(step: 6, detail: "x", issue: nil, resolved: false)]) == .blocked)
        #expect(OverallResult.evaluate(steps: Self.steps(six), findings: []) == .blocked)
        #expect(OverallResult.evaluate(steps: Self.steps(six), findings: [.init(step: 5, detail: "x", issue: "#1", resolved: false)]) == .blocked)
        var seven = allPass; seven[6] = .finding
        #expect(OverallResult.evaluate(steps: Self.steps(seven), findings: [.init(step: 7, detail: "x", issue: "#1", resolved: false)]) == .blocked)
        #expect(OverallResult.evaluate(steps: Self.steps(seven), findings: [.init(step: 7, detail: "x", issue: "#1", resolved: true)]) == .qualified)
        var err = allPass; err[2] = .error
        #expect(OverallResult.evaluate(steps: Self.steps(err), findings: []) == .blocked)
    }

    @Test(arguments: ["#1", "#482", "raxx/api#12", "my-org/my.repo#7", "https://github.com/raxx/api/issues/12"])
    func validIssueReferences(_ s: String) { #expect(IssueReference.isValid(s)) }

    @Test(arguments: ["", "#", "482", "#12a", "raxx#12", "a/b/c#1", "https://", "ftp://x/y", "see #12", "https://x.y/a b"])
    func invalidIssueReferences(_ s: String) { #expect(!IssueReference.isValid(s)) }

    @Test(arguments: ["plain", "a | b", "back\\slash \\| both", "<br> literal", "two\nlines", "crlf\r\nx", "", "  spaced  ", "`code`", "é ✓"])
    func cellEscapingRoundTrips(_ value: String) throws {
        let escaped = MarkdownCell.escape(value)
        #expect(!escaped.contains("\n"))
        let row = try #require(MarkdownCell.splitRow("| \(escaped) | x |"))
        #expect(row.count == 2)
        let expected = value.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespaces)
        #expect(MarkdownCell.unescape(row[0]) == expected)
    }
}
