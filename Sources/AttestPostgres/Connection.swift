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
    ///
    /// No part of the string is ever echoed (docs/collect.md, "Connection strings"): a string
    /// that libpq cannot parse is reported by the kind of mistake only, never with libpq's
    /// message (which quotes it); a connection failure gives libpq's message with every value
    /// the string set replaced by its keyword (`<host>`, `<password>`), so a password that a
    /// typo moved into another keyword is not shown either.
    public init(conninfo: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresError) {
        let info = conninfo ?? environment["ATTEST_DATABASE_URL"] ?? ""
        let given: [(keyword: String, value: String)]
        switch Connection.parse(info) {
        case .failure(let reason):
            throw PostgresError(kind: .connection, sqlstate: nil, message: reason, detail: nil, hint: nil)
        case .success(let values): given = values
        }
        let secrets = given.filter { $0.keyword == "password" }.map(\.value)
        guard let c = attest_PQconnectdb(info) else {
            throw PostgresError(kind: .connection, sqlstate: nil, message: "libpq could not allocate a connection", detail: nil, hint: nil)
        }
        guard attest_PQstatus(c) == CONNECTION_OK else {
            let raw = attest_PQerrorMessage(c).map { String(cString: $0) } ?? "unknown error"
            attest_PQfinish(c)
            throw PostgresError(kind: .connection, sqlstate: nil,
                                message: Connection.redact(Connection.withoutValues(raw.trimmingCharacters(in: .whitespacesAndNewlines), given),
                                                           secrets: secrets, conninfo: info),
                                detail: nil, hint: nil)
        }
        self.conn = c
        self.secrets = secrets
        // Instants travel as ISO text in UTC whatever the server's defaults are.
        try execute("SET TimeZone = 'UTC'")
        try execute("SET DateStyle = 'ISO, YMD'")
        try execute("SET IntervalStyle = 'iso_8601'")
    }

    enum Parsed {
        case success([(keyword: String, value: String)])
        case failure(String)
    }

    /// The keywords and values a conninfo string or URI sets (URI values percent-decoded), or,
    /// when libpq cannot parse it, a message naming the kind of mistake and how to write the
    /// string, with none of its tokens: libpq's own message is never passed on.
    static func parse(_ conninfo: String) -> Parsed {
        // libpq is opened when first needed (CLibPQ's shim): here, before any other call.
        if let why = attest_pq_open() {
            return .failure("libpq could not be loaded (\(String(cString: why))); install it with `apt-get install -y libpq5`")
        }
        var err: UnsafeMutablePointer<CChar>?
        guard let opts = attest_PQconninfoParse(conninfo, &err) else {
            let libpq = err.map { String(cString: $0) } ?? ""
            if let err { attest_PQfreemem(err) }
            return .failure(unparsable(libpq, uri: conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://")))
        }
        if let err { attest_PQfreemem(err) }
        defer { attest_PQconninfoFree(opts) }
        var found: [(keyword: String, value: String)] = []
        var p = opts
        while let kw = p.pointee.keyword {
            if let v = p.pointee.val { found.append((String(cString: kw), String(cString: v))) }
            p += 1
        }
        return .success(found)
    }

    /// Why a string does not parse, from the fixed start of libpq's message (its quoted parts,
    /// which are pieces of the string, are dropped with the rest of it).
    static func unparsable(_ libpq: String, uri: Bool) -> String {
        let kinds: [(String, String)] = [
            ("missing \"=\" after", "a word without '=' (a value with a space must be quoted: password='a b')"),
            ("unterminated quoted string", "an unterminated quoted value"),
            ("invalid connection option", "a keyword libpq does not know"),
            ("invalid percent-encoded token", "an invalid percent-encoding (% must be followed by two hex digits; % itself is %25)"),
            ("forbidden value %00", "%00 in a percent-encoded value"),
            ("invalid URI query parameter", "an unknown URI query parameter"),
            ("extra key/value separator", "two '=' in one URI query parameter"),
            ("unexpected spaces", "a space in the URI"),
            ("end of string reached when looking for matching", "an unclosed '[' in the URI host"),
            ("IPv6 host address may not be empty", "an empty '[]' host in the URI"),
            ("unexpected character", "an unexpected character in the URI host"),
            ("invalid URI propagated", "a URI that does not parse"),
        ]
        let kind = kinds.first { libpq.contains($0.0) }?.1 ?? "a mistake libpq cannot parse"
        let how = uri
            ? "write postgresql://user:password@host:port/dbname with the password percent-encoded (/ as %2F, @ as %40, : as %3A, % as %25)"
            : "write keyword=value pairs separated by spaces, quoting a value that holds spaces or quotes (password='it\\'s')"
        return "the connection string does not parse: \(kind). It is not shown, since it may hold a password; \(how)"
    }

    /// libpq's message with every value the connection string set replaced by `<keyword>`: the
    /// value, and each piece of it libpq or the server may quote alone (a host of a
    /// comma-separated list, a word of `options`, `key=value` halves), longest first. Pieces of
    /// one or two characters, which cannot hide a password's half, are left, unless they are
    /// the password.
    static func withoutValues(_ message: String, _ given: [(keyword: String, value: String)]) -> String {
        var pieces: [(text: String, keyword: String)] = []
        for (keyword, value) in given where !value.isEmpty {
            if keyword == "password" || value.count >= 3 { pieces.append((value, keyword)) }
            for part in value.split(whereSeparator: { ", \t\n=:;".contains($0) }) where part.count >= 3 { pieces.append((String(part), keyword)) }
        }
        var s = message
        for p in pieces.sorted(by: { $0.text.count > $1.text.count }) {
            s = s.replacingOccurrences(of: p.text, with: "<\(p.keyword)>")
        }
        return s
    }

    deinit { attest_PQfinish(conn) }

    /// Runs one statement with bound parameters (`$1`, `$2`, …; nil binds SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> Rows {
        let result: OpaquePointer? = withCStrings(parameters) { ptrs in
            attest_PQexecParams(conn, sql, Int32(parameters.count), nil, ptrs, nil, nil, 0)
        }
        return try rows(of: result)
    }

    private func rows(of result: OpaquePointer?) throws(PostgresError) -> Rows {
        guard let result else {
            throw PostgresError(kind: .query, sqlstate: nil, message: lastMessage(), detail: nil, hint: nil)
        }
        defer { attest_PQclear(result) }
        let status = attest_PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            func field(_ code: Int32) -> String? {
                attest_PQresultErrorField(result, code).map { redact(String(cString: $0)) }
            }
            let primary = field(Int32(UInt8(ascii: "M"))) ?? redact(String(cString: attest_PQresultErrorMessage(result)))
            throw PostgresError(kind: attest_PQstatus(conn) == CONNECTION_OK ? .query : .connection,
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
        _ = try rows(of: attest_PQprepare(conn, "", sql, Int32(parameterCount), nil))
        return try rows(of: attest_PQdescribePrepared(conn, "")).columns
    }

    /// Runs one statement whose parameters are all declared `text` (OID 25), so a statement
    /// may leave some of a shared parameter list unused and casts what it uses (`$2::timestamptz`).
    /// Several statements of one step can then share one recorded parameter list.
    @discardableResult
    public func query(_ sql: String, textParameters parameters: [String?]) throws(PostgresError) -> Rows {
        let types = [Oid](repeating: 25, count: parameters.count)
        let result: OpaquePointer? = withCStrings(parameters) { ptrs in
            types.withUnsafeBufferPointer { t in
                attest_PQexecParams(conn, sql, Int32(parameters.count), parameters.isEmpty ? nil : t.baseAddress, ptrs, nil, nil, 0)
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
        let v = Int(attest_PQserverVersion(conn))
        return v >= 100000 ? "\(v / 10000).\(v % 10000)" : "\(v / 10000).\((v / 100) % 100).\(v % 100)"
    }
    public var database: String { attest_PQdb(conn).map { String(cString: $0) } ?? "" }
    public var user: String { attest_PQuser(conn).map { String(cString: $0) } ?? "" }
    public var host: String { attest_PQhost(conn).map { String(cString: $0) } ?? "" }

    private func lastMessage() -> String {
        redact(attest_PQerrorMessage(conn).map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown error")
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
}

private func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { owned.forEach { free($0) } }
    return owned.withUnsafeMutableBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) { body(strings.isEmpty ? nil : $0) }
    }
}
