import Foundation
import AttestTestSupport

/// A compliance repository as a user has it after `attest init` and `attest collect`: the init
/// files committed, and an evidence folder (git-ignored) with the seven files, `results.json`
/// and `SHA256SUMS`, written here directly in the documented results.json format.
final class ComplianceRepo: @unchecked Sendable {
    let repo: ScratchRepository
    var path: String { repo.path }
    static let controls: [(step: Int, control: String, name: String, file: String)] = [
        (1, "CC6.1", "Logical access — least privilege", "CC6.1-role-assignment.csv"),
        (2, "CC6.2", "Logical access — access review", "CC6.2-group-membership.txt"),
        (3, "CC8.1", "Change management — audit trail integrity", "CC8.1-hmac-chain-monthly.csv"),
        (4, "A1.2", "Data retention", "A1.2-archiver-manifest.csv"),
        (5, "A1.2", "Data retention", "A1.2-retention-bounds.csv"),
        (6, "CC7.2", "Monitoring — log completeness", "CC7.2-pgaudit-sample.txt"),
        (7, "CC6.7", "Access change control", "CC6.7-rbac-grants-audit.csv"),
    ]

    init(_ label: String = "sign", date: String = "2026-09-01T10:00:00Z") {
        repo = ScratchRepository(label)
        let r = repo.attest(["init"])
        precondition(r.status == 0, "attest init failed: \(r)")
        repo.write("README.md", "compliance repo\n")
        repo.commitAll("attest init", date: date)
    }

    /// Writes evidence/QUARTER with the given statuses ("pass", "finding", "error").
    func evidence(_ quarter: String = "2026-Q4", statuses: [String] = Array(repeating: "pass", count: 7), salt: String = "") {
        let dir = "evidence/\(quarter)"
        var steps: [String] = []
        var sums = ""
        for c in Self.controls {
            let status = statuses[c.step - 1]
            let content = "evidence of step \(c.step) for \(quarter) \(salt)\nolive@example.com,2026-09-30\n"
            repo.write("\(dir)/\(c.file)", content)
            let digest = sha256(path + "/\(dir)/\(c.file)")
            sums += "\(digest)  \(c.file)\n"
            let findings = status == "finding" ? "[{\"detail\": \"step \(c.step) finding | with a pipe\"}]" : "[]"
            steps.append("""
            {"step": \(c.step), "control": "\(c.control)", "aicpa": "\(c.name)", "status": "\(status)", "summary": "summary \(c.step)",
             "findings": \(findings), "sql": "SELECT 1", "parameters": [], "rowCount": 0, "evidenceFile": "\(c.file)", "sha256": "\(digest)"}
            """)
        }
        repo.write("\(dir)/results.json", """
        {"schemaVersion": 1, "quarter": "\(quarter)", "asOf": "2026-10-02T09:00:00Z",
         "database": {"serverVersion": "15.6", "database": "raxx", "user": "attest_ro", "host": "localhost"},
         "snapshotId": "00000003-0000001B-1", "steps": [\(steps.joined(separator: ",\n"))], "tool": "attest test"}
        """)
        repo.write("\(dir)/SHA256SUMS", sums)
    }

    func sha256(_ file: String) -> String {
        String(run("sha256sum", [file]).stdout.prefix(64))
    }

    @discardableResult
    func attest(_ args: [String], at time: String? = nil, env: [String: String] = [:]) -> RunResult { repo.attest(args, at: time, env: env) }
    @discardableResult
    func git(_ args: [String], env: [String: String] = [:], stdin: String? = nil, check: Bool = true) -> RunResult {
        repo.git(args, env: env, stdin: stdin.map { Data($0.utf8) }, check: check)
    }
    func head() -> String { repo.revParse("HEAD") }
    func read(_ relative: String) -> String { (try? String(contentsOfFile: path + "/" + relative, encoding: .utf8)) ?? "" }
    func write(_ relative: String, _ text: String) { repo.write(relative, text) }
}
