import Foundation
import AttestCore

/// Runbook Step 6 — pg_audit external log sink (CC7.2).
///
/// Reads the exports given with `--pgaudit-log` (plain or `.gz`) and counts pgaudit WRITE-class
/// events (INSERT, UPDATE, DELETE, TRUNCATE, COPY, MERGE) on the audited table per UTC day.
///
/// The span is the `controls.lookbackDays` whole UTC days before the day of `as_of`, plus the
/// day of `as_of` up to `as_of`. Rule: every whole day has at least one event, and every gap
/// longer than `controls.maxLogGapHours` between events (or between the span's ends and the
/// first or last event) lies wholly inside documented maintenance windows
/// (`controls.maintenanceWindows`). A day wholly inside maintenance windows needs no event.
/// The maintenance file is read only when there is something to explain. Lines that cannot be
/// parsed are counted and sampled in the evidence, never fatal.
public enum Step6PgAuditSink {
    public static let control = Controls.all[5]

    public static func run(_ inputs: CollectInputs) -> StepOutcome {
        guard !inputs.pgauditLogs.isEmpty else {
            return .error(6, "no pg_audit export given; pass the log drain export with --pgaudit-log FILE (several allowed, .gz read transparently)")
        }
        let p = inputs.policy
        let asOf = Int64(inputs.asOf.timeIntervalSince1970.rounded(.down))
        let spanStart = Int64(UTC.startOfDay(inputs.asOf).timeIntervalSince1970) - Int64(p.lookbackDays) * 86400
        var scanner = PgAuditScanner(spanStart: spanStart, spanEnd: asOf, table: p.auditedTable)
        var digests: [(String, String)] = []
        for path in inputs.pgauditLogs {
            do { try scanner.scan(path: path) } catch {
                return .error(6, "cannot read pg_audit export \(error.description)")
            }
            // Size, not a digest: hashing a 1 GiB export would double step 6's time. The exports
            // are the operator's to archive (runbook §5); the evidence names them.
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            digests.append((path, "\(size.map(String.init) ?? "?") bytes"))
        }
        return evaluate(inputs, scanner: scanner, digests: digests)
    }

    static func evaluate(_ inputs: CollectInputs, scanner: PgAuditScanner, digests: [(String, String)]) -> StepOutcome {
        let p = inputs.policy
        func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
        let limit = Int64(p.maxLogGapHours) * 3600
        let gaps = scanner.gaps(longerThan: limit)
        let wholeDays = p.lookbackDays
        let emptyDays = (0..<wholeDays).filter { scanner.perDay[$0] == 0 }

        var windows: [TimeWindow] = []
        var windowsError: String?
        if !gaps.isEmpty || !emptyDays.isEmpty {
            do { windows = try WindowTable.load(p.maintenanceWindowsFile, root: inputs.documentRoot, requireReason: true) } catch {
                windowsError = error.message
            }
        }
        if let windowsError {
            return .error(6, "\(English.count(gaps.count, "gap")) and \(English.count(emptyDays.count, "day")) without DML need a maintenance window, but \(windowsError)")
        }

        var findings: [String] = []
        var gapLines: [String] = []
        for g in gaps {
            let span = "\(UTC.iso(date(g.from))) .. \(UTC.iso(date(g.to))) (\(UTC.span(TimeInterval(g.to - g.from))))"
            if let used = WindowTable.covers(windows, from: date(g.from), to: date(g.to)) {
                gapLines.append("# gap \(span): explained by maintenance window \(used.map { "\($0.id) (\($0.reason ?? ""))" }.joined(separator: ", "))")
            } else {
                gapLines.append("# gap \(span): UNEXPLAINED")
                findings.append("gap of \(UTC.span(TimeInterval(g.to - g.from))) with no DML event on \(p.auditedTable): \(UTC.iso(date(g.from))) .. \(UTC.iso(date(g.to))), longer than \(p.maxLogGapHours) h and not covered by a maintenance window in \(p.maintenanceWindowsFile)")
            }
        }
        for d in emptyDays {
            let start = date(scanner.spanStart + Int64(d) * 86400)
            if WindowTable.covers(windows, from: start, to: start.addingTimeInterval(86400 - 1)) == nil {
                findings.append("no DML event on \(p.auditedTable) on \(UTC.day(start))")
            }
        }

        let first = date(scanner.spanStart), last = inputs.asOf
        var t = "# \(control.control) \(control.title): pgaudit WRITE events on \(p.auditedTable)\n"
        t += "# date range: \(UTC.iso(first)) .. \(UTC.iso(last)) (\(wholeDays) whole UTC days before the day of as-of, plus that day up to as-of)\n"
        for (path, size) in digests { t += "# export: \(path) (\(size))\n" }
        t += "# audit lines \(scanner.auditLines), counted events \(scanner.events), other pgaudit lines \(scanner.otherAudit), outside the range \(scanner.outsideSpan), unparseable \(scanner.unparseable)\n"
        t += "# gaps longer than \(p.maxLogGapHours) h: \(gaps.count)\n"
        for g in gapLines { t += g + "\n" }
        t += "#\n# day\tevents\n"
        for (i, n) in scanner.perDay.enumerated() {
            let day = UTC.day(date(scanner.spanStart + Int64(i) * 86400))
            t += "\(day)\t\(n)\(i >= wholeDays ? "\t(as-of day, partial)" : "")\n"
        }
        if !scanner.unparseableSamples.isEmpty {
            t += "#\n# unparseable lines (first \(scanner.unparseableSamples.count) of \(scanner.unparseable)):\n"
            for s in scanner.unparseableSamples { t += "# " + s.replacingOccurrences(of: "\n", with: " ") + "\n" }
        }
        t += "#\n# sample: the first counted line of each day\n"
        for day in scanner.daySamples.keys.sorted() { t += scanner.daySamples[day]! + "\n" }

        var summary = "\(scanner.events) DML events on \(p.auditedTable), every one of \(wholeDays) days covered, no unexplained gap over \(p.maxLogGapHours) h"
        if scanner.unparseable > 0 { summary += "; \(English.count(scanner.unparseable, "unparseable line"))" }
        var outcome = StepOutcome.judged(findings: findings, pass: summary, sql: "", parameters: [],
                                         rowCount: scanner.events, evidence: Data(t.utf8))
        if !findings.isEmpty && scanner.unparseable > 0 { outcome.summary += "; \(English.count(scanner.unparseable, "unparseable line"))" }
        return outcome
    }
}
