import Foundation
import AttestCore
import AttestPostgres

/// Runs the seven steps: steps 1–5 and 7 in one `REPEATABLE READ READ ONLY` transaction (one
/// snapshot, no way to write, a statement timeout from policy), then step 6 over the log
/// exports. A step that cannot be evaluated is `error`; only a lost or refused connection
/// stops the run (and then nothing is written). The controls beyond the seven (`extras`, issue
/// #20) run after step 7 in the same transaction, each under its own savepoint.
public enum Collector {
    public struct Collected: Sendable {
        public let database: DatabaseIdentity
        public let snapshotId: String
        /// Seven outcomes, step 1 first; each carries its step number.
        public let outcomes: [StepOutcome]
        /// The controls beyond the seven (issue #20), run after them in the same snapshot.
        public var extras: [ExtraOutcome] = []

        public init(database: DatabaseIdentity, snapshotId: String, outcomes: [StepOutcome], extras: [ExtraOutcome] = []) {
            self.database = database; self.snapshotId = snapshotId; self.extras = extras
            self.outcomes = outcomes.sorted { $0.step < $1.step }
        }
    }

    public static func run(_ inputs: CollectInputs, connection: Connection, extras: ExtraControls = .none) throws(PostgresError) -> Collected {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        // A bound value, local to the transaction; the policy range is validated (1...86400 s).
        try connection.query("SELECT set_config('statement_timeout', $1, true)", ["\(inputs.policy.statementTimeoutSeconds)s"])
        let snapshot = try connection.query("SELECT pg_export_snapshot() AS id")[0].text("id") ?? ""
        let identity = DatabaseIdentity(serverVersion: (try? connection.query("SHOW server_version"))?[0].text("server_version") ?? connection.serverVersion,
                                        database: connection.database, user: connection.user, host: connection.host)
        let session = StepSession(connection: connection)
        var outcomes: [StepOutcome] = []
        outcomes.append(try Step1RoleAssignment.run(inputs, session: session))
        outcomes.append(try Step2GroupReview.run(inputs, session: session))
        outcomes.append(try Step3HMACChain.run(inputs, session: session))
        outcomes.append(try Step4ArchiverManifest.run(inputs, session: session))
        outcomes.append(try Step5RetentionBounds.run(inputs, session: session))
        let step7 = try Step7GrantReview.run(inputs, session: session)
        let extraOutcomes = try ControlFileRunner.run(extras, inputs, session: session)
        try connection.execute("COMMIT")
        outcomes.append(Step6PgAuditSink.run(inputs))
        outcomes.append(step7)
        return Collected(database: identity, snapshotId: snapshot, outcomes: outcomes, extras: extraOutcomes)
    }
}
