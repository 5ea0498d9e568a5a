import Foundation
internal import CLibPQ

/// One PostgreSQL session through libpq. The `PGconn` is owned here and closed in `deinit`.
///
/// Statements go through `PQexecParams` only, so values are always bound parameters and a
/// statement string can never carry a second statement.
public final class Connection: @unchecked Sendable {
    private let conn: OpaquePointer
    /// Strings that must never appear in a message (the password, when one was given).
    private let secrets: [String]

    /// Connects with a conninfo string or URI; when nil, `ATTEST_DATABASE_URL`, and when that
    /// is unset too, libpq's own environment (`PGHOST`, `PGSERVICE`, `~/.pgpass`, …).
    public init(conninfo: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresError) {
        let info = conninfo ?? environment["ATTEST_DATABASE_URL"] ?? ""
        let secrets = Connection.passwords(in: info)
        guard let c = PQconnectdb(info) else {
            throw PostgresError(kind: .connection, sqlstate: nil, message: "libpq could not allocate a connection", detail: nil, hint: nil)
        }
        guard PQstatus(c) == CONNECTION_OK else {
            let raw = PQerrorMessage(c).map { String(cString: $0) } ?? "unknown error"
            PQfinish(c)
            throw PostgresError(kind: .connection, sqlstate: nil,
                                message: Connection.redact(raw.trimmingCharacters(in: .whitespacesAndNewlines), secrets: secrets, conninfo: info),
                                detail: nil, hint: nil)
        }
        self.conn = c
        self.secrets = secrets
        // Instants travel as ISO text in UTC whatever the server's defaults are.
        try execute("SET TimeZone = 'UTC'")
        try execute("SET DateStyle = 'ISO, YMD'")
        try execute("SET IntervalStyle = 'iso_8601'")
    }

    deinit { PQfinish(conn) }

    /// Runs one statement with bound parameters (`$1`, `$2`, …; nil binds SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> Rows {
        let result: OpaquePointer? = withCStrings(parameters) { ptrs in
            PQexecParams(conn, sql, Int32(parameters.count), nil, ptrs, nil, nil, 0)
        }
        return try rows(of: result)
    }

    private func rows(of result: OpaquePointer?) throws(PostgresError) -> Rows {
        guard let result else {
            throw PostgresError(kind: .query, sqlstate: nil, message: lastMessage(), detail: nil, hint: nil)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            func field(_ code: Int32) -> String? {
                PQresultErrorField(result, code).map { redact(String(cString: $0)) }
            }
            let primary = field(Int32(UInt8(ascii: "M"))) ?? redact(String(cString: PQresultErrorMessage(result)))
            throw PostgresError(kind: PQstatus(conn) == CONNECTION_OK ? .query : .connection,
                                sqlstate: field(Int32(UInt8(ascii: "C"))), message: primary,
                                detail: field(Int32(UInt8(ascii: "D"))), hint: field(Int32(UInt8(ascii: "H"))),
                                position: field(Int32(UInt8(ascii: "P"))).flatMap { Int($0) })
        }
        return Rows(result: result)
    }

    /// Parses and analyses one statement without running it (the extended protocol's Parse and
    /// Describe, as the unnamed prepared statement) and returns its result columns. A syntax
    /// error, an unknown table or column, or a parameter whose type cannot be inferred fails
    /// here; nothing is executed.
    public func prepare(_ sql: String, parameterCount: Int) throws(PostgresError) -> [String] {
        _ = try rows(of: PQprepare(conn, "", sql, Int32(parameterCount), nil))
        return try rows(of: PQdescribePrepared(conn, "")).columns
    }

    /// Runs one statement whose parameters are all declared `text` (OID 25), so a statement
    /// may leave some of a shared parameter list unused and casts what it uses (`$2::timestamptz`).
    /// Several statements of one step can then share one recorded parameter list.
    @discardableResult
    public func query(_ sql: String, textParameters parameters: [String?]) throws(PostgresError) -> Rows {
        let types = [Oid](repeating: 25, count: parameters.count)
        let result: OpaquePointer? = withCStrings(parameters) { ptrs in
            types.withUnsafeBufferPointer { t in
                PQexecParams(conn, sql, Int32(parameters.count), parameters.isEmpty ? nil : t.baseAddress, ptrs, nil, nil, 0)
            }
        }
        return try rows(of: result)
    }

    /// A statement without parameters or rows (`BEGIN …`, `SET …`).
    public func execute(_ sql: String) throws(PostgresError) {
        try query(sql)
    }

    /// Who answered, without secrets.
    public var serverVersion: String {
        let v = Int(PQserverVersion(conn))
        return v >= 100000 ? "\(v / 10000).\(v % 10000)" : "\(v / 10000).\((v / 100) % 100).\(v % 100)"
    }
    public var database: String { PQdb(conn).map { String(cString: $0) } ?? "" }
    public var user: String { PQuser(conn).map { String(cString: $0) } ?? "" }
    public var host: String { PQhost(conn).map { String(cString: $0) } ?? "" }

    private func lastMessage() -> String {
        redact(PQerrorMessage(conn).map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown error")
    }

    private func redact(_ s: String) -> String { Connection.redact(s, secrets: secrets, conninfo: "") }

    /// Removes every password from a message: the parsed password values, and any
    /// `password=…` or `user:pass@` shape that libpq may echo from a malformed conninfo.
    static func redact(_ message: String, secrets: [String], conninfo: String) -> String {
        var s = message
        for secret in secrets where !secret.isEmpty { s = s.replacingOccurrences(of: secret, with: "***") }
        if let re = try? NSRegularExpression(pattern: #"(password\s*=\s*)('[^']*'|\S+)"#, options: [.caseInsensitive]) {
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "$1***")
        }
        if let re = try? NSRegularExpression(pattern: #"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@"#, options: [.caseInsensitive]) {
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "$1***@")
        }
        return s
    }

    /// The password values a conninfo string or URI carries.
    static func passwords(in conninfo: String) -> [String] {
        var found: [String] = []
        var err: UnsafeMutablePointer<CChar>?
        if let opts = PQconninfoParse(conninfo, &err) {
            var p = opts
            while let kw = p.pointee.keyword {
                if String(cString: kw) == "password", let v = p.pointee.val { found.append(String(cString: v)) }
                p += 1
            }
            PQconninfoFree(opts)
        }
        if let err { PQfreemem(err) }
        return found
    }
}

private func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { owned.forEach { free($0) } }
    return owned.withUnsafeMutableBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) { body(strings.isEmpty ? nil : $0) }
    }
}
