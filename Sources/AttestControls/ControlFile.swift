import Foundation
import AttestCore

/// A control written as a SQL file in the repository (issue #20, docs/controls.md).
///
/// The file starts with a header of `-- key: value` lines; the first line that is not a `--`
/// comment ends it. The rest is one SQL statement whose rows follow Powerpipe's convention
/// (`status`, `reason`, `resource`). Named parameters (`:as_of`) are turned into bound
/// parameters (`$1`) outside string literals, quoted identifiers and comments; their values are
/// never spliced into the text.
///
/// ```sql
/// -- control: X1.1
/// -- criterion: CC6.1
/// -- title: No stale service sessions
/// -- evidence: X1.1-stale-sessions.csv
/// -- on-finding: issue
/// SELECT CASE WHEN last_seen < :lookback_start THEN 'alarm' ELSE 'ok' END AS status, ...
/// ```
public struct ControlFile: Sendable, Equatable {
    /// The path in the repository (`controls/x1-stale.sql`), used in every message.
    public let path: String
    public let id: String
    public let criterion: String
    public let title: String
    public let evidenceFile: String
    public let onFinding: OnFinding
    /// An empty result passes (`empty: pass`); by default it is `error`.
    public let emptyPasses: Bool
    /// The file's bytes, exactly.
    public let bytes: Data
    public let sha256: String
    /// The statement with `$1`, `$2`, … in place of the named parameters.
    public let sql: String
    /// The parameter names, in `$n` order.
    public let parameterNames: [String]
    /// The 1-based line of the statement's first character in the file (for server errors).
    public let sqlFirstLine: Int

    public static let headerKeys = ["control", "criterion", "title", "evidence", "on-finding", "empty"]
    static let requiredKeys = ["control", "criterion", "title", "evidence", "on-finding"]

