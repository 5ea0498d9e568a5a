import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

/// A PostgreSQL 15 of its own, under libfaketime, with the logging collector writing stderr,
/// csvlog and jsonlog at once: pgaudit writes 92 days of real AUDIT lines (scripts/demo-activity),
/// and step 6 must read the three files, and the csvlog loaded into PostgreSQL's documented
/// `postgres_log` table (`--pgaudit-sink`), to the same days and the same verdict.
final class LoggingCollectorCluster: @unchecked Sendable {
    struct StartFailed: Error, CustomStringConvertible { let description: String }
    let dir: String
    let host: String
    var logs: String { dir + "/pg/logs" }

    init() throws {
        dir = "/tmp/attest-s6-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        let clock = dir + "/clock"
        try "@2026-01-02 00:00:00\n".write(toFile: clock, atomically: false, encoding: .utf8)
        chmod(clock, 0o644)
        let conf = """
        logging_collector = on
        log_destination = 'stderr,csvlog,jsonlog'
        log_directory = '\(dir)/pg/logs'
        log_filename = 'pg.log'
        log_rotation_age = 0
        log_rotation_size = 0
        log_file_mode = 0644
        pgaudit.log = 'write'
        """
        var env = ProcessInfo.processInfo.environment
        env["PG_FAKETIME_FILE"] = clock
        env["PG_EXTRA_CONF"] = conf
        // The server inherits the script's stdout: a file, not a pipe (see TestDatabase).
        let r = run("sh", ["-c", "\"$0\" start \"$1\" >\"$2\" 2>&1 </dev/null", packageRoot + "/scripts/pg-throwaway", dir + "/pg", dir + "/start.log"],
                    environment: env)
        guard r.status == 0 else {
            throw StartFailed(description: "pg-throwaway with the logging collector: \((try? String(contentsOfFile: dir + "/start.log", encoding: .utf8)) ?? "")")
        }
        host = dir + "/pg/socket"
    }

