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

    /// The latest cold-storage run, as the step reads it.
    struct GlacierRun {
        static let columns = ["destination", "rows_archived", "completed_at"]
        let completedAt: Date
        let values: [String?]

        init(_ c: StepRows.Cells) throws(StepQueryError) { completedAt = try c.instant("completed_at"); values = c.values }
    }

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        try run(inputs, session: session, oldest: oldestSQL(table: inputs.policy.auditedTable), glacier: glacierSQL)
    }

    /// The step with its statements given (`run` passes the runbook's; a test a misspelt one).
    static func run(_ inputs: CollectInputs, session: StepSession, oldest: String, glacier: String) throws(PostgresError) -> StepOutcome {
        let sql = SQLText.joined([oldest, glacier])
        let params = [SQLText.likePrefix(inputs.policy.glacierPrefix), inputs.asOf.sqlParameter]
        return try session.step(5, sql: sql, parameters: params) {
            let o = try StepRows(step: 5, query: "oldest_hot_row", rows: try session.rows(oldest, params), columns: ["oldest_hot_row"])
            let g = try StepRows(step: 5, query: "latest_glacier_run", rows: try session.rows(glacier, params), columns: GlacierRun.columns)
            return try evaluate(inputs, oldest: o, glacier: g, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, oldest oldestRows: StepRows, glacier glacierRows: StepRows, sql: String, parameters: [String]) throws -> StepOutcome {
        let p = inputs.policy
        var findings: [String] = []
        let bound = UTC.calendar.date(byAdding: .year, value: -p.retentionYears, to: inputs.asOf)!
        // MIN() over an empty table is one NULL row: no row to be too old.
        let oldest = try oldestRows.decode { c throws(StepQueryError) in (text: c.text("oldest_hot_row"), at: try c.optionalInstant("oldest_hot_row")) }.first
        let glacier = try glacierRows.decode(GlacierRun.init)
        if let d = oldest?.at, d <= bound {
            findings.append("oldest row of \(p.auditedTable) is from \(UTC.human(d)), older than the \(p.retentionYears)-year bound \(UTC.human(bound))")
        }
        var glacierText = "no run"
        if let done = glacier.first?.completedAt {
            glacierText = UTC.human(done)
            if done < inputs.spanStart {
                let days = Int((inputs.asOf.timeIntervalSince(done) / 86400).rounded(.down))
                findings.append("latest glacier run completed \(UTC.human(done)), \(days) days before as-of; it must be within \(p.lookbackDays) days")
            }
        } else {
            findings.append("no cold-storage run (destination LIKE '\(p.glacierPrefix)%') completed by \(UTC.human(inputs.asOf))")
        }
        let oldestText = oldest?.text ?? nil
        var csv = CSV.header(["query", "oldest_hot_row", "destination", "rows_archived", "completed_at"])
        csv += Data(CSV.line(["oldest_hot_row", oldestText, nil, nil, nil]).utf8)
        for r in glacier { csv += Data(CSV.line(["latest_glacier_run", nil] + r.values).utf8) }
        csv += Data(CSV.line(["bound", UTC.iso(bound), nil, nil, nil]).utf8)
        let oldestShown = oldest?.at.map(UTC.human) ?? "none (table empty)"
        let pass = "oldest row \(oldestShown) is within \(p.retentionYears) years; latest glacier run \(glacierText)"
        return .judged(5, findings: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: oldestRows.count + glacierRows.count, evidence: csv)
    }
}
