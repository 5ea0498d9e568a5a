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

    /// Reads an attestation file strictly. `path` is used in messages (`path:line: …`) and, when
    /// its file name is `YYYY-QN.md`, must agree with the Quarter field.
    ///
    /// Refused, naming the line: a known table whose header, delimiter row or a row is malformed;
    /// a table header starting with `Step` or `Field` that is not one of the known headers; a
    /// table or field missing or given twice; an unknown field; a value that does not read (a
    /// quarter, an instant, a date, a result, a status, a digest, an issue reference, yes/no).
    public static func parse(_ text: String, path: String) throws(AttestError) -> AttestationDocument {
        var p = Parser(path: path, lines: text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init))
        return try p.parse()
    }
}

private struct Parser {
    let path: String
    let lines: [String]
    typealias Table = AttestationDocument.Table

    struct Row { let line: Int; let cells: [String] }

    func fail(_ line: Int?, _ message: String) -> AttestError {
        .failed("\(path)\(line.map { ":\($0)" } ?? ""): \(message)")
    }

    mutating func parse() throws(AttestError) -> AttestationDocument {
        var tables: [String: (header: Int, rows: [Row])] = [:]
        var i = 0
        var inFence = false
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle(); i += 1; continue }
            guard !inFence, let cells = MarkdownCell.splitRow(line) else { i += 1; continue }
            let known: (String, [String])? = [("fields", Table.fields), ("steps", Table.steps), ("findings", Table.findings), ("controls", Table.controls)]
                .first { $0.1 == cells }
            guard let (name, header) = known else {
                if cells.first == "Step" || cells.first == "Field" {
                    throw fail(i + 1, "table header '\(trimmed)' is not one the attestation format knows; expected '| \(Table.steps.joined(separator: " | ")) |', '| \(Table.findings.joined(separator: " | ")) |', '| \(Table.controls.joined(separator: " | ")) |' or '| \(Table.fields.joined(separator: " | ")) |' (see docs/attestation-log/README.md)")
                }
                // Some other table: skip all of it.
                i += 1
                while i < lines.count, MarkdownCell.splitRow(lines[i]) != nil { i += 1 }
                continue
            }
            if let earlier = tables[name] {
                throw fail(i + 1, "a second \(name) table; the first is at line \(earlier.header); keep one")
            }
            guard i + 1 < lines.count, MarkdownCell.isDelimiterRow(lines[i + 1], count: header.count) else {
                throw fail(i + 2, "the \(name) table's header must be followed by a delimiter row of \(header.count) cells, such as '|\(Array(repeating: "---|", count: header.count).joined())'")
            }
            var rows: [Row] = []
            var j = i + 2
            while j < lines.count, lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                guard let rowCells = MarkdownCell.splitRow(lines[j]) else {
                    throw fail(j + 1, "this \(name) table row does not end with '|'; write a literal '|' inside a cell as '\\|'")
                }
                guard rowCells.count == header.count else {
                    throw fail(j + 1, "this \(name) table row has \(rowCells.count) cells; expected \(header.count) (\(header.joined(separator: " | "))); write a literal '|' inside a cell as '\\|'")
                }
                rows.append(Row(line: j + 1, cells: rowCells))
                j += 1
            }
            tables[name] = (i + 1, rows)
            i = j
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
            let name = MarkdownCell.unescape(row.cells[0])
            guard Table.fieldNames.contains(name) else {
                throw fail(row.line, "unknown field '\(name)'; the fields are \(Table.fieldNames.joined(separator: ", "))")
            }
            if let earlier = fields[name] { throw fail(row.line, "field '\(name)' is given twice (also line \(earlier.line))") }
            fields[name] = (row.line, MarkdownCell.unescape(row.cells[1]))
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
                let c = row.cells.map(MarkdownCell.unescape)
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
            let c = row.cells.map(MarkdownCell.unescape)
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
            steps.append(DocumentStep(step: n, control: c[2], aicpa: c[1], status: status, evidenceSHA256: digest))
            lines.steps[n] = row.line
        }

        // Findings.
        var findings: [DocumentFinding] = []
        for row in findingsTable.rows {
            let c = row.cells.map(MarkdownCell.unescape)
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
