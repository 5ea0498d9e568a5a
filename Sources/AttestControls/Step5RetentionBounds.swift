import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 5 — 7-year retention bounds (A1.2 / SC-A13).
///
/// Rule: the oldest row of the audited table (`MIN(occurred_at)`, rows up to `as_of`) is newer
/// than `controls.retentionYears` calendar years before `as_of`, and the latest cold-storage run
/// (`destination` starting with `controls.glacierPrefix`, completed by `as_of`) completed within
/// the 90 days. An empty table has no row to be too old.
///
/// The runbook's two queries. The table name comes from policy and is quoted as an identifier;
/// the prefix is a bound LIKE pattern with `%` and `_` escaped.
public enum Step5RetentionBounds {
    public static let control = Controls.all[4]

    static func oldestSQL(table: String) -> String {
        """
        SELECT MIN(occurred_at) AS oldest_hot_row
        FROM \(SQLText.quotedIdentifier(table))
        WHERE occurred_at <= $2::timestamptz;
        """
    }

    static let glacierSQL = """
    SELECT destination, rows_archived, completed_at
    FROM audit_archival_runs
    WHERE destination LIKE $1
      AND completed_at <= $2::timestamptz
    ORDER BY completed_at DESC
    LIMIT 1;
    """

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let oldest = oldestSQL(table: inputs.policy.auditedTable)
        let sql = SQLText.joined([oldest, glacierSQL])
        let params = [SQLText.likePrefix(inputs.policy.glacierPrefix), inputs.asOf.sqlParameter]
        return try session.step(5, sql: sql, parameters: params) {
            let o = try session.rows(oldest, params)
            let g = try session.rows(glacierSQL, params)
            return evaluate(inputs, oldest: o, glacier: g, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, oldest: Rows, glacier: Rows, sql: String, parameters: [String]) -> StepOutcome {
        let p = inputs.policy
        var findings: [String] = []
        let bound = UTC.calendar.date(byAdding: .year, value: -p.retentionYears, to: inputs.asOf)!
        let oldestText = oldest.isEmpty ? nil : oldest[0].text("oldest_hot_row")
        if let t = oldestText {
            if let d = PgTime.parse(t), d <= bound {
                findings.append("oldest row of \(p.auditedTable) is from \(UTC.human(d)), older than the \(p.retentionYears)-year bound \(UTC.human(bound))")
            } else if PgTime.parse(t) == nil {
                findings.append("oldest_hot_row '\(t)' is not a timestamp")
            }
        }
        var glacierText = "no run"
        if glacier.isEmpty {
            findings.append("no cold-storage run (destination LIKE '\(p.glacierPrefix)%') completed by \(UTC.human(inputs.asOf))")
        } else if let done = glacier[0].pgInstant("completed_at") {
            glacierText = UTC.human(done)
            if done < inputs.spanStart {
                let days = Int((inputs.asOf.timeIntervalSince(done) / 86400).rounded(.down))
                findings.append("latest glacier run completed \(UTC.human(done)), \(days) days before as-of; it must be within \(p.lookbackDays) days")
            }
        }
        var csv = CSV.header(["query", "oldest_hot_row", "destination", "rows_archived", "completed_at"])
        csv += Data(CSV.line(["oldest_hot_row", oldestText, nil, nil, nil]).utf8)
        for r in glacier.values { csv += Data(CSV.line(["latest_glacier_run", nil] + r).utf8) }
        csv += Data(CSV.line(["bound", UTC.iso(bound), nil, nil, nil]).utf8)
        let oldestShown = oldestText.map { t in PgTime.parse(t).map(UTC.human) ?? t } ?? "none (table empty)"
        let pass = "oldest row \(oldestShown) is within \(p.retentionYears) years; latest glacier run \(glacierText)"
        return .judged(findings: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: oldest.count + glacier.count, evidence: csv)
    }
}
