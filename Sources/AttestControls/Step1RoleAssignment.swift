import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 1 — Compliance role assignment (CC6.1 / RV-13).
///
/// Rule: no direct user grant of the compliance role (`rbac_grants.group_id IS NULL`), and
/// the auditors' group has no members while no external auditor is engaged
/// (`controls.auditorEngaged = false`, the OQ-3 decision).
///
/// The runbook's two queries, column for column. Rows dated after `as_of` are left out, so a
/// run with the same `--as-of` reproduces the result.
public enum Step1RoleAssignment {
    public static let control = Controls.all[0]

    /// The runbook's group-member query; also Step 2's. Parameters: $1 group, $2 role, $3 as_of.
    static let groupMembersSQL = """
    SELECT u.email, gm.granted_at, gm.granted_by
    FROM rbac_group_members gm
    JOIN users u ON u.id = gm.user_id
    JOIN rbac_groups g ON g.id = gm.group_id
    WHERE g.name = $1
      AND gm.granted_at <= $3::timestamptz
    ORDER BY u.email, gm.granted_at;
    """

    static let directGrantsSQL = """
    SELECT u.email, rg.granted_at, rg.granted_by
    FROM rbac_grants rg
    JOIN users u ON u.id = rg.user_id
    JOIN rbac_roles r ON r.id = rg.role_id
    WHERE r.name = $2
      AND rg.group_id IS NULL
      AND rg.granted_at <= $3::timestamptz
    ORDER BY u.email, rg.granted_at;
    """

    static func parameters(_ inputs: CollectInputs) -> [String] {
        [inputs.policy.auditorGroup, inputs.policy.complianceRole, inputs.asOf.sqlParameter]
    }

    /// A row of either query: who holds the membership or grant, when, and who gave it.
    struct Grant {
        static let columns = ["email", "granted_at", "granted_by"]
        let email: String?
        let grantedAt: String
        let grantedBy: String?
        /// The row as the query returned it, for the evidence file.
        let values: [String?]

        init(_ c: StepRows.Cells) throws(StepQueryError) {
            email = c.text("email"); grantedAt = try c.required("granted_at"); grantedBy = c.text("granted_by")
            values = c.values
        }

        /// `mallory@raxx.example`, or what stands for a NULL email.
        var who: String { email ?? "a user without an email (NULL)" }
        var by: String { grantedBy ?? "NULL" }
    }

    static func grants(_ step: Int, _ query: String, _ rows: Rows) throws -> [Grant] {
        try StepRows(step: step, query: query, rows: rows, columns: Grant.columns).decode(Grant.init)
    }

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        try run(inputs, session: session, groupMembers: groupMembersSQL, directGrants: directGrantsSQL)
    }

    /// The step with its two statements given: `run` passes the runbook's; a test passes a
    /// misspelt one to see the step refuse it.
    static func run(_ inputs: CollectInputs, session: StepSession, groupMembers: String, directGrants: String) throws(PostgresError) -> StepOutcome {
        let sql = SQLText.joined([groupMembers, directGrants])
        let params = parameters(inputs)
        return try session.step(1, sql: sql, parameters: params) {
            let members = try grants(1, "group_members", try session.rows(groupMembers, params))
            let direct = try grants(1, "direct_grants", try session.rows(directGrants, params))
            return try evaluate(inputs, members: members, direct: direct, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, members: [Grant], direct: [Grant], sql: String, parameters: [String]) throws(StepQueryError) -> StepOutcome {
        let p = inputs.policy
        var csv = EvidenceBuilder(CSV.header(Grant.columns, source: true))
        var memberRows: [(line: Int, sha256: String)] = []
        for m in members { memberRows.append(try csv.row(Data(CSV.line(["group_members"] + m.values).utf8))) }
        var findings: [StepFinding] = []
        for g in direct {
            let row = try csv.row(Data(CSV.line(["direct_grants"] + g.values).utf8))
            findings.append(StepFinding(
                detail: "direct user grant of \(p.complianceRole) to \(g.who) (granted \(g.grantedAt) by \(g.by)); the role must reach users only through \(p.auditorGroup)",
                withheld: "direct user grant of \(p.complianceRole) (granted \(g.grantedAt)); the role must reach users only through \(p.auditorGroup)",
                row: row))
        }
        if !p.auditorEngaged {
            for (m, row) in zip(members, memberRows) {
                findings.append(StepFinding(
                    detail: "\(p.auditorGroup) has member \(m.who) (granted \(m.grantedAt) by \(m.by)) while no auditor is engaged (controls.auditorEngaged = false)",
                    withheld: "\(p.auditorGroup) has a member (granted \(m.grantedAt)) while no auditor is engaged (controls.auditorEngaged = false)",
                    row: row))
            }
        }
        let pass = members.isEmpty
            ? "no direct grant of \(p.complianceRole); \(p.auditorGroup) is empty"
            : "no direct grant of \(p.complianceRole); \(p.auditorGroup) has \(English.count(members.count, "member")), an auditor is engaged"
        return .judged(1, details: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: members.count + direct.count, evidence: csv.data)
    }
}
