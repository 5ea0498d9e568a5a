import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

/// The same events written the ways log drains write them (issue 16): every form gives the
/// same day counts and the same verdict.
enum DrainForm: String, CaseIterable, Sendable {
    case stderr, stderrEpoch, stderrCEST, stderrPidFirst, csvlog, csvQuotedEverything, jsonlog, jsonSpacesReordered, jsonNested,
         jsonWrappedLine, syslog3339, rfc5424, heroku

    /// pgaudit's message for event `i`: a statement with a comma, quotes and a line break (and
    /// on its second line something that looks like a pgaudit line, which must not be read as one).
    static func audit(_ i: Int, tricky: Bool = true) -> String {
        guard tricky else { return "AUDIT: SESSION,\(i),1,WRITE,INSERT,TABLE,public.customer_audit_events,\"INSERT INTO customer_audit_events (actor) VALUES ($1)\",<not logged>" }
        return "AUDIT: SESSION,\(i),1,WRITE,INSERT,TABLE,public.customer_audit_events,\"INSERT INTO customer_audit_events (actor, note) VALUES ('a, zoë', 'say \"\"hi\"\"\nAUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.customer_audit_events,x')\",<not logged>"
    }
    static func other(_ i: Int) -> String {
        "AUDIT: SESSION,\(i),1,WRITE,UPDATE,TABLE,public.sessions,\"UPDATE sessions SET seen = now()\",<not logged>"
    }

    static func json(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            default: o.unicodeScalars.append(u)
            }
        }
        return o + "\""
    }

    static func csv(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The record for one message, as each writer puts a line break: stderr continues after a
    /// tab, syslog writes numbered chunks (`[9-1]`, `[9-2]`), CSV keeps it inside the quoted
    /// field, JSON escapes it.
    func line(_ t: Date, _ message: String) -> String {
        let parts = message.components(separatedBy: "\n")
        switch self {
        case .syslog3339, .rfc5424, .heroku:
            return parts.enumerated().map { k, m in record(t, m, chunk: k + 1) }.joined(separator: "\n")
        case .stderr, .stderrEpoch, .stderrCEST, .stderrPidFirst:
            return record(t, parts.joined(separator: "\n\t"), chunk: 1)
        default:
            return record(t, message, chunk: 1)
        }
    }

    func record(_ t: Date, _ message: String, chunk: Int) -> String {
        let p = UTC.components(t)
        let day = String(format: "%04d-%02d-%02d", p.year, p.month, p.day)
        let time = String(format: "%02d:%02d:%02d", p.hour, p.minute, p.second)
        let pg = "\(day) \(time).123 UTC"
        // pgaudit's stderr line: the message's line break is a real one there.
        switch self {
        case .stderr: return "\(pg) [4242] app@raxx LOG:  \(message)"
        case .stderrEpoch: return "\(Int(t.timeIntervalSince1970)).123 [4242] app@raxx LOG:  \(message)"
        case .stderrCEST:
            let l = UTC.components(t.addingTimeInterval(7200))
            return String(format: "%04d-%02d-%02d %02d:%02d:%02d CEST [4242] app@raxx LOG:  ", l.year, l.month, l.day, l.hour, l.minute, l.second) + message
        case .stderrPidFirst: return "[4242] \(pg) app@raxx LOG:  \(message)"
        case .csvlog:
            return "\(pg),\"app\",\"raxx\",4242,\"[local]\",65f1.1092,3,\"INSERT\",\(day) 00:00:00 UTC,3/77,0,LOG,00000,\(Self.csv(message)),,,,,,,,,\"psql\",\"client backend\",,0"
        case .csvQuotedEverything:
            return "\"\(pg)\",\"app\",\"raxx\",\"4242\",\"[local]\",\"65f1.1092\",\"3\",\"INSERT\",\"\(day) 00:00:00 UTC\",\"3/77\",\"0\",\"LOG\",\"00000\",\(Self.csv(message)),\"\",\"\""
        case .jsonlog:
            return "{\"timestamp\":\"\(pg)\",\"user\":\"app\",\"dbname\":\"raxx\",\"pid\":4242,\"error_severity\":\"LOG\",\"message\":\(Self.json(message)),\"backend_type\":\"client backend\",\"query_id\":0}"
        case .jsonSpacesReordered:
            return "{ \"message\" : \(Self.json(message)) , \"pid\": 4242, \"extra\": {\"k8s\": [1, 2.5e3, true, null]}, \"timestamp\": \"\(pg)\",  \"user\": \"app\\u0020x\" }"
        case .jsonNested:
            return "{\"kubernetes\":{\"pod\":\"db-0\",\"labels\":{\"app\":\"pg\"}},\"log\":{\"timestamp\":\"\(day)T\(time).123Z\",\"message\":\(Self.json(message))}}"
        case .jsonWrappedLine:
            return "{\"host\":\"db-1\",\"source_type\":\"file\",\"message\":\(Self.json("\(pg) [4242] app@raxx LOG:  " + message)),\"timestamp\":\"\(day)T\(time).900Z\"}"
        case .syslog3339: return "\(day)T\(time).123456+00:00 db-1 postgres[4242]: [9-\(chunk)] \(chunk == 1 ? "LOG:  " : "")\(message)"
        case .rfc5424: return "<134>1 \(day)T\(time)Z db-1 postgres 4242 - - [9-\(chunk)] \(chunk == 1 ? "sql_error_code = 00000 LOG:  " : "")\(message)"
        case .heroku:
            let body = "<134>1 \(day)T\(time)+00:00 host app postgres.4242 - [DATABASE] [9-\(chunk)] \(chunk == 1 ? "sql_error_code = 00000 LOG:  " : "")\(message)"
            return "\(body.utf8.count) \(body)"
        }
    }

    /// Whether the message's line break is escaped (JSON) or a literal line break.
    var escapesNewline: Bool { rawValue.hasPrefix("json") }
}

