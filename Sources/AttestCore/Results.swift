import Foundation

/// A step's status (DESIGN.md §4.2). `error` means the step could not be evaluated, and is
/// never treated as `pass`.
public enum StepStatus: String, Codable, Sendable, CaseIterable { case pass, finding, error }

/// The overall result of a quarter: `clean` (seven passes), `qualified` (findings, each with a
/// linked issue, none blocking) or `blocked` (anything else). `attest sign` refuses `blocked`.
public enum OverallResult: String, Codable, Sendable, CaseIterable { case clean, qualified, blocked }

/// `results.json`, written by `collect` and read by `render` (docs/results-json.md).
public struct EvidenceResults: Codable, Sendable, Equatable {
    /// 2 (issue #20) when the quarter ran controls beyond the runbook's seven; a quarter of the
    /// seven only is still written as 1, which every reader keeps reading.
    public static let currentSchemaVersion = 2
    public static let supportedSchemaVersions = 1...2

    public var schemaVersion: Int
    public var quarter: Quarter
    /// ISO-8601 UTC: the one instant every "last 90 days" was computed from.
    public var asOf: String
    public var database: DatabaseIdentity
    /// `pg_export_snapshot()` of the read-only transaction all queries ran in.
    public var snapshotId: String
    public var steps: [StepResult]
    /// The attest version that wrote the file.
    public var tool: String

    public init(schemaVersion: Int = EvidenceResults.currentSchemaVersion, quarter: Quarter, asOf: String,
                database: DatabaseIdentity, snapshotId: String, steps: [StepResult], tool: String) {
        self.schemaVersion = schemaVersion; self.quarter = quarter; self.asOf = asOf; self.database = database
        self.snapshotId = snapshotId; self.steps = steps; self.tool = tool
    }
}

/// Who answered, without secrets: never a password, never a full conninfo.
public struct DatabaseIdentity: Codable, Sendable, Equatable {
    public var serverVersion: String
    public var database: String
    public var user: String
    public var host: String
    public init(serverVersion: String, database: String, user: String, host: String) {
        self.serverVersion = serverVersion; self.database = database; self.user = user; self.host = host
    }
}

public struct StepResult: Codable, Sendable, Equatable {
    public var step: Int
    /// The AICPA criterion, `CC6.1` (JSON key `control`, as written since schema version 1).
    public var criterion: String
    /// The runbook's name of the control (JSON key `aicpa`).
    public var name: String
    public var status: StepStatus
    public var summary: String
    public var findings: [StepFinding]
    /// The SQL text run, exactly (several statements are separated by blank lines).
    public var sql: String
    /// The bound parameters, as text, in order ($1, $2, …).
    public var parameters: [String]
    public var rowCount: Int
    public var evidenceFile: String
    /// SHA-256 of the evidence file, lowercase hex.
    public var sha256: String
    /// Schema 2, steps 8 and on only: the control's id (`X1.1`), `built-in` or the control
    /// file's path, what a finding needs, and for a file: its copy in the evidence folder and
    /// the SHA-256 of the file as run.
    public var controlId: String?
    public var source: String?
    public var onFinding: OnFinding?
    public var sqlFile: String?
    public var sqlSHA256: String?

    enum CodingKeys: String, CodingKey {
        case step, criterion = "control", name = "aicpa", status, summary, findings, sql, parameters, rowCount, evidenceFile, sha256
        case controlId, source, onFinding, sqlFile, sqlSHA256
    }

    public init(step: Int, criterion: String, name: String, status: StepStatus, summary: String, findings: [StepFinding],
                sql: String, parameters: [String], rowCount: Int, evidenceFile: String, sha256: String) {
        self.step = step; self.criterion = criterion; self.name = name; self.status = status; self.summary = summary
        self.findings = findings; self.sql = sql; self.parameters = parameters; self.rowCount = rowCount
        self.evidenceFile = evidenceFile; self.sha256 = sha256
    }
}

/// One finding of a step. `detail` says it in full, with the names and email addresses of the
/// rows it is about: it lives in `results.json`, inside the (git-ignored, sealed) evidence
/// folder, and is never committed. A finding about a row that holds personal data also says it
/// without them (`withheld`) and points at the row (`evidenceLine`, `evidenceLineSHA256`): that
/// form is what `attest render` writes into the committed attestation file (`committedText`).
public struct StepFinding: Codable, Sendable, Equatable {
    public var detail: String
    /// The finding without personal data (no email address, no user name); nil when `detail`
    /// holds none.
    public var withheld: String?
    /// The line of the step's evidence file where the row the finding is about starts (1-based,
    /// the header is line 1).
    public var evidenceLine: Int?
    /// SHA-256 of that row's bytes in the evidence file, its line end included
    /// (`sed -n 3p FILE | sha256sum` for a one-line row).
    public var evidenceLineSHA256: String?

    public init(detail: String) { self.detail = detail }

    public init(detail: String, withheld: String?, evidenceLine: Int?, evidenceLineSHA256: String?) {
        self.detail = detail; self.withheld = withheld
        self.evidenceLine = evidenceLine; self.evidenceLineSHA256 = evidenceLineSHA256
    }

    /// The text the committed attestation file carries (docs/render.md): the withheld form
    /// and its row reference, `… (evidence CC6.1-role-assignment.csv line 3, sha256
    /// 1a2b3c4d5e6f7a8b)`, or `detail` for a finding that names no person. Any email address
    /// still in it (a `results.json` written before findings carried row references) other than
    /// `keep` is replaced by `PersonalData.placeholder`.
    public func committedText(evidenceFile: String, keep: String = "") -> String {
        var text = withheld ?? detail
        if let line = evidenceLine {
            let digest = evidenceLineSHA256.map { ", sha256 \($0.prefix(PersonalData.rowDigestLength))" } ?? ""
            text += " (evidence \(evidenceFile) line \(line)\(digest))"
        }
        return PersonalData.withoutEmails(text, keep: keep)
    }
}

