import Foundation
import AttestCore
import AttestSystem
import AttestPostgres
import AttestControls
import AttestGit

/// `attest collect`: runbook steps 1–7 against PostgreSQL and the pg_audit exports, into an
/// evidence folder that proves itself (issue #3, docs/collect.md).
struct CollectCommand: Command {
    static let name = "collect"
    static let summary = "run the runbook's seven evidence steps, and the controls beyond them, into evidence/YYYY-QN"
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
    """
    static let helpFooter = """
    Exit codes: 0 every step passes (the seven and any beyond them); 1 a finding or a step that
    could not be evaluated; 2 usage error, bad policy value, or the evidence folder exists
    without --force; 3 the database cannot be reached (nothing is written) or the folder cannot
    be written.

    Examples:
      attest collect --pgaudit-log exports/pgaudit-2026-q1.log.gz
      attest collect --quarter 2026-Q2 --as-of 2026-04-02T09:00:00Z --db 'service=raxx-prod' \\
          --pgaudit-log drain-1.log --pgaudit-log drain-2.log.gz --force
    """
    static let quarter = Option("quarter", value: "YYYY-QN", help: "the quarter (default: the one whose window is open now)")
    static let db = Option("db", value: "CONNINFO", help: """
        libpq conninfo or URI (default: ATTEST_DATABASE_URL, then libpq's PGHOST, PGSERVICE, \
        ~/.pgpass, ...); a password is never printed or written
        """)
    static let asOf = Option("as-of", value: "INSTANT", help: """
        the instant every "last 90 days", "7 years" and "current month" is computed from (default: \
        now); rows dated later are outside every span, so a later run with the same --as-of \
        reproduces the result
        """)
    static let pgauditLog = Option("pgaudit-log", value: "FILE|-", repeatable: true, completion: .file, help: """
        a pg_audit log export for step 6 (stderr, csvlog, jsonlog, syslog, RFC 5424 or Heroku drain \
        lines; .gz read transparently; - reads standard input); repeat for several, overlapping \
        exports count an event once
        """)
    static let pgauditSink = Option("pgaudit-sink", value: "CONNINFO", help: """
        run step 6 as one read-only query on the log sink's PostgreSQL (table and columns from the \
        sink.* policy keys) instead of files
        """)
    static let out = Option("out", value: "DIR", help: """
        the evidence folder (default: <attest.evidenceRoot>/YYYY-QN at the repository root; \
        evidence/ is added to .gitignore when created)
        """)
    static let force = Flag("force", help: "replace an existing evidence folder (atomically)")
    static let json = Flag("json", help: "print results.json instead of the step lines")
    static let spec = ArgumentSpec(options: [quarter, db, asOf, pgauditLog, pgauditSink, out, force, json])

    let quarter: Quarter?
    let conninfo: String?
    let asOf: Date?
    let logs: [String]
    let sink: String?
    let out: String?
    let force: Bool
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        quarter = try arguments[Self.quarter].map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        conninfo = arguments[Self.db]
        if let text = arguments[Self.asOf] {
            guard let d = UTC.parseInstant(text) else {
                throw .usage("--as-of '\(text)' is not a UTC instant; write 2026-04-02T09:00:00Z or 2026-04-02")
            }
            asOf = d
        } else { asOf = nil }
        logs = arguments.all(Self.pgauditLog).map { $0 == "-" ? "-" : CollectCommand.absolute($0, context.workingDirectory) }
        sink = arguments[Self.pgauditSink]
        if sink != nil && !logs.isEmpty { throw .usage("--pgaudit-sink and --pgaudit-log are alternatives; give one") }
        if logs.filter({ $0 == "-" }).count > 1 { throw .usage("--pgaudit-log - (standard input) can be given once") }
        for log in logs where log != "-" { // a FIFO or /dev/zero would be read without end (docs/limits.md)
            do { if let (fd, _) = try RegularFile.open(log, what: "--pgaudit-log", missingIsNil: true) { close(fd) } } catch { throw AttestError(error) }
        }
        if logs.contains("-") && isatty(0) != 0 {
            throw .usage("--pgaudit-log - reads standard input, which is a terminal; pipe the export in (aggregator-cli ... | attest collect --pgaudit-log -)")
        }
        for (given, path) in zip(arguments.all(Self.pgauditLog), logs) where path != "-" {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
                throw .usage("--pgaudit-log '\(given)': no such file")
            }
        }
        out = arguments[Self.out].map { CollectCommand.absolute($0, context.workingDirectory) }
        force = arguments[Self.force]
        json = arguments[Self.json]
    }

    static func absolute(_ path: String, _ cwd: String) -> String {
        (Paths.resolve(path, against: cwd) as NSString).standardizingPath
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

        // Evidence holds personal data: git must ignore it. Checked before the database is asked;
        // a missing .gitignore line is written once the evidence is collected, before it is written.
        let repo = try? context.repository()
        let ignore = try repo.flatMap { r throws(AttestError) in try CollectCommand.ignoreNeeded(target, evidenceRoot: policy.evidenceRoot, repo: r) }

        let inputs = CollectInputs(quarter: quarter, window: schedule.window(for: quarter), asOf: asOf, policy: policy,
                                   documentRoot: documentRoot, pgauditLogs: logs, pgauditSink: sink)
        // Controls beyond the seven (docs/controls.md): every file is read and checked before
        // anything runs, and refused naming the file and line.
        let extras = try reporting { try ExtraControls.load(root: documentRoot, policy: policy) }
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

        if let ignore, let repo { try CollectCommand.addIgnore(ignore, repo: repo, err: context.err) }
        let results = try reporting {
            try EvidenceFolderWriter.write(quarter: quarter, asOf: asOf, collected: collected, to: target, force: force,
                                           tool: "attest \(AttestVersion.current)")
        }

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
                o.line("Step \(s.step)\(s.step < 10 ? " " : "") \(s.criterion.padding(toLength: 5, withPad: " ", startingAt: 0))  \(status)\(pad)  \(s.summary)")
                for f in Listing.bounded(s.findings.map(\.detail), noun: "findings", more: "; all are in \(s.evidenceFile) and results.json") { o.line("        - \(f)") }
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

    /// What git must ignore so that the evidence folder `target` stays out of it: nil when
    /// `target` is outside the working tree or already ignored (`git check-ignore`'s rules,
    /// read through libgit2), else the .gitignore line to add: `/<evidenceRoot>/`, or for an
    /// `--out` folder elsewhere in the tree `/<its path>/`. Checked on every run. Refused, before
    /// anything is collected, when git already tracks files in it (docs/collect.md, "Keeping
    /// evidence out of git").
    static func ignoreNeeded(_ target: String, evidenceRoot: String, repo: Repository) throws(AttestError) -> (entry: String, folder: String, top: String)? {
        guard let workdir = repo.workdir else { return nil }
        func real(_ p: String) -> String { ((p as NSString).resolvingSymlinksInPath as NSString).standardizingPath }
        let top = real(workdir)
        // The folder may not exist yet: resolve its nearest existing ancestor.
        var folder = (target as NSString).standardizingPath, tail: [String] = []
        while !FileManager.default.fileExists(atPath: folder) && folder != "/" {
            tail.insert((folder as NSString).lastPathComponent, at: 0)
            folder = (folder as NSString).deletingLastPathComponent
        }
        folder = ([real(folder)] + tail).joined(separator: "/")
        guard folder.hasPrefix(top + "/") else { return nil } // outside the working tree: nothing for git to commit
        let relative = String(folder.dropFirst(top.count + 1))
        let root = evidenceRoot.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        // The folder the .gitignore line covers: the evidence root, or the --out folder.
        let scope = relative == root || relative.hasPrefix(root + "/") ? root : relative
        let tracked: String?
        do { tracked = try repo.trackedFile(under: scope) } catch { throw .environment("cannot read the index: \(error.message)") }
        if let tracked {
            throw .failed("git tracks \(tracked) in the evidence folder \(scope): evidence holds personal data and stays out of git. Untrack it with 'git rm -r --cached \(scope)' and commit (it stays in earlier commits: ask whoever owns the repository whether history must be rewritten); nothing was collected")
        }
        if try isIgnored(relative, repo: repo) { return nil }
        return ("/\(scope)/", relative, top)
    }

    static func isIgnored(_ relative: String, repo: Repository) throws(AttestError) -> Bool {
        do { return try repo.isIgnored(relative + "/") } catch { throw .environment("cannot read git's ignore rules: \(error.message); nothing was written") }
    }

    /// Appends the line to the top-level .gitignore and checks git now ignores the folder;
    /// stops (the evidence not written) when the file cannot be written or a later rule
    /// still un-ignores the folder.
    static func addIgnore(_ need: (entry: String, folder: String, top: String), repo: Repository, err: Output) throws(AttestError) {
        let path = need.top + "/.gitignore"
        var existing = ""
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .environment("cannot read \(path), so \(need.folder) cannot be kept out of git; add the line '\(need.entry)' to it yourself and collect again; the evidence was not written")
            }
            existing = String(decoding: data, as: UTF8.self)
        }
        let text = existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "\(need.entry)\n"
        // 0666 under the umask: the mode a new .gitignore gets from any editor.
        do { try AtomicFile(mode: 0o666, umasked: true).write(text, to: path) } catch {
            throw .environment("cannot write \(path) (\(error.reason)), so \(need.folder) cannot be kept out of git; add the line '\(need.entry)' to it yourself and collect again; the evidence was not written")
        }
        guard try isIgnored(need.folder, repo: repo) else {
            throw .failed("\(need.folder) is still not ignored by git after adding '\(need.entry)' to .gitignore: a rule un-ignores it ('git check-ignore -v --no-index \(need.folder)/SHA256SUMS' names it). Remove that rule and collect again; the evidence was not written")
        }
        err.line("added '\(need.entry)' to .gitignore: the evidence holds personal data and stays out of git (commit .gitignore)")
    }
}
