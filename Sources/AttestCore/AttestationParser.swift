import Foundation

extension AttestationDocument {
    /// The three tables the facts live in (docs/attestation-log/README.md). Their header rows
    /// must be written exactly like this; everything outside them is prose and is not read.
    public enum Table {
        public static let fields = ["Field", "Value"]
        public static let steps = ["Step", "Control", "AICPA ref", "Status", "Evidence SHA-256"]
        public static let findings = ["Step", "Finding", "Issue", "Resolved"]
        /// Optional (issue #20): the controls beyond the runbook's seven.
        public static let controls = ["Step", "Control id", "Source", "On finding", "SQL SHA-256"]
        /// The rows of the fields table, in the order the default template writes them.
        public static let fieldNames = ["Quarter", "Window opens", "Window closes", "Operator", "Operator email",
                                        "Date", "Result", "Evidence manifest SHA-256"]
    }

    /// Reads an attestation file strictly, as a markdown viewer renders it: the tables are the
    /// tables cmark-gfm renders (`MarkdownOutline`, read by AttestMarkdown), and a cell's value is
    /// the text the viewer displays. `path` is used in messages (`path:line: …`) and, when its file
    /// name is `YYYY-QN.md`, must agree with the Quarter field.
    ///
    /// Refused, naming the line: a NUL byte; invalid UTF-8 (read as U+FFFD); HTML (a block, a
    /// comment, an inline tag other than `<br>`), which viewers hide or change; a line written like
    /// a known table header that the viewer does not show as a table (in a code block, a quote, an
    /// indented block, without its delimiter row); a table whose header looks like a known one
    /// (case, spacing, look-alike letters) without being it; a formatted cell (emphasis,
    /// strikethrough, an image) in a known table; a known table whose row is malformed; a table or
    /// field missing or given twice; an unknown field; a value that does not read (a quarter, an
    /// instant, a date, a result, a status, a digest, an issue reference, yes/no).
    public static func parse(_ text: String, path: String) throws(AttestError) -> AttestationDocument {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        var p = Parser(path: path, lines: lines)
        try p.checkCharacters()
        p.outline = try MarkdownOutline.read(text)
        return try p.parse()
    }
}

private struct Parser {
    let path: String
    let lines: [String]
    var outline = MarkdownOutline(tables: [], html: [])
    typealias Table = AttestationDocument.Table

    struct Row { let line: Int; let cells: [String] }

    func fail(_ line: Int?, _ message: String) -> AttestError {
        .failed("\(path)\(line.map { ":\($0)" } ?? ""): \(message)")
    }

    static let known: [(name: String, header: [String])] = [("fields", Table.fields), ("steps", Table.steps), ("findings", Table.findings), ("controls", Table.controls)]

    /// NUL bytes and invalid UTF-8 (which every reader of the file's bytes decodes as U+FFFD).
    func checkCharacters() throws(AttestError) {
        for (i, line) in lines.enumerated() {
            if line.unicodeScalars.contains("\u{0}") {
                throw fail(i + 1, "a NUL byte; an attestation file is UTF-8 text: remove it (re-render with 'attest render --force')")
            }
            if line.unicodeScalars.contains("\u{FFFD}") {
                throw fail(i + 1, "invalid UTF-8 (or the replacement character U+FFFD); an attestation file is UTF-8 text: save it as UTF-8")
            }
        }
    }

    /// Cyrillic and Greek letters a reader takes for Latin ones.
    static let lookAlike: [Character: Character] = [
        "а": "a", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "о": "o", "р": "p", "ѕ": "s", "ԁ": "d",
        "х": "x", "у": "y", "ԛ": "q", "ԝ": "w", "ѵ": "v", "ɡ": "g", "ⅼ": "l", "ı": "i",
        "α": "a", "ε": "e", "ι": "i", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "ν": "v", "κ": "k", "η": "n",
    ]

    /// Folds what a reader's eye does not tell apart: case, spacing and punctuation, compatibility
    /// forms, and the look-alike letters.
    static func skeleton(_ s: String) -> String {
        let folded = s.precomposedStringWithCompatibilityMapping.lowercased()
        return String(folded.compactMap { c -> Character? in
            if let l = lookAlike[c] { return l }
            return c.isLetter || c.isNumber ? c : nil
        })
    }

