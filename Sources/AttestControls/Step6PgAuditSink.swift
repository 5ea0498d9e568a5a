import Foundation
import AttestCore

/// Runbook Step 6 — pg_audit external log sink (CC7.2).
///
/// Reads the exports given with `--pgaudit-log` (plain or `.gz`, `-` for standard input) in
/// any of the formats of PgAuditFormats.swift, or runs the same computation on the log sink's
/// own database (`--pgaudit-sink`, Step6SinkQuery.swift), and counts pgaudit WRITE-class
/// events (INSERT, UPDATE, DELETE, TRUNCATE, COPY, MERGE) on the audited table per UTC day.
///
/// The span is the `controls.lookbackDays` whole UTC days before the day of `as_of`, plus the
/// day of `as_of` up to `as_of`. Rule: every whole day has at least one event, and every gap
/// longer than `controls.maxLogGapHours` between events (or between the span's ends and the
/// first or last event) lies wholly inside documented maintenance windows
/// (`controls.maintenanceWindows`). A day wholly inside maintenance windows needs no event.
/// Unexplained stretches are findings as ranges: one outage is one finding however many days
/// it spans. An export that cannot be read (binary, no known format, too many unreadable
/// AUDIT lines, or nothing on the audited table) is `error`, never a finding.
public enum Step6PgAuditSink {
    public static let control = Controls.all[5]

    public static func run(_ inputs: CollectInputs) -> StepOutcome {
        if let sink = inputs.pgauditSink { return Step6SinkQuery.run(inputs, conninfo: sink) }
        guard !inputs.pgauditLogs.isEmpty else {
            return .error(6, "no pg_audit export given; pass the log drain export with --pgaudit-log FILE (several allowed, .gz read transparently, - for standard input) or the log sink with --pgaudit-sink CONNINFO")
        }
        let p = inputs.policy
        let asOf = Int64(inputs.asOf.timeIntervalSince1970.rounded(.down))
        var scanner = PgAuditScanner(spanStart: spanStart(inputs), spanEnd: asOf, table: p.auditedTable,
                                     deduplicate: inputs.pgauditLogs.count > 1)
        scanner.showProgress = isatty(2) != 0
        for path in inputs.pgauditLogs {
            do { try scanner.scan(path: path) } catch {
                return .error(6, "cannot read pg_audit export \(error.description)")
            }
        }
        // Each export must be readable on its own: an unreadable one is an error, never 90 findings.
        for e in scanner.exports {
            if let why = unreadable(e, policy: p) {
                var out = StepOutcome.error(6, why)
                out.evidence = Data((header(inputs) + "# error: \(why)\n" + exportLines(scanner)).utf8)
                return out
            }
        }
        var sources = exportLines(scanner)
        sources += "# audit lines \(scanner.auditLines), counted events \(scanner.events), other pgaudit lines \(scanner.otherAudit), outside the range \(scanner.outsideSpan), unparseable \(scanner.unparseable)\(scanner.duplicates > 0 ? ", already counted from an earlier export \(scanner.duplicates)" : "")\n"
        let limit = Int64(p.maxLogGapHours) * 3600
        let tally = Tally(spanStart: scanner.spanStart, perDay: scanner.perDay, gaps: scanner.gaps(longerThan: limit),
                          events: scanner.events, sources: sources, unparseable: scanner.unparseable,
                          unparseableSamples: scanner.unparseableSamples,
                          daySamples: scanner.daySamples.keys.sorted().map { scanner.daySamples[$0]! })
        return evaluate(inputs, tally)
    }

    static func spanStart(_ inputs: CollectInputs) -> Int64 {
        Int64(UTC.startOfDay(inputs.asOf).timeIntervalSince1970) - Int64(inputs.policy.lookbackDays) * 86400
    }

