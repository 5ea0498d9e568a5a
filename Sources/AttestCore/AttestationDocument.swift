import Foundation

/// The facts of one quarter's attestation file, `docs/attestation-log/YYYY-QN.md`, as read back
/// by `attest sign`, `verify` and `audit` (the file, not the template, is what is trusted).
///
/// The file's format is documented in `docs/attestation-log/README.md`; `parse(_:path:)` reads it
/// strictly and names the line of anything it cannot read. Line numbers are kept for messages but
/// are not part of the facts: two documents are equal when their facts are equal.
public struct AttestationDocument: Equatable, Sendable {
    public var quarter: Quarter
    /// 00:00:00 UTC of the first day of the window, as written in the file.
    public var windowOpens: Date
    /// The hard close, as written in the file.
    public var windowCloses: Date
    public var operatorName: String
    public var operatorEmail: String
    /// The day the file was rendered, `YYYY-MM-DD`.
    public var date: String
    /// One row per step, in file order (normally 1 to 7).
    public var steps: [DocumentStep]
    public var findings: [DocumentFinding]
    /// The overall result the file states.
    public var result: OverallResult
    /// SHA-256 of the evidence folder's `SHA256SUMS`, lowercase hex.
    public var manifestSHA256: String
    /// The controls beyond the runbook's seven (steps 8 and on, issue #20), from the controls
    /// table; empty for a quarter of the seven only (no such table).
    public var controls: [DocumentControl] = []
    /// Where each fact was read (1-based line numbers); empty for a document built in memory.
    public var lines: SourceLines

    public init(quarter: Quarter, windowOpens: Date, windowCloses: Date, operatorName: String, operatorEmail: String,
                date: String, steps: [DocumentStep], findings: [DocumentFinding], result: OverallResult,
                manifestSHA256: String, controls: [DocumentControl] = [], lines: SourceLines = SourceLines()) {
        self.quarter = quarter; self.windowOpens = windowOpens; self.windowCloses = windowCloses
        self.operatorName = operatorName; self.operatorEmail = operatorEmail; self.date = date
        self.steps = steps; self.findings = findings; self.result = result
        self.manifestSHA256 = manifestSHA256; self.controls = controls; self.lines = lines
    }

    /// Facts only: line numbers are ignored.
    public static func == (a: AttestationDocument, b: AttestationDocument) -> Bool {
        a.quarter == b.quarter && a.windowOpens == b.windowOpens && a.windowCloses == b.windowCloses
            && a.operatorName == b.operatorName && a.operatorEmail == b.operatorEmail && a.date == b.date
            && a.steps == b.steps && a.findings == b.findings && a.result == b.result
            && a.manifestSHA256 == b.manifestSHA256 && a.controls == b.controls
    }

    /// Line numbers of what was parsed, for messages.
    public struct SourceLines: Sendable {
        /// Field name (`Quarter`, `Result`, …) to line.
        public var fields: [String: Int] = [:]
        /// Line of the steps table's header row, and of each step row by step number.
        public var stepsTable: Int?
        public var steps: [Int: Int] = [:]
        /// Line of the findings table's header row, and of each finding row (same order as `findings`).
        public var findingsTable: Int?
        public var findings: [Int] = []
        /// Line of the controls table's header row, and of each control row by step number.
        public var controlsTable: Int?
        public var controls: [Int: Int] = [:]
        public init() {}
    }
}

/// One row of the steps table.
public struct DocumentStep: Equatable, Sendable {
    public var step: Int
    /// The AICPA criterion, `CC6.1` (the `AICPA ref` column; as `Control.criterion`).
    public var criterion: String
    /// The runbook's name of the control, `Logical access — least privilege` (the `Control`
    /// column; as `Control.name`).
    public var name: String
    public var status: StepStatus
    /// SHA-256 of the step's evidence file, lowercase hex; empty only when the step is `error`
    /// and no evidence file was written.
    public var evidenceSHA256: String

    public init(step: Int, criterion: String, name: String, status: StepStatus, evidenceSHA256: String) {
        self.step = step; self.criterion = criterion; self.name = name; self.status = status
        self.evidenceSHA256 = evidenceSHA256
    }
}

