import Foundation
import AttestCore
import AttestPostgres
import AttestControls

/// `attest collect`: runbook steps 1–7 against PostgreSQL and the pg_audit exports, into an
/// evidence folder that proves itself (issue #3, docs/collect.md).
struct CollectCommand: Command {
    static let name = "collect"
    static let summary = "run the runbook's seven evidence steps into evidence/YYYY-QN"
    static let usage = "collect [--quarter YYYY-QN] [--db CONNINFO] [--as-of INSTANT] [--pgaudit-log FILE|-]... [--pgaudit-sink CONNINFO] [--out DIR] [--force] [--json]"
    static let help = """
    Runs the SOC-2 runbook's steps 1-7: six read-only queries in one REPEATABLE READ READ ONLY
    transaction (one snapshot, statement timeout from database.statementTimeout) and the
    pg_audit log check over the exports given. Writes the evidence folder: one file per step,
    results.json (docs/results-json.md) and SHA256SUMS (check with 'sha256sum -c SHA256SUMS'),
    into a temporary folder renamed into place; folder 0700, files 0600.

    Then the controls beyond the seven, in the same snapshot (docs/controls.md): CC6.3
    deprovisioning (step 8) while the departures list exists, and one step per SQL file of
    controls.folder (steps 9 and on). Every control file is checked first (header, parameters,
    the server's parse of its statement); one that is not valid is refused naming the file and
    line, before anything runs.

    Options:
      --quarter YYYY-QN     the quarter (default: the one whose window is open now)
      --db CONNINFO         libpq conninfo or URI (default: ATTEST_DATABASE_URL, then libpq's
                            PGHOST, PGSERVICE, ~/.pgpass, ...); a password is never printed or written
      --as-of INSTANT       the instant every "last 90 days", "7 years" and "current month" is
                            computed from (default: now); rows dated later are outside every span,
                            so a later run with the same --as-of reproduces the result
      --pgaudit-log FILE    a pg_audit log export for step 6 (stderr, csvlog, jsonlog, syslog,
                            RFC 5424 or Heroku drain lines; .gz read transparently; - reads standard
                            input); repeat for several, overlapping exports count an event once
      --pgaudit-sink CONNINFO  run step 6 as one read-only query on the log sink's PostgreSQL
                            (table and columns from the sink.* policy keys) instead of files
      --out DIR             the evidence folder (default: <attest.evidenceRoot>/YYYY-QN at the
                            repository root; evidence/ is added to .gitignore when created)
      --force               replace an existing evidence folder (atomically)
      --json                print results.json instead of the step lines

    Exit codes: 0 all seven steps pass; 1 a finding or a step that could not be evaluated;
    2 usage error, bad policy value, or the evidence folder exists without --force;
    3 the database cannot be reached (nothing is written) or the folder cannot be written.

    Examples:
      attest collect --pgaudit-log exports/pgaudit-2026-q1.log.gz
      attest collect --quarter 2026-Q2 --as-of 2026-04-02T09:00:00Z --db 'service=raxx-prod' \\
          --pgaudit-log drain-1.log --pgaudit-log drain-2.log.gz --force
    """
    static let spec = ArgumentSpec(options: [
        .init("quarter", value: "YYYY-QN"), .init("db", value: "CONNINFO"), .init("as-of", value: "INSTANT"),
        .init("pgaudit-log", value: "FILE", repeatable: true), .init("pgaudit-sink", value: "CONNINFO"), .init("out", value: "DIR"), .init("force"), .init("json"),
    ])