    /// Why an export cannot stand as evidence of the audited table's DML, or nil.
    static func unreadable(_ e: ExportStats, policy p: Policy) -> String? {
        let tried = "formats tried: \(LogFormat.tried)"
        func first() -> String {
            guard let f = e.firstUnreadable else { return "" }
            return "; first unreadable line \(f.line) (\(f.reason)): \(f.sample.prefix(200))"
        }
        if e.binary {
            return "\(e.name) is binary, not a log export\(first()); pass the text export (or its .gz); \(tried)"
        }
        if e.auditLines == 0 {
            return "\(e.name) holds no pgaudit line (no 'AUDIT: ' in \(e.lines) lines); pass the export of the drain that carries pgaudit's lines, and check pgaudit.log includes write; \(tried)"
        }
        if e.knownFormatLines == 0 {
            return "no line of \(e.name) is in a known format (\(e.auditLines) lines carry 'AUDIT: ')\(first()); \(tried)"
        }
        if e.unreadable > 0 && e.unreadable * 100 > p.pgauditMaxUnreadablePercent * e.auditLines {
            let share = String(format: "%.1f", Double(e.unreadable) * 100 / Double(e.auditLines))
            return "\(e.unreadable) of \(e.auditLines) pgaudit lines of \(e.name) (\(share) %) cannot be read, above controls.pgauditMaxUnreadablePercent = \(p.pgauditMaxUnreadablePercent) %\(first()); the export's DML cannot be counted; \(tried)"
        }
        if e.tableEvents == 0 {
            let others = e.otherTables.isEmpty ? "" : " (\(e.otherTables.joined(separator: ", ")))"
            return "\(e.name) holds pgaudit lines only for other tables\(others), none a WRITE on \(p.auditedTable) (controls.auditedTable); pass the export of the database that holds it"
        }
        return nil
    }

    /// Per export: size, lines read, per format, per reason unreadable.
    static func exportLines(_ s: PgAuditScanner) -> String {
        var t = ""
        for e in s.exports {
            t += "# source: export \(e.name) (\(e.bytes) bytes read, \(e.lines) lines)\n"
            t += "#   pgaudit lines \(e.auditLines) by format: \(e.formats)\n"
            t += "#   unreadable \(e.unreadable): \(e.reasons)\n"
        }
        return t
    }

    static func header(_ inputs: CollectInputs) -> String {
        let p = inputs.policy
        let first = Date(timeIntervalSince1970: TimeInterval(spanStart(inputs)))
        var t = "# \(control.criterion) \(control.title): pgaudit WRITE events on \(p.auditedTable)\n"
        t += "# date range: \(UTC.iso(first)) .. \(UTC.iso(inputs.asOf)) (\(p.lookbackDays) whole UTC days before the day of as-of, plus that day up to as-of)\n"
        return t
    }

    /// What either path (files or sink) produced: the same rule runs on it.
    struct Tally {
        let spanStart: Int64
        let perDay: [Int]
        let gaps: [(from: Int64, to: Int64)]
        let events: Int
        /// `# source: …` lines and counters.
        let sources: String
        var unparseable = 0
        var unparseableSamples: [String] = []
        var daySamples: [String] = []
        var sql = ""
        var parameters: [String] = []
    }

    /// `2026-07-04 00:00` (seconds shown only when not zero).
    static func minute(_ s: Int64) -> String {
        let iso = UTC.iso(Date(timeIntervalSince1970: TimeInterval(s)))  // 2026-07-04T00:00:00Z
        var t = String(iso.dropLast()).replacingOccurrences(of: "T", with: " ")
        if t.hasSuffix(":00") { t.removeLast(3) }
        return t
    }