/// One row of the controls table: a control beyond the runbook's seven, where it came from and
/// the digest of the SQL file it ran (issue #20, docs/controls.md).
public struct DocumentControl: Equatable, Sendable {
    public var step: Int
    public var id: String
    /// `built-in` or the control file's path in the repository.
    public var source: String
    public var onFinding: OnFinding
    /// SHA-256 of the control file as run; empty for the built-in.
    public var sqlSHA256: String

    public init(step: Int, id: String, source: String, onFinding: OnFinding, sqlSHA256: String) {
        self.step = step; self.id = id; self.source = source; self.onFinding = onFinding; self.sqlSHA256 = sqlSHA256
    }
}

/// One row of the findings table.
public struct DocumentFinding: Equatable, Sendable {
    public var step: Int
    public var detail: String
    /// `#123`, `owner/repo#123` or an issue URL; nil while the operator has not linked one.
    public var issue: String?
    /// The finding is resolved (required before signing for a step-7 finding).
    public var resolved: Bool

    public init(step: Int, detail: String, issue: String?, resolved: Bool) {
        self.step = step; self.detail = detail; self.issue = issue; self.resolved = resolved
    }
}

extension OverallResult {
    /// The overall-result rule (DESIGN.md §4.2), the one place it is written down:
    /// - `clean`: steps 1 to 7 each present once, all `pass`, and no finding;
    /// - `qualified`: no step `error`, every `finding` step has at least one finding, every
    ///   finding names a step that is a `finding`, carries an issue reference, and a finding of a
    ///   step that blocks signing (step 7) is resolved;
    /// - `blocked`: anything else.
    ///
    /// `controls` are the steps beyond the seven (issue #20): each must be present too, and a
    /// finding of one whose on-finding is `block` must be resolved.
    public static func evaluate(steps: [DocumentStep], findings: [DocumentFinding], controls: [DocumentControl] = []) -> OverallResult {
        evaluate(statuses: steps.map { ($0.step, $0.status) }, findings: findings, controls: controls)
    }

    public static func evaluate(statuses: [(step: Int, status: StepStatus)], findings: [DocumentFinding],
                                controls: [DocumentControl] = []) -> OverallResult {
        let numbers = statuses.map(\.step)
        guard numbers.sorted() == Array(1...7) + controls.map(\.step).sorted() else { return .blocked }
        if statuses.contains(where: { $0.status == .error }) { return .blocked }
        let findingSteps = Set(statuses.filter { $0.status == .finding }.map(\.step))
        if findingSteps.isEmpty && findings.isEmpty { return .clean }
        for f in findings {
            guard findingSteps.contains(f.step), f.issue != nil else { return .blocked }
            if blocks(f.step, controls) && !f.resolved { return .blocked }
        }
        for s in findingSteps where !findings.contains(where: { $0.step == s }) { return .blocked }
        return .qualified
    }

    /// A finding of this step blocks signing until resolved: step 7, or a control whose
    /// on-finding is `block`.
    public static func blocks(_ step: Int, _ controls: [DocumentControl]) -> Bool {
        Controls.step(step)?.findingBlocksSigning == true || controls.first { $0.step == step }?.onFinding == .block
    }
}

