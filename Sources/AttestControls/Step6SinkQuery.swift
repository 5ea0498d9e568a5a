import Foundation
import AttestCore
import AttestPostgres

/// Step 6 where the logs live in a database (`--pgaudit-sink CONNINFO`): one SQL statement with
/// window functions, in a `READ ONLY` transaction on the sink, returns only the per-day counts
/// and the gaps over the limit; the same rule and evidence as the file path then apply.
///
/// The query shape comes from policy (`sink.table`, `sink.timeColumn`, `sink.messageColumn`,
/// optionally `sink.classColumn` and `sink.objectColumn`). Identifiers are validated and
/// double-quoted; every value (span, table name, limit) is a bound parameter.
enum Step6SinkQuery {
    struct BadIdentifier: Error { let message: String }

    /// `schema.table` or `column`: non-empty parts of at most 63 bytes, no NUL, then quoted.
    static func identifier(_ key: String, _ value: String, qualified: Bool) throws(BadIdentifier) -> String {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard !value.isEmpty, parts.count <= (qualified ? 2 : 1),
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && !$0.contains("\0") }) else {
            throw BadIdentifier(message: "\(key) = '\(value)' is not a valid \(qualified ? "[schema.]table" : "column") name; set it in .attestconfig")
        }
        return SQLText.quotedIdentifier(value)
    }

    /// The statement and its parameters ($1 span start, $2 as-of, $3 table name in lower case,
    /// $4 whether a schema prefix may precede it, $5 the name as a whole-word regex, $6 the
    /// span start in epoch seconds, $7 the gap limit in seconds).
    static func statement(_ p: Policy) throws(BadIdentifier) -> String {
        let table = try identifier("sink.table", p.sinkTable, qualified: true)
        let time = try identifier("sink.timeColumn", p.sinkTimeColumn, qualified: false)
        let message = try identifier("sink.messageColumn", p.sinkMessageColumn, qualified: false)
        let cls = p.sinkClassColumn.isEmpty ? "split_part(a, ',', 4)" : "l." + (try identifier("sink.classColumn", p.sinkClassColumn, qualified: false))
        let object = p.sinkObjectColumn.isEmpty ? "split_part(a, ',', 7)" : "coalesce(l." + (try identifier("sink.objectColumn", p.sinkObjectColumn, qualified: false)) + ", '')"
        return """
        WITH lines AS (
          SELECT l.*, floor(extract(epoch FROM l.\(time)::timestamptz))::bigint AS s,
                 substr(l.\(message), strpos(l.\(message), 'AUDIT: ') + 7) AS a
          FROM \(table) l
          WHERE l.\(time)::timestamptz >= $1::timestamptz AND l.\(time)::timestamptz <= $2::timestamptz
            AND strpos(l.\(message), 'AUDIT: ') > 0
        ), ev AS (
          SELECT s, lower(replace(\(object), '"', '')) AS o, a FROM lines
          WHERE split_part(a, ',', 1) IN ('SESSION', 'OBJECT') AND \(cls) = 'WRITE'
        ), hit AS (
          SELECT s FROM ev
          WHERE o = $3 OR ($4::boolean AND right(o, length($3) + 1) = '.' || $3) OR (o = '' AND a ~* $5)
        ), g AS (
          SELECT s, lag(s) OVER (ORDER BY s) AS prev FROM hit
        )
        SELECT 'day' AS kind, (s - $6::bigint) / 86400 AS a, count(*) AS b FROM hit GROUP BY 2
        UNION ALL
        SELECT 'gap', prev, s FROM g WHERE s - prev > $7::bigint
        UNION ALL
        SELECT 'ends', min(s), max(s) FROM hit
        """
    }

    static func run(_ inputs: CollectInputs, conninfo: String) -> StepOutcome {
        let p = inputs.policy
        let sql: String
        do { sql = try statement(p) } catch { return .error(6, error.message) }
        let spanStart = Step6PgAuditSink.spanStart(inputs)
        let asOf = Int64(inputs.asOf.timeIntervalSince1970.rounded(.down))
        let name = p.auditedTable.lowercased().replacingOccurrences(of: "\"", with: "")
        let word = "(^|[^a-z0-9_$])" + NSRegularExpression.escapedPattern(for: name) + "([^a-z0-9_$]|$)"
        let limit = Int64(p.maxLogGapHours) * 3600
        let params: [String] = [Date(timeIntervalSince1970: TimeInterval(spanStart)).sqlParameter, inputs.asOf.sqlParameter, name,
                                name.contains(".") ? "false" : "true", word, String(spanStart), String(limit)]
        let rows: Rows
        let where_: String
        do {
            let c = try Connection(conninfo: conninfo)
            where_ = "\(c.database) on \(c.host)"
            try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try c.query("SELECT set_config('statement_timeout', $1, true)", ["\(p.statementTimeoutSeconds)s"])
            rows = try c.query(sql, textParameters: params)
            try c.execute("COMMIT")
        } catch {
            return .error(6, "the log sink query failed: \(error.description); check --pgaudit-sink and the sink.* policy keys", sql: sql, parameters: params)
        }
        var perDay = [Int](repeating: 0, count: Int((asOf - spanStart) / 86400) + 1)
        var inner: [(from: Int64, to: Int64)] = []
        var first: Int64?, last: Int64?
        // The statement's own rows, decoded once: a column or a value that is not what the
        // statement returns is the step's error, never a silently skipped day.
        struct Line { let kind: String; let a: Int64?; let b: Int64? }
        let lines: [Line]
        do {
            lines = try StepRows(step: 6, query: "log sink", rows: rows, columns: ["kind", "a", "b"]).decode { c throws(StepQueryError) in
                func number(_ column: String) throws(StepQueryError) -> Int64? {
                    guard let t = c.text(column) else { return nil }
                    guard let n = Int64(t) else { throw StepQueryError(message: "column \(column) holds '\(t)' in row \(c.number) of the log sink query, not a whole number") }
                    return n
                }
                return Line(kind: try c.required("kind"), a: try number("a"), b: try number("b"))
            }
        } catch {
            return .error(6, error.message, sql: sql, parameters: params)
        }
        for r in lines {
            let a = r.a, b = r.b
            switch r.kind {
            case "day": if let a, let b, a >= 0, Int(a) < perDay.count { perDay[Int(a)] = Int(b) }
            case "gap": if let a, let b { inner.append((a, b)) }
            default: first = a; last = b
            }
        }
        let events = perDay.reduce(0, +)
        guard events > 0 else {
            return .error(6, "the log sink \(p.sinkTable) holds no pgaudit WRITE on \(p.auditedTable) in the span; check sink.table, sink.messageColumn and that the sink receives pgaudit's lines", sql: sql, parameters: params)
        }
        // The gaps from the span's start to the first event and from the last one to as-of,
        // as the file path measures them; an empty span is one gap.
        var gaps: [(from: Int64, to: Int64)] = []
        if let first, let last {
            if first - spanStart > limit { gaps.append((spanStart, first)) }
            gaps += inner.sorted { $0.from < $1.from }
            if asOf - last > limit { gaps.append((last, asOf)) }
        } else if asOf - spanStart > limit {
            gaps.append((spanStart, asOf))
        }
        let sources = "# source: log sink \(p.sinkTable) in \(where_) (one statement, read-only transaction; \(rows.count) rows fetched)\n"
            + "# counted events \(events)\n"
        let tally = Step6PgAuditSink.Tally(spanStart: spanStart, perDay: perDay, gaps: gaps, events: events, sources: sources,
                                           sql: sql, parameters: params)
        return Step6PgAuditSink.evaluate(inputs, tally)
    }
}