    mutating func parse() throws(AttestError) -> AttestationDocument {
        if let h = outline.html.first {
            throw fail(h.line, "\(h.kind.rawValue) ('\(h.excerpt)'); markdown viewers hide or change what HTML holds, so the signed file carries none: remove it (a line break inside a table cell is written <br>)")
        }
        var tables: [String: (header: Int, rows: [Row])] = [:]
        let expected = "expected '| \(Table.steps.joined(separator: " | ")) |', '| \(Table.findings.joined(separator: " | ")) |', '| \(Table.controls.joined(separator: " | ")) |' or '| \(Table.fields.joined(separator: " | ")) |' (see docs/attestation-log/README.md)"
        let knownSkeletons = Set(Self.known.map { Self.skeleton($0.header.joined()) })
        for table in outline.tables {
            let cells = table.header.map(\.text)
            let source = table.line <= lines.count ? lines[table.line - 1].trimmingCharacters(in: .whitespaces) : cells.joined(separator: " | ")
            guard let (name, header) = Self.known.first(where: { $0.header == cells }) else {
                let first = Self.skeleton(cells.first ?? "")
                if first == "step" || first == "field" || knownSkeletons.contains(Self.skeleton(cells.joined())) {
                    throw fail(table.line, "table header '\(source)' is not one the attestation format knows; \(expected)")
                }
                continue // some other table: not read
            }
            if let earlier = tables[name] {
                throw fail(table.line, "a second \(name) table; the first is at line \(earlier.header); keep one")
            }
            var rows: [Row] = []
            for (rowLine, rendered) in [(table.line, table.header)] + table.rows.map({ ($0.line, $0.cells) }) {
                if let i = rendered.firstIndex(where: { $0.formatting != nil }) {
                    throw fail(rowLine, "cell \(i + 1) of this \(name) table row is formatted (\(rendered[i].formatting!)); attest reads the text a viewer shows, so a cell holds plain text: remove the formatting, or write the character literally as '\\*', '\\_', '\\~'")
                }
                guard rowLine != table.line else { continue }
                let line = rowLine <= lines.count ? lines[rowLine - 1] : ""
                guard let sourceCells = MarkdownCell.splitRow(line) else {
                    throw fail(rowLine, "this \(name) table row does not end with '|'; write a literal '|' inside a cell as '\\|'")
                }
                guard sourceCells.count == header.count else {
                    throw fail(rowLine, "this \(name) table row has \(sourceCells.count) cells; expected \(header.count) (\(header.joined(separator: " | "))); write a literal '|' inside a cell as '\\|'")
                }
                rows.append(Row(line: rowLine, cells: rendered.map(\.text)))
            }
            tables[name] = (table.line, rows)
        }
        // A line written like a known header that the viewer does not show as that table.
        let headerLines = Set(outline.tables.map(\.line))
        for (i, line) in lines.enumerated() where !headerLines.contains(i + 1) {
            guard let cells = MarkdownCell.splitRow(line)?.map(MarkdownCell.unescape),
                  let (name, header) = Self.known.first(where: { $0.header == cells }) else { continue }
            guard i + 1 < lines.count, MarkdownCell.isDelimiterRow(lines[i + 1], count: header.count) else {
                throw fail(i + 2, "the \(name) table's header must be followed by a delimiter row of \(header.count) cells, such as '|\(Array(repeating: "---|", count: header.count).joined())'")
            }
            throw fail(i + 1, "this line is written like the \(name) table's header, but a markdown viewer does not show it as a table (it is inside a code block, a quote, a list or an indented block); keep the three tables at the top level of the file, and no copy of them elsewhere")
        }
        var lines = AttestationDocument.SourceLines()
        guard let fieldsTable = tables["fields"] else {
            throw fail(nil, "no fields table ('| Field | Value |'); this is not an attestation file, or its header was edited (see docs/attestation-log/README.md)")
        }
        guard let stepsTable = tables["steps"] else {
            throw fail(nil, "no steps table ('| \(Table.steps.joined(separator: " | ")) |'); its header was edited or removed (see docs/attestation-log/README.md)")
        }
        guard let findingsTable = tables["findings"] else {
            throw fail(nil, "no findings table ('| \(Table.findings.joined(separator: " | ")) |'); keep it, even with no rows (see docs/attestation-log/README.md)")
        }
        lines.stepsTable = stepsTable.header
        lines.findingsTable = findingsTable.header

        // Fields.
        var fields: [String: (line: Int, value: String)] = [:]
        for row in fieldsTable.rows {
            let name = row.cells[0]
            guard Table.fieldNames.contains(name) else {
                throw fail(row.line, "unknown field '\(name)'; the fields are \(Table.fieldNames.joined(separator: ", "))")
            }
            if let earlier = fields[name] { throw fail(row.line, "field '\(name)' is given twice (also line \(earlier.line))") }
            fields[name] = (row.line, row.cells[1])
            lines.fields[name] = row.line
        }
        func field(_ name: String) throws(AttestError) -> (line: Int, value: String) {
            guard let f = fields[name] else { throw fail(fieldsTable.header, "the fields table has no '\(name)' row") }
            return f
        }
        let q = try field("Quarter")
        let quarter: Quarter
        do { quarter = try Quarter(parsing: q.value) } catch { throw fail(q.line, "Quarter: \(error.description)") }
        let fileName = (path as NSString).lastPathComponent
        if fileName.hasSuffix(".md"), let named = try? Quarter(parsing: String(fileName.dropLast(3))), named != quarter {
            throw fail(q.line, "the file is named for \(named) but its Quarter field says \(quarter); rename the file or fix the field")
        }
        func instant(_ name: String) throws(AttestError) -> Date {
            let f = try field(name)
            guard let d = UTC.parseInstant(f.value), f.value.count > 10 else {
                throw fail(f.line, "\(name) '\(f.value)' is not a UTC instant such as 2026-09-26T00:00:00Z")
            }
            return d
        }
        let opens = try instant("Window opens"), closes = try instant("Window closes")
        let op = try field("Operator"), email = try field("Operator email")
        guard !op.value.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(op.line, "Operator is empty") }
        let date = try field("Date")
        guard date.value.count == 10, UTC.parseInstant(date.value) != nil else {
            throw fail(date.line, "Date '\(date.value)' is not a date such as 2026-10-03")
        }
        let r = try field("Result")
        guard let result = OverallResult(rawValue: r.value) else {
            throw fail(r.line, "Result '\(r.value)' is not clean, qualified or blocked")
        }
        let m = try field("Evidence manifest SHA-256")
        let manifest = Self.digest(m.value)
        guard Hex.isSHA256(manifest) else {
            throw fail(m.line, "Evidence manifest SHA-256 '\(m.value)' is not 64 lowercase hex digits")
        }

