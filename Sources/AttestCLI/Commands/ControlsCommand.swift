import Foundation
import AttestCore
import AttestControls
import AttestPostgres

/// `attest controls list|check`: the catalogue of controls in force, and a check of the control
/// files against the database without running them (issue #20, docs/controls.md).
struct ControlsCommand: Command {
    static let name = "controls"
    static let summary = "list the catalogue of controls in force, or check the control files (controls list|check)"
    static let help = """
    controls list prints the catalogue in force in the working tree: the runbook's seven steps
    (built in), CC6.3 deprovisioning as step 8 while the departures list (controls.departures)
    exists, and one step per .sql file of controls.folder (steps 9 and on, in byte order of the
    file names), each with its id, criterion, evidence file, on-finding and the SHA-256 of its
    SQL file. This is the catalogue that render lists and that sign, verify, the hooks and audit
    judge a sign-off against (as committed at the sign-off's parent).

    controls check reads every control file (the header, the parameters), then asks the database
    to parse and describe each statement and prints its EXPLAIN, all inside a read-only
    transaction that is rolled back: no control query is run. A file that is not valid is
    refused naming the file and line.

    """
    static let helpFooter = """
    Exit codes: 0 listed, or every file is valid; 2 usage error or a control file is refused;
    3 the database cannot be reached.

    Examples:
      attest controls list
      attest controls check --db 'service=raxx-prod'
    """
    static let db = Option("db", value: "CONNINFO", help: "check: libpq conninfo or URI (default: ATTEST_DATABASE_URL, then PGHOST, ...); a password is never printed")
    static let quarter = Option("quarter", value: "YYYY-QN", help: "check: the quarter whose parameters EXPLAIN binds (default: the open one, else the current calendar quarter)")
    static let asOf = Option("as-of", value: "INSTANT", help: "check: as_of for EXPLAIN (default: now)")
    static let json = Flag("json", help: "list: [{step, id, criterion, title, evidence, onFinding, source, sqlSHA256}]; check: [{source, plan}]")
    static let spec = ArgumentSpec(options: [db, quarter, asOf, json], positionals: .subcommands([.init("list", options: [json]), .init("check", options: [db, quarter, asOf, json])]))

    let action: String
    let conninfo: String?
    let quarter: Quarter?
    let asOf: Date?
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        action = arguments.positionals.first ?? ""
        guard ["list", "check"].contains(action) else {
            throw .usage("'controls \(action)': the actions are 'list' and 'check' (attest controls list)")
        }
        conninfo = arguments[Self.db]
        json = arguments[Self.json]
        quarter = try arguments[Self.quarter].map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        if let text = arguments[Self.asOf] {
            guard let d = UTC.parseInstant(text) else { throw .usage("--as-of '\(text)' is not a UTC instant; write 2026-04-02T09:00:00Z") }
            asOf = d
        } else { asOf = nil }
        if action == "list" && (conninfo != nil || quarter != nil || asOf != nil) {
            throw .usage("--db, --quarter and --as-of are options of 'controls check'")
        }
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let policy = try context.policy()
        let root = (try? context.repository())?.workdir ?? context.workingDirectory
        let extras = try reporting { try ExtraControls.load(root: root, policy: policy) }
        return action == "list" ? list(extras, policy: policy, context) : try check(extras, policy: policy, root: root, context)
    }

    private func list(_ extras: ExtraControls, policy: Policy, _ context: Context) -> Int32 {
        var rows: [[String]] = Controls.all.map { c in
            [String(c.step), "step \(c.step)", c.criterion, c.title, c.evidenceFile, c.findingBlocksSigning ? "block" : "issue", "built-in", ""]
        }
        rows += extras.catalogue.controls.map { c in
            [String(c.step), c.id, c.criterion, c.title, c.evidenceFile, c.onFinding.rawValue, c.source, c.sqlSHA256]
        }
        if json {
            let keys = ["step", "id", "criterion", "title", "evidence", "onFinding", "source", "sqlSHA256"]
            let objects: [[String: Any]] = rows.map { r in
                Dictionary(uniqueKeysWithValues: zip(keys, r).map { k, v in (k, k == "step" ? Int(v)! as Any : v as Any) })
            }
            context.out.line(Self.jsonArray(objects))
            return 0
        }
        context.out.write(TextTable.render(header: ["Step", "Id", "Criterion", "Title", "Evidence", "On finding", "Source", "SQL SHA-256"], rows: rows))
        if extras.departures == nil {
            context.out.line("CC6.3 (step 8) is off: there is no departures list at \(policy.departuresFile) (controls.departures); commit one, even an empty | email | notice | ticket | table, to turn it on")
        }
        return 0
    }

    private func check(_ extras: ExtraControls, policy: Policy, root: String, _ context: Context) throws(AttestError) -> Int32 {
        let schedule = Schedule(policy: policy)
        let now = context.now
        let q = quarter ?? schedule.openWindow(at: now)?.quarter ?? Self.calendarQuarter(now)
        let inputs = CollectInputs(quarter: q, window: schedule.window(for: q), asOf: asOf ?? now, policy: policy, documentRoot: root, pgauditLogs: [])
        let connection: Connection
        do { connection = try Connection(conninfo: conninfo, environment: context.environment) } catch {
            throw .environment("cannot check the control files against the database: \(error.description); check --db, ATTEST_DATABASE_URL or PGHOST/PGSERVICE")
        }
        let plans: [String: String]
        do { plans = try ControlFileRunner.validate(extras.files, connection: connection, inputs: inputs, explain: true) } catch {
            throw .usage("control file \(error.description); fix it (docs/controls.md)")
        }
        if json {
            context.out.line(Self.jsonArray(extras.files.map { ["source": $0.path, "plan": plans[$0.path] ?? ""] }))
            return 0
        }
        for f in extras.files {
            context.out.line("\(f.path) (\(f.id)): valid; parameters \(f.parameterNames.isEmpty ? "none" : f.parameterNames.map { ":" + $0 }.joined(separator: ", "))")
            for line in (plans[f.path] ?? "").split(separator: "\n") { context.out.line("    \(line)") }
        }
        context.out.line(extras.files.isEmpty ? "no control files in \(policy.controlsFolder)/" : "\(English.count(extras.files.count, "control file")) valid; nothing was run")
        return 0
    }

    static func jsonArray(_ objects: [[String: Any]]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func calendarQuarter(_ d: Date) -> Quarter {
        let p = UTC.components(d)
        return try! Quarter(year: p.year, number: (p.month - 1) / 3 + 1)
    }
}
