import Foundation
import Testing
import AttestCore
import AttestControls
import AttestTestSupport

/// schema/demo-data.sql with schema/demo-repo/: every 2026 quarter collected inside its window
/// passes, and schema/demo-finding.sql adds a finding to exactly the chosen quarter.
@Suite struct CollectDemoDataTests {
    static let quarters: [(quarter: String, at: String)] = [
        ("2026-Q1", "2026-01-02 09:00:00"), ("2026-Q2", "2026-04-02 09:00:00"),
        ("2026-Q3", "2026-07-02 09:00:00"), ("2026-Q4", "2026-10-02 09:00:00"),
    ]

    func exportLog(_ repo: ScratchRepository, _ quarter: String, at: String) -> String {
        let end = at.replacingOccurrences(of: " ", with: "T") + "Z"
        let start = UTC.iso(UTC.parseInstant(end)!.addingTimeInterval(-95 * 86400))
        let path = repo.path + "/exports/pgaudit-\(quarter).log"
        try! FileManager.default.createDirectory(atPath: repo.path + "/exports", withIntermediateDirectories: true)
        // The Q3 export has a 25.5-hour hole inside maintenance window MW-2026-05.
        let r = run("bash", ["-c", "python3 \"$0\" --start \(start) --end \(end) --events-per-hour 6 --gap 2026-05-16T21:00:00Z/2026-05-17T22:30:00Z > \(path)",
                             packageRoot + "/bench/gen-pgaudit-log.py"])
        #expect(r.status == 0, "\(r)")
        return path
    }

    @Test func every2026QuarterPassesAndTheKnobAddsOneFinding() throws {
        let db = try TestDatabase.shared()
        let name = try db.createDatabase("demo")
        try db.psqlFile(packageRoot + "/schema/raptor.sql", database: name)
        try db.psqlFile(packageRoot + "/schema/demo-data.sql", database: name)
        #expect(try db.psql("SELECT count(*) FROM customer_audit_events", database: name).trimmingCharacters(in: .whitespacesAndNewlines) == "300000")
        let repo = ScratchRepository("demo")
        #expect(run("cp", ["-r", packageRoot + "/schema/demo-repo/docs", repo.path + "/"]).status == 0)
        var logs: [String: String] = [:]
        for (q, at) in Self.quarters {
            logs[q] = exportLog(repo, q, at: at)
            let r = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", logs[q]!], at: at)
            #expect(r.status == 0, "\(q): \(r)")
        }
        let q3 = try EvidenceResults.load(from: URL(fileURLWithPath: repo.path + "/evidence/2026-Q3/results.json"))
        #expect(q3.steps[6].rowCount > 0, "the demo has privileged grants to review in Q3")
        let sample = try String(contentsOfFile: repo.path + "/evidence/2026-Q3/CC7.2-pgaudit-sample.txt", encoding: .utf8)
        #expect(sample.contains(": explained by maintenance window MW-2026-05"), "\(sample.prefix(900))")

        let knob = run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "quarter=2026-Q3", "-v", "blocking=1", "-h", db.host, "-U", "postgres",
                                "-d", name, "-f", packageRoot + "/schema/demo-finding.sql"])
        #expect(knob.status == 0, "\(knob)")
        for (q, at) in Self.quarters {
            let r = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", logs[q]!, "--force"], at: at)
            if q == "2026-Q3" {
                #expect(r.status == 1, "\(r)")
                // Each finding once, as a bullet under its step's line, which counts them.
                let lines = r.stdout.split(separator: "\n")
                #expect(lines[3] == "Step 4  A1.2   finding  1 finding", "\(r.stdout)")
                #expect(lines[4].hasPrefix("        - archival run") && lines[4].contains("has status 'failed'"), "\(r.stdout)")
                #expect(lines[7] == "Step 7  CC6.7  finding  1 finding", "\(r.stdout)")
                #expect(lines[8].hasPrefix("        - grant of raptor-audit-admin to tomasz.nowak@raxx.example") && lines[8].hasSuffix("has no change_window_id"), "\(r.stdout)")
                #expect(lines[9] == "2026-Q3: 5 passed, 2 with findings (2 findings)", "\(r.stdout)")
            } else {
                #expect(r.status == 0, "\(q) must stay clean: \(r)")
            }
        }
    }
}
