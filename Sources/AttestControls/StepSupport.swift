import Foundation
import AttestCore
import AttestPostgres
import AttestCrypto

/// Everything one run of the seven steps shares: the instant all spans are computed from,
/// the quarter's window, the policy, where the repository documents live, and the session.
public struct CollectInputs: Sendable {
    public let quarter: Quarter
    public let window: Window
    /// The one instant every "last 90 days", "7 years" and "current month" is computed from.
    public let asOf: Date
    public let policy: Policy
    /// Repository documents (memo, change and maintenance windows) are read relative to this.
    public let documentRoot: String
    /// `--pgaudit-log` files, in the order given.
    public let pgauditLogs: [String]
    /// `--pgaudit-sink` conninfo: step 6 runs on the log sink's database instead of files.
    public let pgauditSink: String?

    public init(quarter: Quarter, window: Window, asOf: Date, policy: Policy, documentRoot: String, pgauditLogs: [String],
                pgauditSink: String? = nil) {
        self.quarter = quarter; self.window = window; self.asOf = asOf; self.policy = policy
        self.documentRoot = documentRoot; self.pgauditLogs = pgauditLogs; self.pgauditSink = pgauditSink
    }

    /// `as_of - lookbackDays`: the start of "the last 90 days".
    public var spanStart: Date { asOf.addingTimeInterval(-Double(policy.lookbackDays) * 86400) }

    /// 00:00 UTC on the first day of the month that contains `spanStart`: month rules look at
    /// whole calendar months, so queries for them start here.
    public var firstMonthStart: Date {
        let p = UTC.components(spanStart)
        return UTC.date(year: p.year, month: p.month, day: 1)
    }

    /// The calendar months that overlap the span, except the month of `as_of` (still running):
    /// each as its first instant and the first instant of the next month.
    public var completedMonths: [(start: Date, end: Date)] {
        let last = UTC.components(asOf)
        let asOfMonth = UTC.date(year: last.year, month: last.month, day: 1)
        var out: [(Date, Date)] = []
        var m = firstMonthStart
        while m < asOfMonth {
            let p = UTC.components(m)
            let next = p.month == 12 ? UTC.date(year: p.year + 1, month: 1, day: 1) : UTC.date(year: p.year, month: p.month + 1, day: 1)
            out.append((m, next))
            m = next
        }
        return out
    }

    func path(_ relative: String) -> String { documentRoot + "/" + relative }
}

/// What one step produced: its number, its verdict and its evidence file, before the file is
/// written. The collector and the evidence writer go by `step`, never by position.
public struct StepOutcome: Sendable {
    /// The runbook step, 1 to 7.
    public var step: Int
    public var status: StepStatus
    public var summary: String
    /// The findings, each with its withheld form and row reference where it names a person.
    public var details: [StepFinding]
    public var sql: String
    public var parameters: [String]
    public var rowCount: Int
    public var evidence: Data

    public init(step: Int, status: StepStatus, summary: String, details: [StepFinding] = [], sql: String = "", parameters: [String] = [],
                rowCount: Int = 0, evidence: Data) {
        self.step = step; self.status = status; self.summary = summary; self.details = details; self.sql = sql
        self.parameters = parameters; self.rowCount = rowCount; self.evidence = evidence
    }

    /// The findings in full (with names and email addresses: evidence only).
    public var findings: [String] { details.map(\.detail) }

    /// `pass` when there are no findings, otherwise `finding` with a summary that only counts
    /// them (`1 finding`, `2 findings`): each finding is said once, in `findings`.
    static func judged(_ step: Int, details: [StepFinding], pass: String, sql: String, parameters: [String], rowCount: Int,
                       evidence: Data) -> StepOutcome {
        StepOutcome(step: step, status: details.isEmpty ? .pass : .finding,
                    summary: details.isEmpty ? pass : English.count(details.count, "finding"),
                    details: details, sql: sql, parameters: parameters, rowCount: rowCount, evidence: evidence)
    }

    /// `judged` for findings that name no person (runs, days, retention bounds).
    static func judged(_ step: Int, findings: [String], pass: String, sql: String, parameters: [String], rowCount: Int,
                       evidence: Data) -> StepOutcome {
        judged(step, details: findings.map(StepFinding.init(detail:)), pass: pass, sql: sql, parameters: parameters,
               rowCount: rowCount, evidence: evidence)
    }

    /// A step that could not be evaluated. Its evidence file says why, so the folder is complete.
    static func error(_ step: Int, _ reason: String, sql: String = "", parameters: [String] = []) -> StepOutcome {
        var text = "# Step \(step): not evaluated\n# error: \(reason)\n"
        if !sql.isEmpty { text += "#\n# SQL:\n" + sql.split(separator: "\n", omittingEmptySubsequences: false).map { "#   \($0)" }.joined(separator: "\n") + "\n" }
        return StepOutcome(step: step, status: .error, summary: "error: \(reason)", sql: sql, parameters: parameters, rowCount: 0,
                           evidence: Data(text.utf8))
    }
}