        // Controls beyond the seven (optional table).
        var controls: [DocumentControl] = []
        if let controlsTable = tables["controls"] {
            lines.controlsTable = controlsTable.header
            for row in controlsTable.rows {
                let c = row.cells
                guard let n = Self.stepNumber(c[0]), n > 7 else {
                    throw fail(row.line, "control step '\(c[0])' is not a step number from 8 to \(Catalogue.maxStep) (steps 1 to 7 are the runbook's)")
                }
                if let earlier = lines.controls[n] { throw fail(row.line, "control step \(n) is listed twice (also line \(earlier))") }
                guard !c[1].isEmpty, !c[2].isEmpty else { throw fail(row.line, "control step \(n) has no control id or no source") }
                guard let on = OnFinding(rawValue: c[3]) else { throw fail(row.line, "control step \(n): On finding '\(c[3])' must be issue or block") }
                let digest = Self.digest(c[4])
                guard digest.isEmpty || Hex.isSHA256(digest) else {
                    throw fail(row.line, "control step \(n): SQL SHA-256 '\(c[4])' is not 64 lowercase hex digits")
                }
                controls.append(DocumentControl(step: n, id: c[1], source: c[2], onFinding: on, sqlSHA256: digest))
                lines.controls[n] = row.line
            }
        }
        let maxStep = controls.isEmpty ? 7 : Catalogue.maxStep

        // Steps.
        var steps: [DocumentStep] = []
        for row in stepsTable.rows {
            let c = row.cells
            guard let n = Self.stepNumber(c[0]), n <= maxStep else {
                throw fail(row.line, "step '\(c[0])' is not a step number from 1 to 7\(controls.isEmpty ? " (steps 8 and on need the controls table)" : " or a step of the controls table")")
            }
            if let earlier = lines.steps[n] { throw fail(row.line, "step \(n) is listed twice (also line \(earlier))") }
            guard let status = StepStatus(rawValue: c[3]) else {
                throw fail(row.line, "step \(n): status '\(c[3])' is not pass, finding or error")
            }
            let digest = Self.digest(c[4])
            guard digest.isEmpty || Hex.isSHA256(digest) else {
                throw fail(row.line, "step \(n): evidence SHA-256 '\(c[4])' is not 64 lowercase hex digits")
            }
            steps.append(DocumentStep(step: n, criterion: c[2], name: c[1], status: status, evidenceSHA256: digest))
            lines.steps[n] = row.line
        }

        // Findings.
        var findings: [DocumentFinding] = []
        for row in findingsTable.rows {
            let c = row.cells
            guard let n = Self.stepNumber(c[0]), n <= maxStep else {
                throw fail(row.line, "finding step '\(c[0])' is not a step number from 1 to 7\(controls.isEmpty ? "" : " or a step of the controls table")")
            }
            guard !c[1].trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(row.line, "the step \(n) finding has no text") }
            let issue: String? = c[2].isEmpty ? nil : c[2]
            if let issue, !IssueReference.isValid(issue) {
                throw fail(row.line, "step \(n): issue '\(issue)' is not an issue reference; write #123, owner/repo#123 or an issue URL")
            }
            let resolved: Bool
            switch c[3] {
            case "yes": resolved = true
            case "no": resolved = false
            default: throw fail(row.line, "step \(n): Resolved '\(c[3])' must be yes or no")
            }
            findings.append(DocumentFinding(step: n, detail: c[1], issue: issue, resolved: resolved))
            lines.findings.append(row.line)
        }

        return AttestationDocument(quarter: quarter, windowOpens: opens, windowCloses: closes, operatorName: op.value,
                                   operatorEmail: email.value, date: date.value, steps: steps, findings: findings,
                                   result: result, manifestSHA256: manifest, controls: controls, lines: lines)
    }

    /// `1` to `99`, written without leading zeros.
    static func stepNumber(_ cell: String) -> Int? {
        guard let n = Int(cell), (1...Catalogue.maxStep).contains(n), String(n) == cell else { return nil }
        return n
    }

    /// A digest cell may be shown as code: `` `abc…` ``.
    static func digest(_ cell: String) -> String {
        if cell.count >= 2, cell.hasPrefix("`"), cell.hasSuffix("`") { return String(cell.dropFirst().dropLast()) }
        return cell
    }
}
