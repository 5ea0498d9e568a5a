import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 7 — Out-of-window RBAC grant review (CC6.7).
///
/// Rule: every grant of the compliance or admin role in the 90 days has a `change_window_id`
/// that is an `id` in the change-management log (`controls.changeWindows`, a markdown table
/// `| id | start | end |`) and a `granted_at` inside that window's [start, end]. A null or
/// unknown id, or a grant outside its window, is a finding that blocks signing. The log is
/// read only when some grant names a window.
public enum Step7GrantReview {
    public static let control = Controls.all[6]

    static let sql = """
    SELECT u.email, r.name AS role, rg.granted_at, rg.granted_by,
           rg.change_window_id
    FROM rbac_grants_audit rg
    JOIN users u ON u.id = rg.user_id
    JOIN rbac_roles r ON r.id = rg.role_id
    WHERE r.name IN ($1, $2)
      AND rg.granted_at > $3::timestamptz
      AND rg.granted_at <= $4::timestamptz
    ORDER BY rg.granted_at;
    """

    /// One grant of the compliance or admin role, as the step reads it.
    struct Grant {
        static let columns = ["email", "role", "granted_at", "granted_by", "change_window_id"]
        let email: String?
        let role: String
        /// As PostgreSQL wrote it, for the finding; `at` is the instant.
        let grantedAtText: String
        let at: Date
        let grantedBy: String?
        /// Blank-trimmed; empty when NULL.
        let changeWindow: String

        init(_ c: StepRows.Cells) throws(StepQueryError) {
            email = c.text("email"); role = try c.required("role")
            grantedAtText = try c.required("granted_at"); at = try c.instant("granted_at")
            grantedBy = c.text("granted_by"); changeWindow = trimmedBlanks(c.text("change_window_id") ?? "")
        }
    }

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        try run(inputs, session: session, sql: sql)
    }

    /// The step with its statement given (`run` passes the runbook's; a test a misspelt one).
    static func run(_ inputs: CollectInputs, session: StepSession, sql: String) throws(PostgresError) -> StepOutcome {
        let p = inputs.policy
        let params = [p.complianceRole, p.adminRole, inputs.spanStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(7, sql: sql, parameters: params) {
            let rows = try StepRows(step: 7, query: "grants_audit", rows: try session.rows(sql, params), columns: Grant.columns)
            return try evaluate(inputs, rows: rows, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, rows: StepRows, sql: String, parameters: [String]) throws -> StepOutcome {
        let p = inputs.policy
        let grants = try rows.decode(Grant.init)
        var windows: [String: TimeWindow] = [:]
        if grants.contains(where: { !$0.changeWindow.isEmpty }) {
            do {
                for w in try WindowTable.load(p.changeWindowsFile, root: inputs.documentRoot, requireReason: false) { windows[w.id] = w }
            } catch {
                throw StepQueryError(message: error.message)
            }
        }
        var csv = EvidenceBuilder(CSV.header(rows.rows.columns))
        var findings: [StepFinding] = []
        for (g, values) in zip(grants, rows.rows.values) {
            let row = try csv.row(Data(CSV.line(values).utf8))
            let who = "grant of \(g.role) to \(g.email ?? "a user without an email (NULL)") at \(g.grantedAtText) by \(g.grantedBy ?? "NULL")"
            let withheld = "grant of \(g.role) at \(g.grantedAtText)"
            func finding(_ what: String) { findings.append(StepFinding(detail: who + what, withheld: withheld + what, row: row)) }
            let id = g.changeWindow
            if id.isEmpty { finding(" has no change_window_id"); continue }
            guard let w = windows[id] else {
                finding(" names change window '\(id)', which is not listed in \(p.changeWindowsFile)")
                continue
            }
            if !w.contains(g.at) {
                finding(" is outside its change window '\(id)' (\(UTC.iso(w.start)) .. \(UTC.iso(w.end)), \(p.changeWindowsFile):\(w.line))")
            }
        }
        return .judged(7, details: findings,
                       pass: grants.isEmpty ? "no grant of \(p.complianceRole) or \(p.adminRole) in \(p.lookbackDays) days"
                                            : (grants.count == 1 ? "the 1 grant is" : "all \(grants.count) grants") + " inside a listed change window",
                       sql: sql, parameters: parameters, rowCount: grants.count, evidence: csv.data)
    }
}