    static func evaluate(_ inputs: CollectInputs, _ tally: Tally) -> StepOutcome {
        let p = inputs.policy
        func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
        let gaps = tally.gaps
        let wholeDays = p.lookbackDays
        let emptyDays = (0..<wholeDays).filter { tally.perDay[$0] == 0 }

        var windows: [TimeWindow] = []
        if !gaps.isEmpty || !emptyDays.isEmpty {
            do { windows = try WindowTable.load(p.maintenanceWindowsFile, root: inputs.documentRoot, requireReason: true) } catch {
                return .error(6, "\(English.count(gaps.count, "gap")) and \(English.count(emptyDays.count, "day")) without DML need a maintenance window, but \(error.message)",
                              sql: tally.sql, parameters: tally.parameters)
            }
        }

        // Unexplained stretches: gaps over the limit and whole days without an event, merged
        // into ranges, so one outage is one finding.
        var stretches: [(Int64, Int64)] = []
        var gapLines: [String] = []
        for g in gaps {
            let span = "\(UTC.iso(date(g.from))) .. \(UTC.iso(date(g.to))) (\(UTC.span(TimeInterval(g.to - g.from))))"
            if let used = WindowTable.covers(windows, from: date(g.from), to: date(g.to)) {
                gapLines.append("# gap \(span): explained by maintenance window \(used.map { "\($0.id) (\($0.reason ?? ""))" }.joined(separator: ", "))")
            } else {
                gapLines.append("# gap \(span): UNEXPLAINED")
                stretches.append((g.from, g.to))
            }
        }
        for d in emptyDays {
            let start = tally.spanStart + Int64(d) * 86400
            if WindowTable.covers(windows, from: date(start), to: date(start + 86400 - 1)) == nil {
                gapLines.append("# day \(UTC.day(date(start))) without DML: UNEXPLAINED")
                stretches.append((start, start + 86400))
            }
        }
        stretches.sort { $0.0 < $1.0 }
        var merged: [(Int64, Int64)] = []
        for s in stretches {
            if let last = merged.last, s.0 <= last.1 { merged[merged.count - 1].1 = max(last.1, s.1) } else { merged.append(s) }
        }
        let findings = merged.map { from, to in
            "no DML event on \(p.auditedTable) from \(minute(from)) to \(minute(to)) UTC (\(UTC.span(TimeInterval(to - from))))"
        }

        var t = header(inputs)
        t += tally.sources
        t += "# rule: every whole day has an event; no stretch over \(p.maxLogGapHours) h without one outside \(p.maintenanceWindowsFile)\n"
        t += "# gaps longer than \(p.maxLogGapHours) h: \(gaps.count)\n"
        for g in gapLines { t += g + "\n" }
        t += "# findings: \(findings.count)\n"
        for f in findings { t += "#   \(f)\n" }
        t += "#\n# day\tevents\n"
        for (i, n) in tally.perDay.enumerated() {
            let day = UTC.day(date(tally.spanStart + Int64(i) * 86400))
            t += "\(day)\t\(n)\(i >= wholeDays ? "\t(as-of day, partial)" : "")\n"
        }
        if !tally.unparseableSamples.isEmpty {
            t += "#\n# unparseable lines (first \(tally.unparseableSamples.count) of \(tally.unparseable)):\n"
            for s in tally.unparseableSamples { t += "# " + s.replacingOccurrences(of: "\n", with: " ") + "\n" }
        }
        if !tally.daySamples.isEmpty {
            t += "#\n# sample: the first counted line of each day\n"
            for s in tally.daySamples { t += s.replacingOccurrences(of: "\n", with: " ") + "\n" }
        }

        var summary = "\(tally.events) DML events on \(p.auditedTable), every one of \(wholeDays) days covered, no unexplained gap over \(p.maxLogGapHours) h"
        if tally.unparseable > 0 { summary += "; \(English.count(tally.unparseable, "unparseable line"))" }
        var outcome = StepOutcome.judged(6, findings: findings, pass: summary, sql: tally.sql, parameters: tally.parameters,
                                         rowCount: tally.events, evidence: Data(t.utf8))
        if !findings.isEmpty && tally.unparseable > 0 { outcome.summary += "; \(English.count(tally.unparseable, "unparseable line"))" }
        return outcome
    }
}