    /// Reads a control file. `known` are the parameter names that may be used.
    public static func parse(_ bytes: Data, path: String, known: Set<String>, sha256: String) throws(ControlFileError) -> ControlFile {
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw ControlFileError(path: path, line: nil, message: "is not UTF-8 text")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var header: [String: (value: String, line: Int)] = [:]
        var i = 0
        while i < lines.count {
            var line = Substring(lines[i])
            if line.hasSuffix("\r") { line = line.dropLast() }
            guard line.hasPrefix("--") else { break }
            let n = i + 1
            let content = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            guard let colon = content.firstIndex(of: ":") else {
                throw ControlFileError(path: path, line: n, message: "header line '\(line)' is not '-- key: value'; the header is the leading '--' lines (keys: \(headerKeys.joined(separator: ", "))); put a blank line before other comments")
            }
            let key = content[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard headerKeys.contains(key) else {
                throw ControlFileError(path: path, line: n, message: "unknown header key '\(key)'; the keys are \(headerKeys.joined(separator: ", "))")
            }
            if let earlier = header[key] {
                throw ControlFileError(path: path, line: n, message: "header key '\(key)' is given twice (also line \(earlier.line))")
            }
            guard !value.isEmpty else { throw ControlFileError(path: path, line: n, message: "header key '\(key)' has no value") }
            header[key] = (value, n)
            i += 1
        }
        for k in requiredKeys where header[k] == nil {
            throw ControlFileError(path: path, line: i + 1, message: "the header has no '\(k):' line; every control file needs \(requiredKeys.map { "'-- \($0):'" }.joined(separator: ", ")) (docs/controls.md)")
        }
        func v(_ k: String) -> (value: String, line: Int) { header[k]! }
        let id = v("control")
        guard Self.isName(id.value) else {
            throw ControlFileError(path: path, line: id.line, message: "control '\(id.value)' is not an id such as X1.1 (letters, digits, '.', '-', '_')")
        }
        let criterion = v("criterion")
        guard Self.isName(criterion.value) else {
            throw ControlFileError(path: path, line: criterion.line, message: "criterion '\(criterion.value)' is not an AICPA criterion such as CC6.1")
        }
        let title = v("title")
        guard !title.value.contains("|") else {
            throw ControlFileError(path: path, line: title.line, message: "the title may not contain '|' (it goes into the document's steps table)")
        }
        let evidence = v("evidence")
        guard Self.isName(evidence.value), !evidence.value.hasSuffix(".sql"),
              ![EvidenceFolderWriter.sumsFile, EvidenceFolderWriter.resultsFile].contains(evidence.value) else {
            throw ControlFileError(path: path, line: evidence.line, message: "evidence '\(evidence.value)' is not a file name for the evidence folder (letters, digits, '.', '-', '_'; not .sql, SHA256SUMS or results.json), such as X1.1-stale-sessions.csv")
        }
        let of = v("on-finding")
        guard let onFinding = OnFinding(rawValue: of.value) else {
            throw ControlFileError(path: path, line: of.line, message: "on-finding '\(of.value)' must be issue (a finding needs a linked issue) or block (a finding blocks signing until resolved)")
        }
        var emptyPasses = false
        if let e = header["empty"] {
            switch e.value {
            case "pass": emptyPasses = true
            case "error": emptyPasses = false
            default: throw ControlFileError(path: path, line: e.line, message: "empty '\(e.value)' must be pass or error")
            }
        }
        let bodyLines = lines[i...].map(String.init)
        let body = bodyLines.joined(separator: "\n")
        let translated = try Self.translate(body, path: path, firstLine: i + 1, known: known)
        guard !translated.sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ControlFileError(path: path, line: i + 1, message: "no SQL statement after the header")
        }
        return ControlFile(path: path, id: id.value, criterion: criterion.value, title: title.value, evidenceFile: evidence.value,
                           onFinding: onFinding, emptyPasses: emptyPasses, bytes: bytes, sha256: sha256, sql: translated.sql,
                           parameterNames: translated.names, sqlFirstLine: i + 1)
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.utf8.first, isAlnum(f), s.utf8.count <= 100 else { return false }
        return s.utf8.allSatisfy { isAlnum($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }
    static func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }

    /// `:name` → `$n` outside literals, quoted identifiers, dollar quotes and comments; `::` (a
    /// cast) is left alone. An unknown name, an unterminated literal or comment, and a `$n`
    /// written by hand are refused, naming the line.
    static func translate(_ body: String, path: String, firstLine: Int, known: Set<String>) throws(ControlFileError) -> (sql: String, names: [String]) {
        let b = Array(body.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var names: [String] = []
        var line = firstLine
        var i = 0
        func isIdentStart(_ c: UInt8) -> Bool { c == 0x5F || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c >= 0x80 }
        func isIdent(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 0x30 && c <= 0x39) }
        func copy(until end: Int) { for k in i..<end { if b[k] == 0x0A { line += 1 }; out.append(b[k]) }; i = end }
        while i < b.count {
            let c = b[i]
            let next: UInt8? = i + 1 < b.count ? b[i + 1] : nil
            if c == 0x2D && next == 0x2D { // -- comment
                var j = i; while j < b.count && b[j] != 0x0A { j += 1 }
                copy(until: j); continue
            }
            if c == 0x2F && next == 0x2A { // /* nested */
                let start = line
                var depth = 0, j = i
                repeat {
                    if j + 1 < b.count && b[j] == 0x2F && b[j + 1] == 0x2A { depth += 1; j += 2 }
                    else if j + 1 < b.count && b[j] == 0x2A && b[j + 1] == 0x2F { depth -= 1; j += 2 }
                    else if j < b.count { j += 1 }
                    else { throw ControlFileError(path: path, line: start, message: "a /* comment is never closed") }
                } while depth > 0
                copy(until: j); continue
            }
            if c == 0x27 || c == 0x22 { // 'literal' or "identifier", doubled quote escapes; E'' allows backslashes
                let escapes = c == 0x27 && i > 0 && (b[i - 1] | 0x20) == 0x65 && (i < 2 || !isIdent(b[i - 2]))
                let start = line
                var j = i + 1
                while true {
                    guard j < b.count else { throw ControlFileError(path: path, line: start, message: "a \(c == 0x27 ? "string literal" : "quoted identifier") is never closed") }
                    if escapes && b[j] == 0x5C { j += 2; continue }
                    if b[j] == c { if j + 1 < b.count && b[j + 1] == c { j += 2; continue }; j += 1; break }
                    j += 1
                }
                copy(until: min(j, b.count)); continue
            }
            if c == 0x24 && (i == 0 || !isIdent(b[i - 1])) { // $tag$ … $tag$, or $n
                var j = i + 1
                while j < b.count && isIdent(b[j]) && !(b[j] >= 0x30 && b[j] <= 0x39 && j == i + 1) { j += 1 }
                if j < b.count && b[j] == 0x24 {
                    let tag = Array(b[i...j])
                    let start = line
                    var k = j + 1
                    while k + tag.count <= b.count && Array(b[k..<(k + tag.count)]) != tag { k += 1 }
                    guard k + tag.count <= b.count else { throw ControlFileError(path: path, line: start, message: "a dollar-quoted string \(String(decoding: tag, as: UTF8.self)) is never closed") }
                    copy(until: k + tag.count); continue
                }
                if let d = next, d >= 0x30 && d <= 0x39 {
                    throw ControlFileError(path: path, line: line, message: "positional parameter '$\(Character(UnicodeScalar(d)))…' written by hand; use a named parameter such as :as_of (docs/controls.md lists them)")
                }
            }
            if c == 0x3A { // :name, but not ::
                if next == 0x3A { out.append(0x3A); out.append(0x3A); i += 2; continue }
                if let n = next, isIdentStart(n), i == 0 || b[i - 1] != 0x3A {
                    var j = i + 1; while j < b.count && isIdent(b[j]) { j += 1 }
                    let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                    guard known.contains(name) else {
                        throw ControlFileError(path: path, line: line, message: "unknown parameter ':\(name)'; the parameters are \(known.sorted().map { ":" + $0 }.joined(separator: ", "))")
                    }
                    let index = (names.firstIndex(of: name) ?? { names.append(name); return names.count - 1 }()) + 1
                    out.append(contentsOf: Array("$\(index)".utf8))
                    i = j; continue
                }
            }
            if c == 0x0A { line += 1 }
            out.append(c); i += 1
        }
        return (String(decoding: out, as: UTF8.self), names)
    }

    /// The file line of a 1-based character position the server reported in `sql`. `$n` is
    /// never longer than the `:name` it replaced, so lines are counted on the translated text.
    public func line(ofPosition position: Int) -> Int {
        var line = sqlFirstLine
        for (k, ch) in sql.enumerated() where k < position - 1 { if ch == "\n" { line += 1 } }
        return line
    }
}

/// A control file that cannot be used: the file, the line when there is one, and why.
public struct ControlFileError: Error, Sendable, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let message: String
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

/// The named parameters a control file may use and their values for one collect.
public enum ControlParameters {
    /// `as_of`, `lookback_start`, `quarter_start`, `quarter_end` and every policy key as
    /// `section_key` (`controls_complianceRole`).
    public static func values(_ inputs: CollectInputs) -> [String: String] {
        var v: [String: String] = [
            "as_of": inputs.asOf.sqlParameter,
            "lookback_start": inputs.spanStart.sqlParameter,
            "quarter_start": start(inputs.quarter).sqlParameter,
            "quarter_end": start(inputs.quarter.next).sqlParameter,
        ]
        for k in Policy.keys { v[policyName(k.name)] = k.current(inputs.policy) }
        return v
    }

    /// The parameter names, without values (for checking files without a collect).
    public static var names: Set<String> {
        Set(["as_of", "lookback_start", "quarter_start", "quarter_end"] + Policy.keys.map { policyName($0.name) })
    }

    /// 00:00:00 UTC on the quarter's first day.
    static func start(_ q: Quarter) -> Date { UTC.date(year: q.year, month: q.firstMonth, day: 1) }

    static func policyName(_ key: String) -> String { key.replacingOccurrences(of: ".", with: "_") }
}
