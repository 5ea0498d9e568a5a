import Foundation
import AttestCore
import AttestCrypto
import AttestPostgres

/// The controls beyond the runbook's seven that one collect runs: the catalogue, the parsed
/// control files, and the departures list when CC6.3 is in force.
public struct ExtraControls: Sendable {
    public var catalogue: Catalogue
    public var files: [ControlFile]
    /// The departures list, read before anything runs; nil when CC6.3 is not in force.
    public var departures: [Departure]?

    public init(catalogue: Catalogue = Catalogue(), files: [ControlFile] = [], departures: [Departure]? = nil) {
        self.catalogue = catalogue; self.files = files; self.departures = departures
    }

    public static let none = ExtraControls()

    /// The catalogue from control files and whether the departures list exists: CC6.3 is step 8
    /// while the list exists, the files are steps 9 and on in byte order of their names. The
    /// same function builds the catalogue of the working tree and of any commit.
    public static func catalogue(files: [(path: String, bytes: Data)], departuresPresent: Bool) throws(ControlFileError) -> (Catalogue, [ControlFile]) {
        var controls: [CatalogueControl] = departuresPresent ? [Catalogue.deprovisioning] : []
        var parsed: [ControlFile] = []
        let sorted = files.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        guard sorted.count <= Catalogue.maxStep - Catalogue.firstFileStep + 1 else {
            throw ControlFileError(path: sorted[0].path, line: nil, message: "more than \(Catalogue.maxStep - Catalogue.firstFileStep + 1) control files")
        }
        for (i, f) in sorted.enumerated() {
            let digest: String
            do { digest = try AttestCrypto.SHA256.hex(of: f.bytes) } catch { throw ControlFileError(path: f.path, line: nil, message: "SHA-256 failed: \(error)") }
            let c = try ControlFile.parse(f.bytes, path: f.path, known: ControlParameters.names, sha256: digest)
            if let other = parsed.first(where: { $0.id == c.id }) {
                throw ControlFileError(path: f.path, line: 1, message: "control \(c.id) is also the id of \(other.path); give each control file its own id")
            }
            let builtInFiles = Controls.all.map(\.evidenceFile) + [Catalogue.deprovisioning.evidenceFile]
            if builtInFiles.contains(c.evidenceFile) || parsed.contains(where: { $0.evidenceFile == c.evidenceFile }) {
                throw ControlFileError(path: f.path, line: nil, message: "evidence file \(c.evidenceFile) is already written by another control; name another")
            }
            parsed.append(c)
            controls.append(CatalogueControl(step: Catalogue.firstFileStep + i, id: c.id, criterion: c.criterion, title: c.title,
                                             evidenceFile: c.evidenceFile, onFinding: c.onFinding, source: c.path, sqlSHA256: c.sha256))
        }
        return (Catalogue(controls: controls), parsed)
    }

    /// The catalogue of a working tree at `root`: `<controls.folder>/*.sql` (not recursive) and
    /// the departures list (read and checked when it exists).
    public static func load(root: String, policy: Policy) throws(ExtraControlsError) -> ExtraControls {
        let folder = root + "/" + policy.controlsFolder
        var files: [(String, Data)] = []
        if let names = try? FileManager.default.contentsOfDirectory(atPath: folder) {
            for name in names where name.hasSuffix(".sql") {
                guard let data = FileManager.default.contents(atPath: folder + "/" + name) else {
                    throw .unreadable(path: "\(policy.controlsFolder)/\(name)")
                }
                files.append((policy.controlsFolder + "/" + name, data))
            }
        }
        let departuresPresent = FileManager.default.fileExists(atPath: root + "/" + policy.departuresFile)
        let (catalogue, parsed): (Catalogue, [ControlFile])
        do { (catalogue, parsed) = try ExtraControls.catalogue(files: files, departuresPresent: departuresPresent) } catch {
            throw .controlFile(error)
        }
        var departures: [Departure]?
        if departuresPresent {
            do { departures = try DeparturesList.load(policy.departuresFile, root: root) } catch {
                throw .departures(error)
            }
        }
        return ExtraControls(catalogue: catalogue, files: parsed, departures: departures)
    }
}

