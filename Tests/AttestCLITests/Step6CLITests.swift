import Foundation
import Testing
import AttestCore
import AttestControls
import AttestTestSupport

/// Step 6 through the built binary (issue 16): a pipe on standard input, unreadable exports as
/// `error` with the exit code and the line pinned, and one outage as one finding in
/// results.json, render's output, sign's refusal and the attestation file.
@Suite struct Step6CLITests {
    static let asOf = "2026-04-03T12:00:00Z"

    func repo(_ label: String) -> ScratchRepository {
        let repo = ScratchRepository(label)
        CollectCLITests.writeRepoDocs(repo)
        return repo
    }

    func collect(_ repo: ScratchRepository, _ db: TestDatabase, _ name: String, _ extra: [String], stdin: Data? = nil) -> RunResult {
        repo.attest(["collect", "--quarter", "2026-Q2", "--as-of", Self.asOf, "--db", db.conninfo(database: name), "--force"] + extra,
                    env: ["NO_COLOR": "1"], stdin: stdin)
    }

    func step6(_ stdout: String) -> String { stdout.split(separator: "\n").first { $0.hasPrefix("Step 6  ") }.map(String.init) ?? "" }

    @Test func standardInputFromAPipeGivesTheSameEvidenceAsTheFile() throws {
        let db = try TestDatabase.shared()
        let name = try CollectCLITests.passingDatabase(db)
        let repo = repo("s6pipe")
        let log = CollectCLITests.writeLog(repo)
        let file = collect(repo, db, name, ["--pgaudit-log", log, "--out", "ev-file"])
        #expect(file.status == 0, "\(file)")
        // A real pipe: gzip -c | attest collect --pgaudit-log - (the .gz is detected on stdin too).
        let r = run("bash", ["-c", "gzip -c \"$1\" | \"$0\" collect --quarter 2026-Q2 --as-of \(Self.asOf) --db \"$2\" --pgaudit-log - --out ev-pipe",
                             attestBinary, log, db.conninfo(database: name)], cwd: repo.path, environment: testEnvironment(home: repo.path + "/.home"))
        #expect(r.status == 0, "\(r)")
        #expect(step6(r.stdout) == step6(file.stdout), "\(r.stdout)")
        let a = try String(contentsOfFile: repo.path + "/ev-file/CC7.2-pgaudit-sample.txt", encoding: .utf8)
        let b = try String(contentsOfFile: repo.path + "/ev-pipe/CC7.2-pgaudit-sample.txt", encoding: .utf8)
        #expect(b.contains("# source: export standard input ("), "\(b.prefix(600))")
        func body(_ s: String) -> [Substring] { s.split(separator: "\n").filter { !$0.hasPrefix("# source: ") } }
        #expect(body(a) == body(b))
    }

    @Test func unreadableExportsAreErrorsWithExitOne() throws {
        let db = try TestDatabase.shared()
        let name = try CollectCLITests.passingDatabase(db)
        let repo = repo("s6err")
        let good = CollectCLITests.writeLog(repo)
        let text = try String(contentsOfFile: good, encoding: .utf8)
        // The four kinds the issue names: unknown format, binary, truncated .gz, other table only.
        // dd/mm/yyyy dates: no form log_line_prefix writes.
        let unknown = repo.write("exports/unknown.log", text.split(separator: "\n").map { l in
            "\(l.dropFirst(8).prefix(2))/\(l.dropFirst(5).prefix(2))/\(l.prefix(4))\(l.dropFirst(10))"
        }.joined(separator: "\n") + "\n")
        let binary = repo.path + "/exports/binary.log"
        try Data([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00] + Array(text.utf8.prefix(5000))).write(to: URL(fileURLWithPath: binary))
        let gz = repo.write("exports/cut.log", text)
        #expect(run("gzip", ["-9", gz]).status == 0)
        let packed = try Data(contentsOf: URL(fileURLWithPath: gz + ".gz"))
        try packed.prefix(packed.count / 2).write(to: URL(fileURLWithPath: gz + ".gz"))
        let other = repo.write("exports/other.log", text.replacingOccurrences(of: "WRITE,INSERT,,,INSERT INTO customer_audit_events", with: "WRITE,INSERT,TABLE,public.orders,INSERT INTO orders"))
        let cases: [(String, String)] = [
            (unknown, "Step 6  CC7.2  error    error: no line of \(unknown) is in a known format (2197 lines carry 'AUDIT: '); first unreadable line 1 (no timestamp in any known form): 02/01/2026 00:00:00.000 UTC [42] app@raxx LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,INSERT INTO customer_audit_events (actor) VALUES ($1),<not logged>; formats tried: PostgreSQL stderr (log_line_prefix with %m, %t or %n), csvlog, jsonlog, syslog with an RFC 3339 time, RFC 5424 syslog, Heroku drain lines"),
            (binary, "Step 6  CC7.2  error    error: \(binary) is binary, not a log export; first unreadable line 1 (binary data (NUL bytes)): PK\\x03\\x04\\x00\\x00\\x08\\x002026-01-02 00:00:00.000 UTC [42] app@raxx LOG:  AUDIT: SESSION,1,1,WRITE; pass the text export (or its .gz); formats tried: PostgreSQL stderr (log_line_prefix with %m, %t or %n), csvlog, jsonlog, syslog with an RFC 3339 time, RFC 5424 syslog, Heroku drain lines"),
            (gz + ".gz", "Step 6  CC7.2  error    error: cannot read pg_audit export \(gz).gz: truncated gzip data: the file ends inside a compressed stream after"),
            (other, "Step 6  CC7.2  error    error: \(other) holds pgaudit lines only for other tables (public.orders), none a WRITE on customer_audit_events (controls.auditedTable); pass the export of the database that holds it"),
        ]
        for (path, line) in cases {
            let r = collect(repo, db, name, ["--pgaudit-log", path])
            #expect(r.status == 1, "\(path): \(r)")
            #expect(step6(r.stdout).hasPrefix(line), "\(step6(r.stdout))")
            #expect(!r.stdout.contains("finding"), "\(r.stdout)")
            let results = try EvidenceResults.load(from: URL(fileURLWithPath: repo.path + "/evidence/2026-Q2/results.json"))
            #expect(results.steps[5].status == .error && results.steps[5].findings.isEmpty)
            let ev = try String(contentsOfFile: repo.path + "/evidence/2026-Q2/CC7.2-pgaudit-sample.txt", encoding: .utf8)
            #expect(ev.contains("# error: "), "\(ev)")
        }
    }

