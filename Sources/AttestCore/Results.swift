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
    public var control: String
    public var aicpa: String
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

    public init(step: Int, control: String, aicpa: String, status: StepStatus, summary: String, findings: [StepFinding],
                sql: String, parameters: [String], rowCount: Int, evidenceFile: String, sha256: String) {
        self.step = step; self.control = control; self.aicpa = aicpa; self.status = status; self.summary = summary
        self.findings = findings; self.sql = sql; self.parameters = parameters; self.rowCount = rowCount
        self.evidenceFile = evidenceFile; self.sha256 = sha256
    }
}

public struct StepFinding: Codable, Sendable, Equatable {
    public var detail: String
    public init(detail: String) { self.detail = detail }
}

extension EvidenceResults {
    /// Reads `results.json`, naming the file in every error.
    public static func load(from url: URL) throws(AttestError) -> EvidenceResults {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .environment("cannot read \(url.path): \(error.localizedDescription); run 'attest collect' first or pass --evidence DIR")
        }
        do {
            let r = try JSONDecoder().decode(EvidenceResults.self, from: data)
            guard supportedSchemaVersions.contains(r.schemaVersion) else {
                throw AttestError.failed("\(url.path): schemaVersion \(r.schemaVersion) is not supported (this attest reads \(supportedSchemaVersions.lowerBound) to \(supportedSchemaVersions.upperBound))")
            }
            return r
        } catch let e as AttestError { throw e } catch {
            throw .failed("\(url.path) is not a valid results.json: \(error)")
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
