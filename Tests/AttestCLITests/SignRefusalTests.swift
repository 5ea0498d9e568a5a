import Foundation
import Testing
import AttestTestSupport

/// Every refusal of `attest sign`: exit 1 (or 3), a message naming what and where, and nothing
/// moved: HEAD and the index as they were.
@Suite struct SignRefusalTests {
    let doc = "docs/attestation-log/2026-Q4.md"
    let at = "2026-10-03 12:00:00"

    func rendered(_ statuses: [String], issues: [String] = []) -> ComplianceRepo {
        let c = ComplianceRepo("refuse")
        c.evidence(statuses: statuses)
        let r = c.attest(["render", "--quarter", "2026-Q4"] + issues.flatMap { ["--issue", $0] }, at: "2026-10-02 09:30:00")
        #expect(r.status == 0, "\(r)")
        return c
    }

    static let sixFinding = ["pass", "pass", "pass", "pass", "pass", "finding", "pass"]

    /// Runs sign and checks it refused without touching HEAD or the index.
    func refused(_ c: ComplianceRepo, _ extra: [String] = [], exit: Int32 = 1) throws -> String {
        let head = c.head()
        let index = try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index"))
        let r = c.attest(["sign", "--quarter", "2026-Q4"] + extra, at: at)
        #expect(r.status == exit, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(c.head() == head)
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")) == index)
        return r.stderr
    }

    func line(of text: String, in c: ComplianceRepo) throws -> Int {
        let lines = c.read(doc).components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    @Test func findingWithoutIssueNamesStepAndLine() throws {
        let c = rendered(Self.sixFinding)
        let n = try line(of: "| 6 | step 6 finding", in: c)
        let err = try refused(c)
        #expect(err.contains("error: \(doc) cannot be signed:"), "\(err)")
        #expect(err.contains("line \(n): the step 6 finding has no issue reference"), "\(err)")
        #expect(err.contains("the result is blocked"), "\(err)")
    }

    @Test func unresolvedStep7Finding() throws {
        let c = rendered(["pass", "pass", "pass", "pass", "pass", "pass", "finding"], issues: ["7=raxx/api#490"])
        let n = try line(of: "| 7 | step 7 finding", in: c)
        let err = try refused(c)
        #expect(err.contains("line \(n): the step 7 finding is not resolved"), "\(err)")
        // Marked resolved (and the result corrected by hand), it signs.
        let fixed = c.read(doc).replacingOccurrences(of: "| raxx/api#490 | no |", with: "| raxx/api#490 | yes |")
            .replacingOccurrences(of: "| Result | blocked |", with: "| Result | qualified |")
        c.write(doc, fixed)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: at)
        #expect(r.status == 0, "\(r)")
    }

    @Test func missingStepNamesTheStep() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        let text = c.read(doc)
        let row = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("| 4 | Data retention") })
        c.write(doc, text.replacingOccurrences(of: row + "\n", with: ""))
        let header = try line(of: "| Step | Control | AICPA ref |", in: c)
        let err = try refused(c)
        #expect(err.contains("line \(header): step 4 is missing from the steps table"), "\(err)")
    }

    @Test func editedTableThatNoLongerParses() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        let text = c.read(doc)
        let row = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("| 3 | ") })
        c.write(doc, text.replacingOccurrences(of: row, with: row.replacingOccurrences(of: " | pass | ", with: " | pass | | ")))
        let n = try line(of: "| 3 | ", in: c)
        let err = try refused(c)
        #expect(err.contains("error: \(doc):\(n): this steps table row has 6 cells; expected 5"), "\(err)")
    }

    @Test func evidenceThatDoesNotMatch() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        c.write("evidence/2026-Q4/CC7.2-pgaudit-sample.txt", "changed after rendering\n")
        let n = try line(of: "| 6 | ", in: c)
        let err = try refused(c)
        #expect(err.contains("line \(n): step 6 evidence SHA-256 does not match CC7.2-pgaudit-sample.txt"), "\(err)")
        // Without the evidence folder it signs, and says the digests were not checked.
        try FileManager.default.removeItem(atPath: c.path + "/evidence/2026-Q4")
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: at)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("was not there: its digests were not checked"), "\(r)")
    }

    @Test func nothingChangedSinceHEAD() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        c.git(["add", doc])
        c.git(["commit", "-q", "-m", "file committed by hand"])
        let err = try refused(c)
        #expect(err.contains("\(doc) has not changed since HEAD"), "\(err)")
    }

    @Test func detachedHEAD() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        c.git(["checkout", "-q", "--detach"])
        #expect(try refused(c).contains("HEAD is detached"))
    }

    @Test func indexLock() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        _ = FileManager.default.createFile(atPath: c.path + "/.git/index.lock", contents: Data())
        #expect(try refused(c).contains(".git/index.lock exists"))
    }

    @Test func mergeInProgress() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        c.git(["checkout", "-q", "-b", "side"])
        c.write("README.md", "side\n"); c.git(["commit", "-qam", "side"])
        c.git(["checkout", "-q", "main"])
        c.write("README.md", "main\n"); c.git(["commit", "-qam", "main"])
        #expect(c.git(["merge", "side"], check: false).status != 0)
        #expect(try refused(c).contains("a merge is in progress"))
    }

    @Test func amendsWithoutAnEarlierSignoff() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        #expect(try refused(c, ["--amends", "typo"]).contains("has no sign-off on main to amend"))
    }

    @Test func lateInsideTheWindowIsAUsageError() throws {
        let c = rendered(Array(repeating: "pass", count: 7))
        #expect(try refused(c, ["--late", "--reason", "x"], exit: 2).contains("window is open until 2026-10-06 23:59:59 UTC"))
    }

    @Test(arguments: [
        (["--late"], "--late needs --reason TEXT"),
        (["--reason", "x"], "--reason is only for a late sign-off"),
        (["--quarter", "2026-Q5"], "'2026-Q5' is not a quarter"),
        (["--amends", " "], "--amends needs TEXT"),
    ])
    func usageErrors(_ args: [String], _ message: String) {
        let c = ComplianceRepo("usage")
        let r = c.attest(["sign"] + args, at: at)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: \(message)"), "\(r)")
        #expect(r.stderr.contains("usage: attest sign [--quarter YYYY-QN]"))
    }
}

