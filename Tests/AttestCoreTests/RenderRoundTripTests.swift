import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore
import AttestTestSupport

@Suite struct RenderRoundTripTests {
    init() { CommonMark.install() } // the attestation file is read by cmark-gfm

    static let quarter = try! Quarter(parsing: "2026-Q4")
    static let window = Schedule().window(for: quarter)

    /// Results as `collect` writes them, for one combination of statuses.
    static func results(_ statuses: [StepStatus]) -> EvidenceResults {
        let steps = Controls.all.map { c in
            let status = statuses[c.step - 1]
            let findings: [StepFinding] = status == .finding
                ? [StepFinding(detail: "step \(c.step): a | pipe, a \\ backslash,\na <br> and a newline"), StepFinding(detail: "second `finding` ✓")]
                : []
            return StepResult(step: c.step, criterion: c.criterion, name: c.name, status: status, summary: "summary of \(c.step)",
                              findings: findings, sql: "SELECT 1", parameters: [], rowCount: 0, evidenceFile: c.evidenceFile,
                              sha256: status == .error ? "" : Hex.encode(Array(repeating: UInt8(c.step), count: 32)))
        }
        return EvidenceResults(quarter: quarter, asOf: "2026-10-03T12:00:00Z",
                               database: DatabaseIdentity(serverVersion: "15", database: "raxx", user: "ro", host: "localhost"),
                               snapshotId: "00000003-1", steps: steps, tool: "attest test")
    }

    /// Every one of the 3^7 combinations of statuses, with and without issue links; run as
    /// six parallel cases (step 1's status × linked).
    static let allCombinations: [[StepStatus]] = {
        var out: [[StepStatus]] = [[]]
        for _ in 1...7 { out = out.flatMap { prefix in StepStatus.allCases.map { prefix + [$0] } } }
        return out
    }()

    @Test(arguments: StepStatus.allCases, [false, true])
    func everyCombinationOfStatusesRoundTrips(first: StepStatus, linked: Bool) throws {
        let template = try MustacheTemplate(DefaultTemplate.text, name: DefaultTemplate.path)
        #expect(Self.allCombinations.count == 2187)
        var results: [OverallResult: Int] = [:]
        for statuses in Self.allCombinations where statuses[0] == first {
            do {
                let issues: [Int: String] = linked ? [1: "#1", 2: "raxx/api#2", 3: "https://github.com/raxx/api/issues/3", 4: "#4", 5: "#5", 6: "#482", 7: "#7"] : [:]
                let doc = AttestationDocument.from(results: Self.results(statuses), window: Self.window, operatorName: "Olive | Operator",
                                                   operatorEmail: "olive@example.com", date: "2026-10-03",
                                                   manifestSHA256: String(repeating: "c", count: 64), issues: issues)
                let text = try doc.render(with: template, outputPath: "docs/attestation-log/2026-Q4.md")
                let back = try AttestationDocument.parse(text, path: "docs/attestation-log/2026-Q4.md")
                #expect(back == doc)
                #expect(back.steps.map(\.status) == statuses)
                results[back.result, default: 0] += 1
                // The result follows the rule: clean only when all pass; never signable with an
                // error; a step 7 finding (rendered unresolved) always blocks.
                let expected: OverallResult = statuses.contains(.error) || statuses[6] == .finding ? .blocked
                    : statuses.allSatisfy { $0 == .pass } ? .clean : linked ? .qualified : .blocked
                #expect(back.result == expected, "\(statuses) linked \(linked)")
                if back.result != .blocked { #expect(back.signingProblems() == []) } else { #expect(!back.signingProblems().isEmpty) }
            }
        }
        #expect(results.values.reduce(0, +) == 729)
        #expect(results[.clean] == (first == .pass ? 1 : nil))
        #expect(((results[.qualified] ?? 0) > 0) == (linked && first != .error))
        #expect(results[.blocked]! > 0)
    }

    @Test func embeddedTemplateIsTheRepositoryFile() throws {
        let file = try String(contentsOfFile: packageRoot + "/" + DefaultTemplate.path, encoding: .utf8)
        #expect(DefaultTemplate.text == file, "run scripts/embed-resources")
        let readme = try String(contentsOfFile: packageRoot + "/" + FormatReadme.path, encoding: .utf8)
        #expect(FormatReadme.text == readme, "run scripts/embed-resources")
    }

    @Test func aTemplateThatDropsAColumnIsRefused() throws {
        let broken = DefaultTemplate.text.replacingOccurrences(of: "| {{step}} | {{control_name}} | {{aicpa_ref}} | {{status}} | {{evidence_sha256}} |",
                                                              with: "| {{step}} | {{control_name}} | {{aicpa_ref}} | {{status}} | |")
        let template = try MustacheTemplate(broken, name: "mine.mustache")
        let doc = AttestationDocument.from(results: Self.results(Array(repeating: .pass, count: 7)), window: Self.window, operatorName: "O",
                                           operatorEmail: "o@x", date: "2026-10-03", manifestSHA256: String(repeating: "c", count: 64), issues: [:])
        let error = #expect(throws: AttestError.self) { try doc.render(with: template, outputPath: "docs/attestation-log/2026-Q4.md") }
        #expect(error?.description.hasPrefix("template mine.mustache does not carry every fact") == true, "\(String(describing: error))")
    }
}