@Suite struct Step6FormatTests {
    static let asOf = "2026-04-03T12:00:00Z"
    static let outageFrom = UTC.parseInstant("2026-02-19T20:00:00Z")!, outageTo = UTC.parseInstant("2026-02-21T03:00:00Z")!

    /// Hourly events from 2026-01-02 to as-of, none in the outage; one other-table line a day.
    static func export(_ form: DrainForm, tricky: Bool = true) -> String {
        var s = "2026-01-02 23:59:00 UTC [1] app@raxx LOG:  connection authorized: user=app\n"
        var t = UTC.parseInstant("2026-01-02T00:00:00Z")!
        let end = UTC.parseInstant(asOf)!
        var i = 0
        while t <= end {
            i += 1
            if !(t > outageFrom && t < outageTo) { s += form.line(t, DrainForm.audit(i, tricky: tricky)) + "\n" }
            if UTC.components(t).hour == 5 { s += form.line(t, DrainForm.other(i)) + "\n" }
            t = t.addingTimeInterval(3600)
        }
        return s
    }

    static func run(_ dir: Scratch, _ logs: [String], policy: (inout Policy) -> Void = { _ in }) -> StepOutcome {
        dir.write("docs/ops/maintenance-windows.md", "| id | start | end | reason |\n|---|---|---|---|\n")
        var p = Policy()
        policy(&p)
        let q = try! Quarter(parsing: "2026-Q2")
        return Step6PgAuditSink.run(CollectInputs(quarter: q, window: Schedule().window(for: q), asOf: UTC.parseInstant(asOf)!, policy: p,
                                                  documentRoot: dir.path, pgauditLogs: logs))
    }

    /// The per-day table of an evidence file.
    static func days(_ o: StepOutcome) -> [Substring] {
        String(decoding: o.evidence, as: UTF8.self).split(separator: "\n").filter { $0.count > 11 && $0.first?.isNumber == true && $0.dropFirst(10).first == "\t" }
    }

    static let expectedFinding = "no DML event on customer_audit_events from 2026-02-19 20:00 to 2026-02-21 03:00 UTC (1 day, 7 hours)"

    @Test(arguments: DrainForm.allCases)
    func everyFormGivesTheSameDaysAndVerdict(_ form: DrainForm) throws {
        let dir = Scratch("s6f")
        let base = Self.run(dir, [dir.write("base.log", Self.export(.stderr))])
        let o = Self.run(dir, [dir.write("\(form).log", Self.export(form))])
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(o.status == .finding, "\(o.summary)\n\(ev.prefix(1200))")
        #expect(o.findings == [Self.expectedFinding], "\(ev.prefix(1500))")
        #expect(Self.days(o) == Self.days(base))
        #expect(o.rowCount == base.rowCount && o.rowCount == 90 * 24 + 13 - 30)
        #expect(ev.contains("unreadable 0: none"), "\(ev.prefix(1500))")
        #expect(ev.contains("other pgaudit lines 92,"), "\(ev.prefix(1500))")
    }