/// A step's evidence file as it is built, so a finding can name the line where the row it is
/// about starts and that row's SHA-256 (`StepFinding.evidenceLine`): the committed attestation
/// file points at the row instead of repeating the names in it.
struct EvidenceBuilder {
    private(set) var data = Data()
    /// Line ends written so far: the next byte is on line `lineEnds + 1`.
    private var lineEnds = 0

    init() {}
    init(_ head: Data) { append(head) }

    mutating func append(_ d: Data) {
        lineEnds += d.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 }
        data += d
    }

    mutating func append(_ s: String) { append(Data(s.utf8)) }

    /// Appends one row (its bytes end with a line end) and says where it is.
    mutating func row(_ d: Data) throws(StepQueryError) -> (line: Int, sha256: String) {
        let digest: String
        do { digest = try AttestCrypto.SHA256.hex(of: d) } catch {
            throw StepQueryError(message: "cannot compute the SHA-256 of an evidence row: \(error)")
        }
        let line = lineEnds + 1
        append(d)
        return (line, digest)
    }
}

extension StepFinding {
    /// A finding about one evidence row: `detail` in full, `withheld` without the personal data,
    /// and where the row is.
    init(detail: String, withheld: String, row: (line: Int, sha256: String)) {
        self.init(detail: detail, withheld: withheld, evidenceLine: row.line, evidenceLineSHA256: row.sha256)
    }
}

/// A step's rows decoded once into the step's own struct: every column the step reads is
/// checked against the result's columns before any row is judged, so a misspelt or missing
/// column (in the SQL or in the database) makes the step `error` naming the step and the column,
/// and a NULL where the step needs a value is an error naming the row, never a `?` in a finding.
struct StepRows {
    let step: Int
    /// The query's name in the evidence file (`group_members`, `direct_grants`, …).
    let query: String
    let rows: Rows
    private let index: [String: Int]

    init(step: Int, query: String, rows: Rows, columns: [String]) throws(StepQueryError) {
        self.step = step; self.query = query; self.rows = rows
        var index: [String: Int] = [:]
        for (i, c) in rows.columns.enumerated() where index[c] == nil { index[c] = i }
        for c in columns where index[c] == nil {
            throw StepQueryError(message: "step \(step) reads column \(c), which the \(query) query does not return (it returns \(rows.columns.isEmpty ? "no column" : rows.columns.joined(separator: ", "))); the step's SQL and its reading of the rows disagree: report it with this evidence file")
        }
        self.index = index
    }

    var count: Int { rows.count }
    var isEmpty: Bool { rows.isEmpty }

    /// Each row decoded by `body`, in the query's order.
    func decode<T>(_ body: (Cells) throws(StepQueryError) -> T) throws(StepQueryError) -> [T] {
        var out: [T] = []
        out.reserveCapacity(rows.count)
        for (i, v) in rows.values.enumerated() { out.append(try body(Cells(rows: self, number: i + 1, values: v))) }
        return out
    }

    /// One row's values by column name; the names were checked when the rows were decoded.
    struct Cells {
        let rows: StepRows
        /// 1-based, in the query's order.
        let number: Int
        /// The row's values, in the query's column order (as the evidence file writes them).
        let values: [String?]

        private func at(_ column: String) -> Int {
            guard let i = rows.index[column] else { preconditionFailure("step \(rows.step) reads \(column) without declaring it") }
            return i
        }

        /// A column's text, nil for SQL NULL.
        func text(_ column: String) -> String? { values[at(column)] }

        /// A column that must not be NULL.
        func required(_ column: String) throws(StepQueryError) -> String {
            guard let v = text(column) else {
                throw StepQueryError(message: "column \(column) is NULL in row \(number) of the \(rows.query) query, where step \(rows.step) needs a value")
            }
            return v
        }

        /// A timestamptz column that must hold a time.
        func instant(_ column: String) throws(StepQueryError) -> Date {
            let t = try required(column)
            guard let d = PgTime.parse(t) else {
                throw StepQueryError(message: "column \(column) holds '\(t)' in row \(number) of the \(rows.query) query, not a timestamp")
            }
            return d
        }

        /// A timestamptz column that may be NULL, but not anything else.
        func optionalInstant(_ column: String) throws(StepQueryError) -> Date? {
            guard text(column) != nil else { return nil }
            return try instant(column)
        }
    }
}

/// A statement of a step failed: the step is `error` with the server's reason (which names
/// the missing table or column); a lost connection ends the whole run.
struct StepQueryError: Error {
    let message: String
}

/// Runs a step's statements inside the shared read-only transaction. Each step runs under its
/// own savepoint, so a missing table makes only that step `error` and the next step still
/// sees the same snapshot.
public final class StepSession {
    let connection: Connection
    private var savepoint = 0

    public init(connection: Connection) { self.connection = connection }