/// An issue reference: `#123`, `owner/repo#123`, or an http(s) URL of an issue.
public enum IssueReference {
    public static func isValid(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func digits(_ x: ArraySlice<UInt8>) -> Bool { !x.isEmpty && x.count <= 12 && x.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        func name(_ x: Substring) -> Bool {
            !x.isEmpty && x.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
        }
        if b.first == UInt8(ascii: "#") { return digits(b[1...]) }
        if let hash = s.firstIndex(of: "#"), !s.hasPrefix("http") {
            let repo = s[..<hash].split(separator: "/", omittingEmptySubsequences: false)
            return repo.count == 2 && repo.allSatisfy(name) && digits(Array(s[s.index(after: hash)...].utf8)[...])
        }
        if s.hasPrefix("https://") || s.hasPrefix("http://") {
            guard let url = URL(string: s), let host = url.host, !host.isEmpty else { return false }
            return !s.contains(where: { $0 == " " || $0 == "|" || $0.isNewline }) && url.path.count > 1
        }
        return false
    }
}

extension AttestationDocument {
    /// What stops this document from being signed (the sign-time validations of issue #4):
    /// a missing or repeated step, a step whose control differs from the catalogue, a step that is
    /// `error`, a finding without an issue reference, an unresolved step-7 finding, a `finding`
    /// step without a finding row, a finding on a step that is not a `finding`, the result
    /// `blocked`, and a stated result that differs from the rule. Each message names the step and
    /// the line where there is one. Empty when the document may be signed.
    public func signingProblems() -> [String] {
        var problems: [String] = []
        func at(_ line: Int?) -> String { line.map { "line \($0): " } ?? "" }
        for n in 1...7 {
            let rows = steps.filter { $0.step == n }
            if rows.isEmpty {
                problems.append("\(at(lines.stepsTable))step \(n) is missing from the steps table; every step 1 to 7 needs a status (re-render with 'attest render --force')")
            } else if rows.count > 1 {
                problems.append("\(at(lines.steps[n]))step \(n) appears \(rows.count) times in the steps table; keep one row per step")
            }
        }
        for c in controls where !steps.contains(where: { $0.step == c.step }) {
            problems.append("\(at(lines.controls[c.step]))step \(c.step) (\(c.id), \(c.source)) is in the controls table but missing from the steps table; re-render with 'attest render --force'")
        }
        for s in steps {
            let line = at(lines.steps[s.step])
            let c: (criterion: String, name: String)
            if let builtIn = Controls.step(s.step) {
                c = (builtIn.criterion, builtIn.name)
                if s.criterion != c.criterion || s.name != c.name {
                    problems.append("\(line)step \(s.step) names control '\(s.criterion)' / '\(s.name)'; the runbook's step \(s.step) is \(c.criterion) / \(c.name)")
                }
            } else if let extra = controls.first(where: { $0.step == s.step }) {
                c = (extra.id, s.name)
            } else {
                problems.append("\(line)step \(s.step) does not exist; the runbook has steps 1 to 7 and the controls table names no step \(s.step)")
                continue
            }
            if s.status == .error {
                problems.append("\(line)step \(s.step) (\(c.criterion)) has status error: it could not be evaluated; fix the cause, run 'attest collect' and 'attest render --force' again")
            }
            if s.status == .finding && !findings.contains(where: { $0.step == s.step }) {
                problems.append("\(line)step \(s.step) (\(c.criterion)) has status finding but the findings table has no row for it")
            }
            if s.status != .error && !Hex.isSHA256(s.evidenceSHA256) {
                problems.append("\(line)step \(s.step) (\(c.criterion)) has no evidence SHA-256")
            }
        }
        for (i, f) in findings.enumerated() {
            let line = at(i < lines.findings.count ? lines.findings[i] : nil)
            let status = steps.first { $0.step == f.step }?.status
            if status != nil && status != .finding {
                problems.append("\(line)a finding is listed for step \(f.step), whose status is \(status!.rawValue), not finding")
            }
            if f.issue == nil {
                problems.append("\(line)the step \(f.step) finding has no issue reference; link one (#123, owner/repo#123 or an issue URL) in the Issue column, or re-render with --issue \(f.step)=#123")
            }
            if OverallResult.blocks(f.step, controls) && !f.resolved {
                problems.append("\(line)the step \(f.step) finding is not resolved; a step \(f.step) finding blocks signing until it is resolved and marked 'yes' in the Resolved column with its issue")
            }
        }
        let expected = OverallResult.evaluate(steps: steps, findings: findings, controls: controls)
        let resultLine = at(lines.fields["Result"])
        if result == .blocked {
            problems.append("\(resultLine)the result is blocked; attest sign refuses a blocked attestation")
        } else if expected != result {
            problems.append("\(resultLine)the result says \(result.rawValue) but the steps and findings make it \(expected.rawValue); correct the Result row or re-render with 'attest render --force'")
        }
        return problems
    }
}