/// Email addresses in text that is committed (the attestation file, commit messages): only the
/// operator's own may be there; colleagues' and auditors' stay in the evidence (issue #15).
public enum PersonalData {
    /// What stands for an email address that must not be committed.
    public static let placeholder = "(email address withheld; see the evidence file)"
    /// Hex digits of a row's SHA-256 written in a committed finding.
    public static let rowDigestLength = 16

    /// The email addresses in `text`, in order (a local part, `@`, a domain with a dot), as
    /// ranges; ASCII only, with the characters addresses use in practice.
    public static func emailRanges(in text: String) -> [Range<String.Index>] {
        func local(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || "._%+-'".contains(c)) }
        func domain(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-") }
        var out: [Range<String.Index>] = []
        var i = text.startIndex
        while let at = text[i...].firstIndex(of: "@") {
            var start = at
            while start > text.startIndex, local(text[text.index(before: start)]) { start = text.index(before: start) }
            var end = text.index(after: at)
            while end < text.endIndex, domain(text[end]) { end = text.index(after: end) }
            // A trailing dot ends the sentence, not the domain.
            while end > text.index(after: at), text[text.index(before: end)] == "." { end = text.index(before: end) }
            let host = text[text.index(after: at)..<end]
            if start < at, host.contains("."), host.first != ".", host.first != "-" { out.append(start..<end) }
            i = end > at ? end : text.index(after: at)
            if i >= text.endIndex { break }
        }
        return out
    }

    /// The email addresses in `text` other than `keep` (compared without case).
    public static func emails(in text: String, except keep: String = "") -> [String] {
        emailRanges(in: text).map { String(text[$0]) }.filter { keep.isEmpty || $0.lowercased() != keep.lowercased() }
    }

    /// Each email address in `text` other than `keep`, with its 1-based line: what `attest sign`
    /// refuses in the file it commits and in the message it writes.
    public static func addressLines(in text: String, except keep: String = "") -> [(line: Int, address: String)] {
        var out: [(Int, String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains("@") {
            for a in emails(in: String(line), except: keep) { out.append((i + 1, a)) }
        }
        return out
    }

    /// `text` with every email address other than `keep` replaced by `placeholder`.
    public static func withoutEmails(_ text: String, keep: String = "") -> String {
        let ranges = emailRanges(in: text).filter { keep.isEmpty || text[$0].lowercased() != keep.lowercased() }
        guard !ranges.isEmpty else { return text }
        var out = text
        for r in ranges.reversed() { out.replaceSubrange(r, with: placeholder) }
        return out
    }
}

extension EvidenceResults {
    /// Decodes the bytes of `results.json` read from `path` (the caller reads the file,
    /// AttestControls' `EvidenceResults.load(from:)`), naming the file in every error.
    public static func decode(_ data: Data, path: String) throws(AttestError) -> EvidenceResults {
        do {
            let r = try JSONDecoder().decode(EvidenceResults.self, from: data)
            guard supportedSchemaVersions.contains(r.schemaVersion) else {
                throw AttestError.failed("\(path): schemaVersion \(r.schemaVersion) is not supported (this attest reads \(supportedSchemaVersions.lowerBound) to \(supportedSchemaVersions.upperBound))")
            }
            return r
        } catch let e as AttestError { throw e } catch {
            throw .failed("\(path) is not a valid results.json: \(error)")
        }
    }

    public func encoded() -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try! enc.encode(self) + Data("\n".utf8)
    }
}

/// Counts in English: `1 finding`, `2 findings`, `1 error`.
public enum English {
    public static func count(_ n: Int, _ singular: String, plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }
}

/// How a quarter's steps came out, said once for collect, render and sign (`sentence`).
public struct StepTally: Sendable, Equatable {
    public var passed = 0
    public var withFindings = 0
    public var errors = 0
    /// Findings over all steps.
    public var findings = 0

    public init(statuses: [StepStatus], findings: Int) {
        for s in statuses {
            switch s {
            case .pass: passed += 1
            case .finding: withFindings += 1
            case .error: errors += 1
            }
        }
        self.findings = findings
    }

    /// From `results.json`: a `finding` step without listed findings counts as one, as render
    /// writes it (its summary becomes the finding).
    public init(steps: [StepResult]) {
        self.init(statuses: steps.map(\.status),
                  findings: steps.filter { $0.status == .finding }.map { max(1, $0.findings.count) }.reduce(0, +))
    }

    /// `7 passed`; `6 passed, 1 with findings (2 findings)`; `6 passed, 1 with a finding`;
    /// `5 passed, 1 with a finding, 1 error`. A zero count is left out (`7 errors`, not
    /// `0 passed, 0 with findings, 7 errors`).
    public var sentence: String {
        var parts: [String] = []
        if passed > 0 { parts.append("\(passed) passed") }
        if withFindings > 0 {
            parts.append(withFindings == 1 && findings == 1 ? "1 with a finding"
                         : "\(withFindings) with findings (\(English.count(findings, "finding")))")
        }
        if errors > 0 { parts.append(English.count(errors, "error")) }
        return parts.isEmpty ? "no steps" : parts.joined(separator: ", ")
    }
}

extension EvidenceResults {
    public var tally: StepTally { StepTally(steps: steps) }
}