@Suite struct InitRenderTests {
    @Test func initWritesOnceAndNeverOverwrites() throws {
        let c = ComplianceRepo("init")
        #expect(c.read(".attestconfig").contains("# openDaysBefore = 5"))
        #expect(c.read("templates/attestation.md.mustache").contains("| Step | Control | AICPA ref | Status | Evidence SHA-256 |"))
        #expect(c.read("docs/attestation-log/README.md").hasPrefix("# The attestation file format"))
        #expect(c.read(".gitignore").contains("/evidence/\n"))
        c.write("templates/attestation.md.mustache", "mine\n")
        let again = c.attest(["init"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("skipped templates/attestation.md.mustache (exists; not overwritten)"))
        #expect(again.stdout.contains("skipped .gitignore"))
        #expect(c.read("templates/attestation.md.mustache") == "mine\n")
        #expect(c.git(["status", "--porcelain"]).stdout.contains(" M templates/attestation.md.mustache"))
    }

    /// render's line counts the steps in English: no zero counts, singular and plural right.
    @Test func renderCountsTheStepsInEnglish() throws {
        let clean = ComplianceRepo("render")
        clean.evidence()
        let r = clean.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(r.status == 0 && r.stdout.hasPrefix("wrote docs/attestation-log/2026-Q4.md: 2026-Q4 clean; 7 passed\n"), "\(r)")

        let mixed = ComplianceRepo("render")
        mixed.evidence(statuses: ["pass", "finding", "pass", "pass", "error", "finding", "pass"])
        let m = mixed.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(m.status == 0, "\(m)")
        #expect(m.stdout.hasPrefix("wrote docs/attestation-log/2026-Q4.md: 2026-Q4 blocked; 4 passed, 2 with findings (2 findings), 1 error\n"), "\(m)")
    }

    @Test func renderWritesTheFactsAndRefusesToOverwrite() throws {
        let c = ComplianceRepo("render")
        c.evidence(statuses: ["pass", "pass", "pass", "pass", "pass", "finding", "pass"])
        let r = c.attest(["render", "--quarter", "2026-Q4", "--issue", "6=https://github.com/raxx/api/issues/482"], at: "2026-10-02 09:30:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("wrote docs/attestation-log/2026-Q4.md: 2026-Q4 qualified; 6 passed, 1 with a finding"), "\(r)")
        let text = c.read("docs/attestation-log/2026-Q4.md")
        #expect(text.contains("| Operator | Olive Operator |"))
        #expect(text.contains("| Date | 2026-10-02 |"))
        #expect(text.contains("| Window closes | 2026-10-06T23:59:59Z |"))
        #expect(text.contains("| Evidence manifest SHA-256 | \(c.sha256(c.path + "/evidence/2026-Q4/SHA256SUMS")) |"))
        #expect(text.contains("| 6 | step 6 finding \\| with a pipe | https://github.com/raxx/api/issues/482 | no |"))
        #expect(text.contains("| 1 | Logical access — least privilege | CC6.1 | pass | \(c.sha256(c.path + "/evidence/2026-Q4/CC6.1-role-assignment.csv")) |"))
        let again = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists; it is not overwritten without --force"))
        #expect(c.read("docs/attestation-log/2026-Q4.md") == text)
    }

    @Test func renderWithoutIssueSaysWhatBlocks() {
        let c = ComplianceRepo("render")
        c.evidence(statuses: ["pass", "pass", "pass", "pass", "pass", "finding", "pass"])
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(r.status == 0)
        #expect(r.stdout.contains("2026-Q4 blocked"))
        #expect(r.stdout.contains("the step 6 finding has no issue reference"), "\(r)")
    }

    @Test func brokenTemplateNamesItsLine() {
        let c = ComplianceRepo("render")
        c.evidence()
        c.write("templates/attestation.md.mustache", "# {{quarter}}\n\n{{#steps}}\n| {{step}} |\n")
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(r.status == 1)
        #expect(r.stderr.contains("template templates/attestation.md.mustache:3: section 'steps' is never closed"), "\(r)")
    }

    @Test(arguments: [
        (["--issue", "6"], "--issue '6' is not STEP=REF"),
        (["--issue", "100=#1"], "--issue '100=#1' is not STEP=REF"),
        (["--issue", "6=see slack"], "--issue '6=see slack': 'see slack' is not an issue reference"),
        (["--issue", "6=#1", "--issue", "6=#2"], "--issue gives step 6 twice"),
    ])
    func renderUsageErrors(_ args: [String], _ message: String) {
        let c = ComplianceRepo("render")
        let r = c.attest(["render"] + args)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: \(message)"), "\(r)")
    }

    @Test func issueForAStepWithoutFinding() {
        let c = ComplianceRepo("render")
        c.evidence()
        let r = c.attest(["render", "--quarter", "2026-Q4", "--issue", "3=#1"], at: "2026-10-02 09:30:00")
        #expect(r.status == 2)
        #expect(r.stderr.contains("step 3 has no finding"), "\(r)")
    }
}