    /// Runs `body` under a savepoint; a query error rolls back to it and becomes the step's
    /// `error` outcome, a connection error is rethrown.
    func step(_ number: Int, sql: String, parameters: [String], _ body: () throws -> StepOutcome) throws(PostgresError) -> StepOutcome {
        savepoint += 1
        let name = "attest_step_\(savepoint)"
        try connection.execute("SAVEPOINT \(name)")
        do {
            let outcome = try body()
            try connection.execute("RELEASE SAVEPOINT \(name)")
            return outcome
        } catch let e as PostgresError {
            if e.kind == .connection { throw e }
            try connection.execute("ROLLBACK TO SAVEPOINT \(name)")
            return .error(number, "query failed: \(e.description)", sql: sql, parameters: parameters)
        } catch let e as StepQueryError {
            try connection.execute("ROLLBACK TO SAVEPOINT \(name)")
            return .error(number, e.message, sql: sql, parameters: parameters)
        } catch {
            try connection.execute("ROLLBACK TO SAVEPOINT \(name)")
            return .error(number, "\(error)", sql: sql, parameters: parameters)
        }
    }

    /// One statement with the step's shared (text-typed) parameter list.
    func rows(_ sql: String, _ parameters: [String]) throws(PostgresError) -> Rows {
        try connection.query(sql, textParameters: parameters)
    }
}

/// SQL text helpers. Values are always bound parameters; only identifiers from policy (the
/// audited table) are spliced, and only after quoting.
enum SQLText {
    /// `schema.table` → `"schema"."table"`, each part double-quoted with `"` doubled.
    static func quotedIdentifier(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false)
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: ".")
    }

    /// A LIKE pattern matching `prefix` literally, followed by anything.
    static func likePrefix(_ prefix: String) -> String {
        var s = ""
        for c in prefix {
            if c == "\\" || c == "%" || c == "_" { s.append("\\") }
            s.append(c)
        }
        return s + "%"
    }

    /// Several statements of one step, as recorded in results.json: separated by blank lines.
    static func joined(_ statements: [String]) -> String { statements.joined(separator: "\n\n") }
}

/// RFC 4180 CSV: CRLF-free (LF line ends, as `psql --csv` writes), fields quoted when they
/// hold a comma, quote, line break or surrounding space; SQL NULL is an empty field.
enum CSV {
    static func field(_ v: String?) -> String {
        guard let v else { return "" }
        let u = v.utf8
        guard let first = u.first, let last = u.last else { return v }
        let needs = first == 0x20 || last == 0x20 || u.contains { $0 == 0x2c || $0 == 0x22 || $0 == 0x0a || $0 == 0x0d }
        return needs ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
    }

    static func line(_ fields: [String?]) -> String { fields.map(field).joined(separator: ",") + "\n" }

    /// Rows as CSV lines. With `source`, a first column names the query each row came from.
    /// Built on bytes: a step may return many thousands of rows.
    static func table(_ rows: Rows, source: String? = nil) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 96)
        for r in rows.values {
            var first = true
            if let source { append(source, to: &out); first = false }
            for v in r {
                if !first { out.append(0x2c) }
                first = false
                if let v { append(v, to: &out) }
            }
            out.append(0x0a)
        }
        return Data(out)
    }

    private static func append(_ v: String, to out: inout [UInt8]) {
        let u = v.utf8
        guard let first = u.first, let last = u.last else { return }
        if first == 0x20 || last == 0x20 || u.contains(where: { $0 == 0x2c || $0 == 0x22 || $0 == 0x0a || $0 == 0x0d }) {
            out.append(0x22)
            for b in u { if b == 0x22 { out.append(0x22) }; out.append(b) }
            out.append(0x22)
        } else {
            out.append(contentsOf: u)
        }
    }

    static func header(_ columns: [String], source: Bool = false) -> Data {
        Data(line((source ? ["query"] : []) + columns).utf8)
    }
}

extension Date {
    /// The ISO-8601 UTC form bound to SQL parameters (`2026-04-03T12:00:00Z`), with
    /// milliseconds when the instant has them.
    var sqlParameter: String {
        let whole = timeIntervalSince1970.rounded(.down)
        let ms = Int(((timeIntervalSince1970 - whole) * 1000).rounded())
        let base = UTC.iso(Date(timeIntervalSince1970: whole))
        return ms == 0 ? base : String(base.dropLast()) + String(format: ".%03dZ", ms)
    }
}

/// PostgreSQL's ISO output of `timestamptz` (`2026-04-01 02:30:00.25+00`), parsed on bytes with
/// calendar arithmetic: a step may read many thousands of rows, and Foundation's calendar costs
/// microseconds per value. Anything unusual falls back to `UTC.parseInstant`.
/// PostgreSQL's timestamp text, through AttestPostgres's parser; any other ISO-8601 form through
/// AttestCore's.
enum PgTime {
    static func parse(_ text: String) -> Date? { Row.parseTimestamp(text) ?? UTC.parseInstant(text) }
}

/// Leading and trailing spaces and tabs removed, without Foundation (called once per row).
func trimmedBlanks(_ s: String) -> String {
    let u = s.utf8
    guard let f = u.first, let l = u.last, f == 0x20 || f == 0x09 || l == 0x20 || l == 0x09 else { return s }
    let bytes = Array(u)
    var a = 0, b = bytes.count
    while a < b && (bytes[a] == 0x20 || bytes[a] == 0x09) { a += 1 }
    while b > a && (bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09) { b -= 1 }
    return String(decoding: bytes[a..<b], as: UTF8.self)
}