    let quarter: Quarter?
    let conninfo: String?
    let asOf: Date?
    let logs: [String]
    let sink: String?
    let out: String?
    let force: Bool
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        quarter = try arguments.value("quarter").map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        conninfo = arguments.value("db")
        if let text = arguments.value("as-of") {
            guard let d = UTC.parseInstant(text) else {
                throw .usage("--as-of '\(text)' is not a UTC instant; write 2026-04-02T09:00:00Z or 2026-04-02")
            }
            asOf = d
        } else { asOf = nil }
        logs = arguments.all("pgaudit-log").map { $0 == "-" ? "-" : CollectCommand.absolute($0, context.workingDirectory) }
        sink = arguments.value("pgaudit-sink")
        if sink != nil && !logs.isEmpty { throw .usage("--pgaudit-sink and --pgaudit-log are alternatives; give one") }
        if logs.filter({ $0 == "-" }).count > 1 { throw .usage("--pgaudit-log - (standard input) can be given once") }
        if logs.contains("-") && isatty(0) != 0 {
            throw .usage("--pgaudit-log - reads standard input, which is a terminal; pipe the export in (aggregator-cli ... | attest collect --pgaudit-log -)")
        }
        for (given, path) in zip(arguments.all("pgaudit-log"), logs) where path != "-" {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
                throw .usage("--pgaudit-log '\(given)': no such file")
            }
        }
        out = arguments.value("out").map { CollectCommand.absolute($0, context.workingDirectory) }
        force = arguments.flag("force")
        json = arguments.flag("json")
    }

    static func absolute(_ path: String, _ cwd: String) -> String {
        ((path.hasPrefix("/") ? path : (cwd as NSString).appendingPathComponent(path)) as NSString).standardizingPath
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let now = context.now
        let policy = try context.policy()
        let schedule = Schedule(policy: policy)
        let quarter: Quarter
        if let q = self.quarter { quarter = q } else { quarter = try CollectCommand.openQuarter(schedule, now) }
        // Whole seconds: results.json records as-of to the second, and the SQL parameters must
        // be that same instant.
        let asOf = Date(timeIntervalSince1970: (self.asOf ?? now).timeIntervalSince1970.rounded(.down))
        guard asOf <= now else { throw .usage("--as-of \(UTC.iso(asOf)) is in the future (now is \(UTC.iso(now)))") }

        let root = (try? context.repository())?.workdir
        guard root != nil || out != nil else {
            throw .environment("not in a git repository, so there is no default evidence folder; run attest collect inside your compliance repository or pass --out DIR")
        }
        let documentRoot = root ?? context.workingDirectory
        let evidenceRoot = (root ?? context.workingDirectory) + "/" + policy.evidenceRoot
        let target = out ?? evidenceRoot + "/" + quarter.description
        if FileManager.default.fileExists(atPath: target) && !force {
            throw .usage("evidence folder \(target) already exists; pass --force to replace it, or --out DIR")
        }

        let inputs = CollectInputs(quarter: quarter, window: schedule.window(for: quarter), asOf: asOf, policy: policy,
                                   documentRoot: documentRoot, pgauditLogs: logs, pgauditSink: sink)
        // Controls beyond the seven (docs/controls.md): every file is read and checked before
        // anything runs, and refused naming the file and line.
        let extras = try ExtraControls.load(root: documentRoot, policy: policy)
        let collected: Collector.Collected
        let connection: Connection
        do { connection = try Connection(conninfo: conninfo, environment: context.environment) } catch {
            throw .environment("cannot collect from the database: \(error.description); check --db, ATTEST_DATABASE_URL or PGHOST/PGSERVICE (nothing was written)")
        }
        do { _ = try ControlFileRunner.validate(extras.files, connection: connection) } catch {
            throw .usage("\(quarter): control file \(error.description); fix it and collect again (nothing was run, nothing was written)")
        }
        do {
            collected = try Collector.run(inputs, connection: connection, extras: extras)
        } catch {
            throw .environment("cannot collect from the database: \(error.description); check --db, ATTEST_DATABASE_URL or PGHOST/PGSERVICE (nothing was written)")
        }

        let createsRoot = out == nil && !FileManager.default.fileExists(atPath: evidenceRoot)
        let results = try EvidenceFolderWriter.write(quarter: quarter, asOf: asOf, collected: collected, to: target, force: force,
                                               tool: "attest \(AttestVersion.current)")
        if createsRoot, let root { CollectCommand.ignore(policy.evidenceRoot, root: root) }

        if json {
            context.out.write(String(decoding: results.encoded(), as: UTF8.self))
        } else {
            let o = context.out
            for s in results.steps {
                let status: String
                switch s.status {
                case .pass: status = o.styled("pass", .green)
                case .finding: status = o.styled("finding", .yellow)
                case .error: status = o.styled("error", .red)
                }
                let pad = String(repeating: " ", count: max(0, 7 - s.status.rawValue.count))
                o.line("Step \(s.step)\(s.step < 10 ? " " : "") \(s.control.padding(toLength: 5, withPad: " ", startingAt: 0))  \(status)\(pad)  \(s.summary)")
                for f in s.findings { o.line("        - \(f.detail)") }
            }
            o.line("\(quarter): \(results.tally.sentence)")
            o.line("evidence: \(target)")
        }
        return results.steps.allSatisfy { $0.status == StepStatus.pass } ? 0 : 1
    }

    /// The quarter whose window is open at `now`, or a usage error naming the nearest ones.
    static func openQuarter(_ schedule: Schedule, _ now: Date) throws(AttestError) -> Quarter {
        if let w = schedule.openWindow(at: now) { return w.quarter }
        let last = schedule.previousWindow(before: now), next = schedule.nextWindow(after: now)
        throw .usage("no attestation window is open at \(UTC.human(now)): \(last.quarter) closed \(UTC.human(last.closes)), \(next.quarter) opens \(UTC.human(next.opens)); pass --quarter YYYY-QN")
    }

    /// Adds `/<evidenceRoot>/` to the repository's .gitignore unless a line already covers it.
    static func ignore(_ evidenceRoot: String, root: String) {
        let path = root + "/.gitignore"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let forms = [evidenceRoot, evidenceRoot + "/", "/" + evidenceRoot, "/" + evidenceRoot + "/"]
        if existing.split(separator: "\n").contains(where: { forms.contains($0.trimmingCharacters(in: .whitespaces)) }) { return }
        let text = existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "/\(evidenceRoot)/\n"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
