import Testing
import AttestCore

/// The one sentence collect, render and sign print about a quarter's steps.
@Suite struct StepTallyTests {
    static func tally(_ statuses: [StepStatus], findings: Int) -> String { StepTally(statuses: statuses, findings: findings).sentence }

    @Test func allPassSaysOnlyThat() {
        #expect(Self.tally(Array(repeating: .pass, count: 7), findings: 0) == "7 passed")
    }

    @Test func oneFindingIsSingular() {
        #expect(Self.tally([.pass, .pass, .pass, .pass, .pass, .finding, .pass], findings: 1) == "6 passed, 1 with a finding")
    }

    @Test func twoFindingsAreCountedOnceInBrackets() {
        #expect(Self.tally([.pass, .pass, .pass, .pass, .pass, .finding, .pass], findings: 2) == "6 passed, 1 with findings (2 findings)")
        #expect(Self.tally([.pass, .finding, .pass, .pass, .pass, .finding, .pass], findings: 2) == "5 passed, 2 with findings (2 findings)")
    }

    @Test func errorsAreCountedAndZeroCountsLeftOut() {
        #expect(Self.tally([.pass, .pass, .pass, .pass, .pass, .pass, .error], findings: 0) == "6 passed, 1 error")
        #expect(Self.tally([.pass, .pass, .error, .pass, .pass, .finding, .error], findings: 3) == "4 passed, 1 with findings (3 findings), 2 errors")
        #expect(Self.tally(Array(repeating: .error, count: 7), findings: 0) == "7 errors")
        let s = Self.tally([.pass, .finding, .error], findings: 1)
        #expect(!s.contains("0 ") && !s.contains("(s)"), "\(s)")
    }

    @Test func resultsCountAFindingStepWithoutListedFindingsAsOne() {
        func step(_ n: Int, _ status: StepStatus, _ findings: [String]) -> StepResult {
            StepResult(step: n, criterion: "C", name: "A", status: status, summary: "s", findings: findings.map(StepFinding.init(detail:)),
                       sql: "", parameters: [], rowCount: 0, evidenceFile: "f", sha256: "")
        }
        let t = StepTally(steps: [step(1, .pass, []), step(2, .finding, []), step(3, .finding, ["a", "b"]), step(4, .error, [])])
        #expect(t == StepTally(statuses: [.pass, .finding, .finding, .error], findings: 3))
        #expect(t.sentence == "1 passed, 2 with findings (3 findings), 1 error")
    }

    @Test func englishCounts() {
        #expect(English.count(0, "finding") == "0 findings")
        #expect(English.count(1, "finding") == "1 finding")
        #expect(English.count(2, "finding") == "2 findings")
        #expect(English.count(2, "entry", plural: "entries") == "2 entries")
    }
}