/// Control files against the database: checked before anything runs, then run in the
/// collect's snapshot.
public enum ControlFileRunner {
    /// Parses and analyses every file's statement on the server (Parse and Describe, nothing
    /// executed) inside a read-only transaction that is rolled back, and, with `explain`, runs
    /// `EXPLAIN` of it. A syntax error, an unknown table or column, a parameter of unknown type
    /// or a result without `status`, `reason` and `resource` is refused naming the file and line.
    public static func validate(_ files: [ControlFile], connection: Connection, inputs: CollectInputs? = nil,
                                explain: Bool = false) throws(ControlFileError) -> [String: String] {
        var plans: [String: String] = [:]
        func fail(_ f: ControlFile, _ e: PostgresError) -> ControlFileError {
            ControlFileError(path: f.path, line: e.position.map(f.line(ofPosition:)) ?? f.sqlFirstLine, message: "the server refuses the statement: \(e.description)")
        }
        do { try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") } catch {
            throw ControlFileError(path: files.first?.path ?? "controls", line: nil, message: "cannot start a read-only transaction: \(error.description)")
        }
        defer { try? connection.execute("ROLLBACK") }
        for f in files {
            let columns: [String]
            do { columns = try connection.prepare(f.sql, parameterCount: f.parameterNames.count) } catch { throw fail(f, error) }
            let missing = ["status", "reason", "resource"].filter { !columns.contains($0) }
            if !columns.isEmpty && !missing.isEmpty {
                throw ControlFileError(path: f.path, line: f.sqlFirstLine, message: "the query returns no \(missing.joined(separator: ", ")) column; each row needs status (ok, alarm, info, skip, error), reason and resource")
            }
            if explain {
                let values = inputs.map(ControlParameters.values)
                let params: [String?] = f.parameterNames.map { values?[$0] }
                do {
                    try connection.execute("SAVEPOINT attest_explain")
                    let rows = try connection.query("EXPLAIN " + f.sql, params)
                    plans[f.path] = rows.values.compactMap { $0.first ?? nil }.joined(separator: "\n")
                    try connection.execute("ROLLBACK TO SAVEPOINT attest_explain")
                } catch {
                    if error.sqlstate == "42601" || error.sqlstate == "25006" {
                        // EXPLAIN takes only row statements: a CREATE is refused here, and at collect it fails read-only.
                        plans[f.path] = "not explainable: \(error.message)"
                        try? connection.execute("ROLLBACK TO SAVEPOINT attest_explain")
                        continue
                    }
                    throw fail(f, error)
                }
            }
        }
        return plans
    }

    static let statuses = ["ok", "alarm", "info", "skip", "error"]

    /// Runs the controls beyond the seven in the shared session, each under its own savepoint.
    static func run(_ extras: ExtraControls, _ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> [ExtraOutcome] {
        var out: [ExtraOutcome] = []
        let values = ControlParameters.values(inputs)
        for c in extras.catalogue.controls {
            if c.isBuiltIn {
                out.append(ExtraOutcome(control: c, outcome: try Step8Deprovisioning.run(inputs, departures: extras.departures ?? [], session: session), sqlCopy: nil))
                continue
            }
            guard let f = extras.files.first(where: { $0.path == c.source }) else { continue }
            let params = f.parameterNames.map { values[$0] ?? "" }
            let outcome = try session.step(c.step, sql: f.sql, parameters: params) {
                try evaluate(f, step: c.step, rows: session.connection.query(f.sql, params), parameters: params)
            }
            out.append(ExtraOutcome(control: c, outcome: outcome, sqlCopy: ((f.path as NSString).lastPathComponent, f.bytes)))
        }
        return out
    }

    /// Powerpipe's convention: an `error` row (or a status outside the five) makes the control
    /// `error`; any `alarm` row is a finding (`resource: reason`); no rows is `error` unless the
    /// header says `empty: pass`.
    static func evaluate(_ f: ControlFile, step: Int, rows: Rows, parameters: [String]) throws -> StepOutcome {
        for col in ["status", "reason", "resource"] where !rows.columns.contains(col) {
            throw StepQueryError(message: "\(f.path): the statement returned no \(col) column (it returned \(rows.columns.isEmpty ? "no rows" : rows.columns.joined(separator: ", ")))")
        }
        let evidence = CSV.header(rows.columns) + CSV.table(rows)
        if rows.isEmpty {
            if f.emptyPasses {
                return StepOutcome(step: step, status: .pass, summary: "no rows (empty: pass)", sql: f.sql, parameters: parameters, evidence: evidence)
            }
            return StepOutcome(step: step, status: .error, summary: "error: \(f.path): the query returned no rows; a control must return at least one row, or say '-- empty: pass'",
                               sql: f.sql, parameters: parameters, evidence: evidence)
        }
        var findings: [String] = [], errors: [String] = []
        var counts: [String: Int] = [:]
        for r in rows.all {
            let status = r.text("status") ?? ""
            let what = "\(r.text("resource") ?? "(no resource)"): \(r.text("reason") ?? "(no reason)")"
            guard statuses.contains(status) else { errors.append("status '\(status)' is not ok, alarm, info, skip or error (\(what))"); continue }
            counts[status, default: 0] += 1
            if status == "alarm" { findings.append(what) }
            if status == "error" { errors.append(what) }
        }
        if !errors.isEmpty {
            return StepOutcome(step: step, status: .error, summary: "error: " + English.count(errors.count, "error row") + ": " + errors.prefix(5).joined(separator: "; "),
                               sql: f.sql, parameters: parameters, rowCount: rows.count, evidence: evidence)
        }
        let tally = statuses.compactMap { s in counts[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        var o = StepOutcome.judged(step, findings: findings, pass: "\(English.count(rows.count, "row")): \(tally)", sql: f.sql,
                                   parameters: parameters, rowCount: rows.count, evidence: evidence)
        if !findings.isEmpty { o.summary += " (\(tally))" }
        return o
    }
}

/// One control beyond the seven, as run: its catalogue entry, its outcome, and the SQL file
/// copied into the evidence folder (file controls only).
public struct ExtraOutcome: Sendable {
    public let control: CatalogueControl
    public let outcome: StepOutcome
    public let sqlCopy: (name: String, bytes: Data)?
}
