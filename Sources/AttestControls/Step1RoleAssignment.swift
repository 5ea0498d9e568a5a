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

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let sql = SQLText.joined([groupMembersSQL, directGrantsSQL])
        let params = parameters(inputs)
        return try session.step(1, sql: sql, parameters: params) {
            let members = try session.rows(groupMembersSQL, params)
            let direct = try session.rows(directGrantsSQL, params)
            return evaluate(inputs, members: members, direct: direct, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, members: Rows, direct: Rows, sql: String, parameters: [String]) -> StepOutcome {
        let p = inputs.policy
        var findings: [String] = []
        for r in direct.all {
            findings.append("direct user grant of \(p.complianceRole) to \(r.text("email") ?? "?") (granted \(r.text("granted_at") ?? "?") by \(r.text("granted_by") ?? "?")); the role must reach users only through \(p.auditorGroup)")
        }
        if !p.auditorEngaged {
            for r in members.all {
                findings.append("\(p.auditorGroup) has member \(r.text("email") ?? "?") (granted \(r.text("granted_at") ?? "?") by \(r.text("granted_by") ?? "?")) while no auditor is engaged (controls.auditorEngaged = false)")
            }
        }
        var csv = CSV.header(["email", "granted_at", "granted_by"], source: true)
        csv += CSV.table(members, source: "group_members")
        csv += CSV.table(direct, source: "direct_grants")
        let pass = members.isEmpty
            ? "no direct grant of \(p.complianceRole); \(p.auditorGroup) is empty"
            : "no direct grant of \(p.complianceRole); \(p.auditorGroup) has \(English.count(members.count, "member")), an auditor is engaged"
        return .judged(findings: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: members.count + direct.count, evidence: csv)
    }
}