    @Test func aNinetyDayOutageIsOneFindingEverywhere() throws {
        let db = try TestDatabase.shared()
        let name = try CollectCLITests.passingDatabase(db)
        let repo = ScratchRepository("s6one")
        #expect(repo.attest(["init"]).status == 0)
        CollectCLITests.writeRepoDocs(repo)
        repo.commitAll("attest init", date: "2026-03-01T10:00:00Z")
        // Events up to the span's start, then nothing: the drain broke and stayed broken.
        var s = ""
        var t = UTC.parseInstant("2025-12-20T00:00:00Z")!
        while t < UTC.parseInstant("2026-01-03T00:00:00Z")! {
            let p = UTC.components(t)
            s += String(format: "%04d-%02d-%02d %02d:00:00.000 UTC [42] app@raxx LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,INSERT INTO customer_audit_events (actor) VALUES ($1),<not logged>\n", p.year, p.month, p.day, p.hour)
            t = t.addingTimeInterval(3600)
        }
        let log = repo.write("exports/old.log", s)
        let finding = "no DML event on customer_audit_events from 2026-01-03 00:00 to 2026-04-03 12:00 UTC (90 days, 12 hours)"
        let c = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", log], at: "2026-04-03 12:00:00", env: ["NO_COLOR": "1"])
        #expect(c.status == 1, "\(c)")
        #expect(step6(c.stdout) == "Step 6  CC7.2  finding  1 finding", "\(c.stdout)")
        #expect(c.stdout.contains("\n        - \(finding)\n"), "\(c.stdout)")
        #expect(c.stdout.components(separatedBy: "no DML event").count - 1 == 1, "\(c.stdout)")
        let results = try EvidenceResults.load(from: URL(fileURLWithPath: repo.path + "/evidence/2026-Q2/results.json"))
        #expect(results.steps[5].findings.map(\.detail) == [finding])

        let r = repo.attest(["render", "--quarter", "2026-Q2"], at: "2026-04-03 12:30:00", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("1 with a finding"), "\(r.stdout)")
        let doc = try String(contentsOfFile: repo.path + "/docs/attestation-log/2026-Q2.md", encoding: .utf8)
        // The findings table has one row for it, and the file says it nowhere else.
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| 6 | no DML event") }
        #expect(rows.count == 1, "\(doc)")
        #expect(rows.first?.hasPrefix("| 6 | \(finding) |") == true, "\(rows)")
        #expect(doc.components(separatedBy: "no DML event").count - 1 == 1, "\(doc)")

        let sign = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00", env: ["NO_COLOR": "1"])
        #expect(sign.status == 1, "\(sign)")
        #expect(sign.stderr.components(separatedBy: "step 6 finding").count - 1 == 1, "\(sign.stderr)")
    }

    @Test func sinkAndFilesAreAlternatives() throws {
        let repo = repo("s6usage")
        let a = repo.attest(["collect", "--pgaudit-sink", "dbname=logs", "--pgaudit-log", "x.log"])
        #expect(a.status == 2 && a.stderr.contains("--pgaudit-sink and --pgaudit-log are alternatives; give one"), "\(a)")
        let b = repo.attest(["collect", "--pgaudit-log", "-", "--pgaudit-log", "-"])
        #expect(b.status == 2 && b.stderr.contains("--pgaudit-log - (standard input) can be given once"), "\(b)")
    }
}