    /// Real re-serialisers: python's json.tool and jq, over the jsonlog export.
    @Test(arguments: [["python3", "-m", "json.tool", "--json-lines", "--compact"], ["jq", "-c", "-S", "."], ["python3", "-c", "import json,sys\nfor l in sys.stdin:\n  d=json.loads(l); print(json.dumps(dict(reversed(list(d.items())), shipper={'name':'vector','v':[1,2]}), indent=None, separators=(', ', ': '), ensure_ascii=True))"]])
    func reserialisedJSONGivesTheSameDays(_ tool: [String]) throws {
        let dir = Scratch("s6j")
        let jsonlog = dir.write("jsonlog.log", Self.export(.jsonlog).split(separator: "\n").dropFirst().joined(separator: "\n") + "\n")
        let r = AttestTestSupport.run(tool[0], Array(tool.dropFirst()), stdin: try Data(contentsOf: URL(fileURLWithPath: jsonlog)))
        try #require(r.status == 0, "\(r)")
        #expect(r.stdout != (try String(contentsOfFile: jsonlog, encoding: .utf8)), "the tool wrote the same bytes: nothing tested")
        let o = Self.run(dir, [dir.write("reserialised.log", r.stdout)])
        let base = Self.run(dir, [dir.write("base.log", Self.export(.stderr))])
        #expect(o.findings == [Self.expectedFinding], "\(o.summary)")
        #expect(Self.days(o) == Self.days(base))
    }

    // MARK: unreadable exports are errors

    @Test func theIssuesJSONExportThatWasNinetyOneFindings() throws {
        // Spaces after colons used to make every line unparseable; now it reads. A time the
        // formats do not know, on every line, is an error naming the file, line and sample.
        let dir = Scratch("s6e")
        var text = ""
        for l in Self.export(.jsonSpacesReordered).split(separator: "\n").dropFirst() {
            text += l.replacingOccurrences(of: "\"timestamp\": \"2026-", with: "\"timestamp\": \"on 2026-") + "\n"
        }
        let path = dir.write("drain.json", text)
        let o = Self.run(dir, [path])
        #expect(o.status == .error)
        #expect(o.findings.isEmpty)
        #expect(o.summary.hasPrefix("error: 2259 of 2259 pgaudit lines of \(path) (100.0 %) cannot be read, above controls.pgauditMaxUnreadablePercent = 1 %; first unreadable line 1 (JSON record without a readable timestamp): { \"message\" : \"AUDIT: SESSION,1,1,WRITE"), "\(o.summary)")
        #expect(o.summary.hasSuffix("; formats tried: \(LogFormat.tried)"))
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(ev.contains("# source: export \(path) ("), "\(ev)")
        #expect(ev.contains("#   pgaudit lines 2259 by format: jsonlog (JSON) 2259"), "\(ev)")
        #expect(ev.contains("#   unreadable 2259: JSON record without a readable timestamp: 2259"), "\(ev)")
    }

    @Test func unknownFormatIsAnError() throws {
        let dir = Scratch("s6e")
        var text = ""
        for l in Self.export(.stderr, tricky: false).split(separator: "\n").prefix(50) {
            // 05/01/2026-style dates: no format step 6 knows.
            let d = l.prefix(10).split(separator: "-")
            text += d.count == 3 ? "\(d[2])/\(d[1])/\(d[0])\(l.dropFirst(10))\n" : "\(l)\n"
        }
        let path = dir.write("weird.log", text)
        let o = Self.run(dir, [path])
        #expect(o.status == .error)
        #expect(o.summary == "error: no line of \(path) is in a known format (49 lines carry 'AUDIT: '); first unreadable line 2 (no timestamp in any known form): 02/01/2026 00:00:00.123 UTC [4242] app@raxx LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.customer_audit_events,\"INSERT INTO customer_audit_events (actor) VALUES ($1)\",<not logged>; formats tried: \(LogFormat.tried)", "\(o.summary)")
    }

    @Test func binaryFileIsAnError() throws {
        let dir = Scratch("s6e")
        var rng = SplitMix64(seed: 16)
        let bytes = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let path = dir.path + "/export.bin"
        try Data([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00] + bytes).write(to: URL(fileURLWithPath: path))
        let o = Self.run(dir, [path])
        #expect(o.status == .error)
        #expect(o.summary.hasPrefix("error: \(path) is binary, not a log export; first unreadable line 1 (binary data (NUL bytes)): \\x7fELF\\x02\\x00"), "\(o.summary)")
        #expect(o.summary.contains("; pass the text export (or its .gz); formats tried: "))
    }

