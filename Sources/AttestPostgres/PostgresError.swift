/// A libpq failure: the server's (or libpq's) own message and, when the server sent one,
/// the SQLSTATE. The description never carries a password or a conninfo string.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached or refused the session (exit 3 in the CLI).
        case connection
        /// A statement failed; `sqlstate` says why (`42P01` undefined table, `57014` timeout, …).
        case query
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server gave one.
    public let sqlstate: String?
    /// The primary message, redacted of any password.
    public let message: String
    public let detail: String?
    public let hint: String?
    /// The 1-based character position in the statement the server's error points at, when given.
    public var position: Int? = nil

    public var description: String {
        var s = message
        if let sqlstate { s += " (SQLSTATE \(sqlstate))" }
        if let detail { s += "; \(detail)" }
        if let hint { s += "; hint: \(hint)" }
        return s
    }

    /// `42P01`: the statement names a table that does not exist.
    public var isUndefinedTable: Bool { sqlstate == "42P01" }
    /// `42703`: the statement names a column that does not exist.
    public var isUndefinedColumn: Bool { sqlstate == "42703" }
}