    func psql(_ args: [String], stdin: String? = nil) -> RunResult {
        run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "postgres"] + args, stdin: stdin.map { Data($0.utf8) })
    }

    func stop() {
        _ = run(packageRoot + "/scripts/pg-throwaway", ["stop", dir + "/pg"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The AUDIT lines the collector has written to `file` so far.
    func auditCount(_ file: String) -> Int {
        ((try? String(contentsOfFile: logs + "/" + file, encoding: .utf8)) ?? "").components(separatedBy: "AUDIT: SESSION").count - 1
    }
}

@Suite struct Step6RealLogTests {
    static let asOf = "2026-04-03T12:00:00Z"

    func inputs(_ docs: Scratch, logs: [String], sink: String? = nil) throws -> CollectInputs {
        var p = Policy()
        p.sinkTable = "public.postgres_log"
        let q = try Quarter(parsing: "2026-Q2")
        return CollectInputs(quarter: q, window: Schedule().window(for: q), asOf: UTC.parseInstant(Self.asOf)!, policy: p,
                             documentRoot: docs.path, pgauditLogs: logs, pgauditSink: sink)
    }

    /// From the rule line to the end of the per-day table: what does not depend on the source.
    static func judged(_ o: StepOutcome) -> [Substring] {
        let lines = String(decoding: o.evidence, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let from = lines.firstIndex { $0.hasPrefix("# date range: ") } ?? 0
        let rule = lines.firstIndex { $0.hasPrefix("# rule: ") } ?? 0
        var end = rule
        while end + 1 < lines.count, lines[end + 1].hasPrefix("#") || lines[end + 1].first?.isNumber == true && lines[end + 1].dropFirst(10).first == "\t" {
            if lines[end + 1] == "#" && end + 2 < lines.count && !(lines[end + 2].hasPrefix("# day")) { break }
            end += 1
        }
        return [lines[from]] + lines[rule...end]
    }

    @Test func theServersOwnLogsInEveryFormatAndTheSinkAgree() throws {
        let pg = try LoggingCollectorCluster()
        defer { pg.stop() }
        #expect(pg.psql(["-d", "postgres", "-c", "CREATE DATABASE raxx"]).status == 0)
        let schema = pg.psql(["-d", "raxx", "-f", packageRoot + "/schema/raptor.sql"])
        try #require(schema.status == 0, "\(schema)")
        // 92 days of activity, with the demo's unexplained 31-hour hole of 2026-02-14.
        var script = run("python3", [packageRoot + "/scripts/demo-activity", pg.dir + "/clock", "2026-01-02", "2026-04-03"]).stdout
        // And a statement with a comma, quotes and a line break: csvlog keeps it in one
        // quoted field, stderr continues it after a tab, jsonlog escapes it.
        script += "\\! echo '@2026-03-10 10:00:00' > \(pg.dir)/clock\n"
        script += "INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action)\n  VALUES (now(), 7, 'ops, \"night\" shift', 'multi\nline AUDIT: SESSION,1,1,WRITE,INSERT,,,x');\n"
        let act = pg.psql(["-d", "raxx"], stdin: script)
        try #require(act.status == 0, "\(act)")
        // The collector writes asynchronously: wait until the three files hold the same count.
        var n = 0
        for _ in 0..<100 {
            n = pg.auditCount("pg.json")
            if n > 300 && n == pg.auditCount("pg.csv") && n == pg.auditCount("pg.log") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(n > 300)

        let docs = Scratch("s6real")
        #expect(run("cp", ["-r", packageRoot + "/schema/demo-repo/docs", docs.path + "/"]).status == 0)
        var outcomes: [String: StepOutcome] = [:]
        for file in ["pg.log", "pg.csv", "pg.json"] {
            let o = Step6PgAuditSink.run(try inputs(docs, logs: [pg.logs + "/" + file]))
            outcomes[file] = o
            let ev = String(decoding: o.evidence, as: UTF8.self)
            #expect(o.status == .finding, "\(file): \(o.summary)\n\(ev.prefix(1500))")
            #expect(o.findings == ["no DML event on customer_audit_events from 2026-02-13 19:30 to 2026-02-15 13:05 UTC (1 day, 17 hours)"], "\(file): \(o.findings)")
            #expect(ev.contains("unreadable 0: none"), "\(file): \(ev.prefix(1500))")
            // Four INSERTs and an UPDATE a day; on 2026-03-10 the multi-line statement is a sixth.
            #expect(ev.contains("2026-03-09\t5\n2026-03-10\t6\n2026-03-11\t5\n"), "\(file): \(ev.prefix(3000))")
            #expect(ev.contains("by format: \(["pg.log": "stderr (%m/%t prefix)", "pg.csv": "csvlog (RFC 4180)", "pg.json": "jsonlog (JSON)"][file]!) "), "\(file)")
        }
        let stderr = outcomes["pg.log"]!, csv = outcomes["pg.csv"]!, json = outcomes["pg.json"]!
        #expect(stderr.rowCount > 300 && stderr.rowCount == csv.rowCount && csv.rowCount == json.rowCount)
        #expect(Self.judged(stderr) == Self.judged(csv))
        #expect(Self.judged(csv) == Self.judged(json))
        func counters(_ o: StepOutcome) -> Substring? { String(decoding: o.evidence, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("# audit lines ") } }
        #expect(counters(stderr) != nil && counters(stderr) == counters(csv) && counters(csv) == counters(json))

        // The sink: the csvlog loaded into PostgreSQL's documented table, step 6 as one query.
        #expect(pg.psql(["-d", "postgres", "-c", "CREATE DATABASE logsink"]).status == 0)
        #expect(pg.psql(["-d", "logsink", "-f", packageRoot + "/bench/postgres-log.sql"]).status == 0)
        let copy = pg.psql(["-d", "logsink", "-c", "\\copy postgres_log FROM '\(pg.logs)/pg.csv' WITH csv"])
        try #require(copy.status == 0, "\(copy)")
        let sink = Step6PgAuditSink.run(try inputs(docs, logs: [], sink: "host=\(pg.host) dbname=logsink user=postgres"))
        let sinkText = String(decoding: sink.evidence, as: UTF8.self)
        #expect(sink.status == .finding, "\(sink.summary)\n\(sinkText.prefix(2000))")
        #expect(sink.findings == csv.findings)
        #expect(sink.rowCount == csv.rowCount)
        #expect(Self.judged(sink) == Self.judged(csv), "\(sinkText.prefix(3000))")
        #expect(sinkText.contains("# source: log sink public.postgres_log in logsink on \(pg.host) (one statement, read-only transaction;"))
        #expect(sink.sql.contains("lag(s) OVER (ORDER BY s)") && sink.parameters.count == 7)
    }
}