    @Test func otherTableOnlyIsAnError() throws {
        let dir = Scratch("s6e")
        let text = Self.export(.stderr, tricky: false).replacingOccurrences(of: "TABLE,public.customer_audit_events,", with: "TABLE,public.orders,")
        let path = dir.write("orders.log", text)
        let o = Self.run(dir, [path])
        #expect(o.status == .error)
        #expect(o.summary == "error: \(path) holds pgaudit lines only for other tables (public.orders, public.sessions), none a WRITE on customer_audit_events (controls.auditedTable); pass the export of the database that holds it")
    }

    @Test func noPgauditLineIsAnError() throws {
        let dir = Scratch("s6e")
        let path = dir.write("plain.log", "2026-03-01 10:00:00 UTC [1] LOG:  checkpoint starting: time\n2026-03-01 10:05:00 UTC [1] LOG:  checkpoint complete\n")
        let o = Self.run(dir, [path])
        #expect(o.status == .error)
        #expect(o.summary.hasPrefix("error: \(path) holds no pgaudit line (no 'AUDIT: ' in 2 lines)"), "\(o.summary)")
    }

    @Test func theThresholdIsPolicy() throws {
        // 2 unreadable lines of 2261 (2167 events, 92 other-table lines): 0.09 %. Under the default 1 % the step is judged; at 0 % it is an error.
        let dir = Scratch("s6t")
        let text = Self.export(.stderr, tricky: false) + "Mar  1 10:30:00 db-1 postgres[1]: LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,x,y,z\n2026-03-01 10:30:00 UTC [1] LOG:  AUDIT: SESSION,1\n"
        let path = dir.write("export.log", text)
        #expect(Self.run(dir, [path]).status == .finding)
        let strict = Self.run(dir, [path]) { $0.pgauditMaxUnreadablePercent = 0 }
        #expect(strict.status == .error)
        #expect(strict.summary.contains("2 of 2261 pgaudit lines of \(path) (0.1 %) cannot be read, above controls.pgauditMaxUnreadablePercent = 0 %; first unreadable line 2261 (BSD syslog time without a year (RFC 3164))"), "\(strict.summary)")
    }

    // MARK: ranges, overlap, the parallel path

    @Test func aNinetyDayOutageIsOneFinding() throws {
        let dir = Scratch("s6r")
        // Events only up to the span's start: the whole span without DML.
        var s = ""
        var t = UTC.parseInstant("2025-12-20T00:00:00Z")!
        while t < UTC.parseInstant("2026-01-03T00:00:00Z")! { s += DrainForm.stderr.line(t, DrainForm.audit(1)) + "\n"; t = t.addingTimeInterval(3600) }
        let o = Self.run(dir, [dir.write("old.log", s)])
        #expect(o.status == .finding)
        #expect(o.findings == ["no DML event on customer_audit_events from 2026-01-03 00:00 to 2026-04-03 12:00 UTC (90 days, 12 hours)"])
        // The summary only counts (the finding is said once, in findings).
        #expect(o.summary == "1 finding")
    }

    @Test func overlappingExportsCountAnEventOnce() throws {
        let dir = Scratch("s6o")
        let all = Self.export(.stderr).split(separator: "\n")
        // Two exports that overlap by a third, in two formats: stderr and jsonlog of the same events.
        let a = dir.write("a.log", all.prefix(all.count * 2 / 3).joined(separator: "\n") + "\n")
        let jsonAll = Self.export(.jsonlog).split(separator: "\n")
        let b = dir.write("b.log", jsonAll.suffix(all.count * 2 / 3).joined(separator: "\n") + "\n")
        let base = Self.run(dir, [dir.write("base.log", Self.export(.stderr))])
        let o = Self.run(dir, [a, b])
        #expect(Self.days(o) == Self.days(base))
        #expect(o.rowCount == base.rowCount)
        #expect(String(decoding: o.evidence, as: UTF8.self).contains(", already counted from an earlier export "))
    }

    @Test func largeExportReadByTwoThreadsCountsTheSame() throws {
        // Over the 32 MiB threshold: the file is split in two halves read in parallel.
        let dir = Scratch("s6p")
        let one = Self.export(.csvlog)
        let path = dir.path + "/big.log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let data = Data(one.utf8)
        var written = 0
        while written < 34 << 20 { h.write(data); written += data.count }
        try h.close()
        let copies = (written / data.count)
        let o = Self.run(dir, [path])
        let single = Self.run(dir, [dir.write("one.log", one)])
        #expect(o.findings == single.findings)
        #expect(o.rowCount == single.rowCount * copies)
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(ev.contains("unreadable 0: none"), "\(ev.prefix(1200))")
        #expect(ev.contains("(\(written) bytes read, \(copies * (one.split(separator: "\n", omittingEmptySubsequences: false).count - 1)) lines)"), "\(ev.prefix(600))")
    }

