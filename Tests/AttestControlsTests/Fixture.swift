import Foundation
import AttestCore
import AttestPostgres
@testable import AttestControls
import AttestTestSupport

/// A fresh database with `schema/raptor.sql` loaded, the runbook's roles and groups, and a
/// scratch folder for repository documents. Rows are inserted per test with `sql(_:)`.
final class RaptorFixture: @unchecked Sendable {
    let db: TestDatabase
    let name: String
    let docs = Scratch("docs")

    init(_ label: String = "raptor", schema: Bool = true) throws {
        db = try TestDatabase.shared()
        name = try db.createDatabase(label)
        if schema {
            try db.psqlFile(packageRoot + "/schema/raptor.sql", database: name)
            try sql("""
            INSERT INTO rbac_roles (name) VALUES ('raptor-audit-compliance'), ('raptor-audit-admin'), ('raptor-api');
            INSERT INTO rbac_groups (name) VALUES ('raxx-compliance-auditors'), ('raxx-engineering');
            """)
        }
    }

    @discardableResult
    func sql(_ text: String) throws -> String { try db.psql(text, database: name) }

    func user(_ email: String) throws {
        try sql("INSERT INTO users (email) VALUES ('\(email)')")
    }

    func connection() throws -> Connection { try Connection(conninfo: db.conninfo(database: name)) }

    /// Inputs for a quarter collected at `asOf` (ISO), with documents under the scratch folder.
    func inputs(_ quarter: String = "2026-Q2", asOf: String = "2026-04-03T12:00:00Z", logs: [String] = [],
                policy: (inout Policy) -> Void = { _ in }) throws -> CollectInputs {
        let q = try Quarter(parsing: quarter)
        var p = Policy()
        policy(&p)
        return CollectInputs(quarter: q, window: Schedule(policy: p).window(for: q), asOf: UTC.parseInstant(asOf)!, policy: p,
                             documentRoot: docs.path, pgauditLogs: logs)
    }

    /// Runs one database step inside the read-only transaction, as `collect` does.
    func run(_ step: (CollectInputs, StepSession) throws(PostgresError) -> StepOutcome, _ inputs: CollectInputs) throws -> StepOutcome {
        let c = try connection()
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? c.execute("ROLLBACK") }
        return try step(inputs, StepSession(connection: c))
    }
}