    @Test(arguments: [("sink.table", "a.b.c"), ("sink.timeColumn", "public.log_time"), ("sink.messageColumn", ""), ("sink.table", String(repeating: "t", count: 64))])
    func sinkIdentifiersAreValidatedBeforeAnyConnection(_ key: String, _ value: String) throws {
        var p = Policy()
        try p.apply([Policy.Entry(name: key, value: value, origin: "-c")])
        let q = try Quarter(parsing: "2026-Q2")
        // No server at this conninfo: the identifier is refused before connecting.
        let o = Step6PgAuditSink.run(CollectInputs(quarter: q, window: Schedule().window(for: q), asOf: UTC.parseInstant(Self.asOf)!, policy: p,
                                                   documentRoot: "/nonexistent", pgauditLogs: [], pgauditSink: "host=/nonexistent"))
        #expect(o.status == .error)
        #expect(o.summary.hasPrefix("error: \(key) = '\(value)' is not a valid "), "\(o.summary)")
    }

    @Test func sinkIdentifiersAreQuoted() throws {
        var p = Policy()
        p.sinkTable = "logs.\"pg\"\"log\""
        p.sinkMessageColumn = "msg; DROP TABLE x"
        let sql = try Step6SinkQuery.statement(p)
        #expect(sql.contains("FROM \"logs\".\"\"\"pg\"\"\"\"log\"\"\" l"), "\(sql)")
        #expect(sql.contains("l.\"msg; DROP TABLE x\""))
        #expect(!sql.contains("customer_audit_events"), "the audited table is a bound parameter")
    }

    @Test func overLongLinesInTheTwoThreadPathCountAsInOne() throws {
        // Lines of 1 MiB and 9 MiB (longer than a read buffer, and longer than a mapped window)
        // in the middle of an export big enough for two threads.
        let dir = Scratch("s6l")
        let one = Self.export(.stderr, tricky: false)
        let long1 = "2026-03-01 10:30:00 UTC [1] LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.other,\"" + String(repeating: "x", count: 1 << 20) + "\"\n"
        let long9 = "2026-03-01 10:30:00 UTC [1] LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.other,\"" + String(repeating: "y", count: 9 << 20) + "\"\n"
        let path = dir.path + "/big.log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var copies = 0
        for k in 0..<160 {
            h.write(Data(one.utf8)); copies += 1
            if k == 40 { h.write(Data(long1.utf8)) }
            if k == 100 { h.write(Data(long9.utf8)) }
        }
        try h.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        try #require(size > 32 << 20)
        let o = Self.run(dir, [path])
        let single = Self.run(dir, [dir.write("one.log", one)])
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(o.rowCount == single.rowCount * copies)
        #expect(ev.contains("other pgaudit lines \(92 * copies + 2),"), "\(ev.prefix(900))")
        #expect(ev.contains("unreadable 0: none"), "\(ev.prefix(900))")
        let wc = AttestTestSupport.run("wc", ["-l", path]).stdout.split(separator: " ").first.map(String.init) ?? ""
        #expect(ev.contains("(\(size) bytes read, \(wc) lines)"), "\(ev.prefix(600))")
    }

    @Test func aNulByteInTheMiddleOfALargeExportIsNotABinaryFile() throws {
        // Only the first 64 KiB decide; the second thread's first bytes are not a file's start.
        // The odd line sits exactly where the file is split in two (the first line start after
        // the middle), so the second half begins with it.
        let dir = Scratch("s6n")
        let one = Data(Self.export(.stderr, tricky: false).utf8)
        let copies = (34 << 20) / one.count + 1
        var all = Data()
        for _ in 0..<copies { all.append(one) }
        let odd = Data("2026 \u{0}\u{0} not text\n".utf8)
        var mid = (all.count + odd.count) / 2
        while all[mid - 1] != 0x0a { mid += 1 }
        all.insert(contentsOf: odd, at: mid)
        let path = dir.path + "/big.log"
        try all.write(to: URL(fileURLWithPath: path))
        let o = Self.run(dir, [path])
        let single = Self.run(dir, [dir.write("one.log", String(decoding: one, as: UTF8.self))])
        #expect(o.status == single.status, "\(o.summary)")
        #expect(o.findings == single.findings, "\(o.summary)")
        #expect(o.rowCount == single.rowCount * copies)
    }
}
