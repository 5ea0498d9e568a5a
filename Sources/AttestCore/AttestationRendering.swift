import Foundation

extension AttestationDocument {
    /// The facts of a quarter from `results.json` (written by `collect`): each step's status and
    /// evidence digest, its findings (a `finding` step without listed findings gets one finding,
    /// its summary), the issue references given on the command line (`--issue 6=#482` applies to
    /// every finding of step 6), and the overall result by `OverallResult.evaluate`. Findings
    /// carry no email address but the operator's: a row with personal data is named by its
    /// evidence file, line and digest (`StepFinding.committedText`).
    public static func from(results: EvidenceResults, window: Window, operatorName: String, operatorEmail: String,
                            date: String, manifestSHA256: String, issues: [Int: String]) -> AttestationDocument {
        var steps: [DocumentStep] = []
        var findings: [DocumentFinding] = []
        var controls: [DocumentControl] = []
        for r in results.steps.sorted(by: { $0.step < $1.step }) {
            let c = Controls.step(r.step)
            steps.append(DocumentStep(step: r.step, criterion: c?.criterion ?? r.criterion, name: c?.name ?? r.name,
                                      status: r.status, evidenceSHA256: r.sha256))
            if c == nil, let id = r.controlId, let source = r.source {
                controls.append(DocumentControl(step: r.step, id: id, source: source, onFinding: r.onFinding ?? .issue, sqlSHA256: r.sqlSHA256 ?? ""))
            }
            guard r.status == .finding else { continue }
            // The committed form: rows with personal data are named by evidence line and digest.
            let details = r.findings.isEmpty
                ? [r.summary.isEmpty ? "finding (no detail recorded)" : PersonalData.withoutEmails(r.summary, keep: operatorEmail)]
                : r.findings.map { $0.committedText(evidenceFile: r.evidenceFile, keep: operatorEmail) }
            for d in details {
                findings.append(DocumentFinding(step: r.step, detail: d, issue: issues[r.step], resolved: false))
            }
        }
        return AttestationDocument(quarter: results.quarter, windowOpens: window.opens, windowCloses: window.closes,
                                   operatorName: operatorName, operatorEmail: operatorEmail, date: date, steps: steps,
                                   findings: findings, result: OverallResult.evaluate(steps: steps, findings: findings, controls: controls),
                                   manifestSHA256: manifestSHA256, controls: controls)
    }

    /// The steps' statuses and the findings table, counted (`6 passed, 1 with findings (2 findings)`).
    public var tally: StepTally { StepTally(statuses: steps.map(\.status), findings: findings.count) }

    /// The values a template sees (documented in docs/render.md). `summaries` are the steps'
    /// one-line summaries from `results.json`, shown as prose; they are not facts of the file.
    public func templateContext(summaries: [Int: String] = [:]) -> MustacheValue {
        let steps: [MustacheValue] = self.steps.map { s in
            .object([
                "step": .string(String(s.step)),
                "control_name": .string(s.name),
                "aicpa_ref": .string(s.criterion),
                "title": .string(Controls.step(s.step)?.title ?? controls.first { $0.step == s.step }.map { "\($0.id) \(s.name)" } ?? ""),
                "status": .string(s.status.rawValue),
                "evidence_sha256": .string(s.evidenceSHA256),
                "summary": .string(PersonalData.withoutEmails(summaries[s.step] ?? "", keep: operatorEmail)),
                "pass": .bool(s.status == .pass),
                "finding": .bool(s.status == .finding),
                "error": .bool(s.status == .error),
            ])
        }
        let findings: [MustacheValue] = self.findings.map { f in
            .object([
                "step": .string(String(f.step)),
                "detail": .string(f.detail),
                "issue": f.issue.map(MustacheValue.string) ?? .null,
                "resolved": .string(f.resolved ? "yes" : "no"),
            ])
        }
        return .object([
            "quarter": .string(quarter.description),
            "quarter_spoken": .string(quarter.spoken),
            "window_opens": .string(UTC.iso(windowOpens)),
            "window_closes": .string(UTC.iso(windowCloses)),
            "operator_name": .string(operatorName),
            "operator_email": .string(operatorEmail),
            "date": .string(date),
            "result": .string(result.rawValue),
            "result_clean": .bool(result == .clean),
            "result_qualified": .bool(result == .qualified),
            "result_blocked": .bool(result == .blocked),
            "manifest_sha256": .string(manifestSHA256),
            "steps": .list(steps),
            "findings": .list(findings),
            "has_controls": .bool(!controls.isEmpty),
            "controls": .list(controls.map { c in
                .object([
                    "step": .string(String(c.step)),
                    "id": .string(c.id),
                    "source": .string(c.source),
                    "on_finding": .string(c.onFinding.rawValue),
                    "sql_sha256": .string(c.sqlSHA256),
                ])
            }),
        ])
    }

    /// Renders the document with a template and reads the output back: a template that drops or
    /// changes a fact (a removed column, a renamed header) is refused here, before anything is
    /// written, naming the template. `attest render` runs the two halves itself (`text` and
    /// `readBack`), to refuse a file over the size attest signs in between (docs/limits.md).
    public func render(with template: MustacheTemplate, outputPath: String, summaries: [Int: String] = [:]) throws(AttestError) -> String {
        let text = text(with: template, summaries: summaries)
        try readBack(text, template: template, outputPath: outputPath)
        return text
    }

    /// The file's text from `template`, not yet read back.
    public func text(with template: MustacheTemplate, summaries: [Int: String] = [:]) -> String {
        template.render(templateContext(summaries: summaries))
    }

    /// Parses `text` (what `template` rendered of this document) and refuses it unless it
    /// carries every fact of the document.
    public func readBack(_ text: String, template: MustacheTemplate, outputPath: String) throws(AttestError) {
        let back: AttestationDocument
        do { back = try AttestationDocument.parse(text, path: outputPath) } catch {
            throw .failed("template \(template.name) does not produce a readable attestation file: \(error.description); keep the three tables of docs/attestation-log/README.md in the template")
        }
        guard back == self else {
            throw .failed("template \(template.name) does not carry every fact into the file (read back, the file differs); keep each table's columns filled from the template variables of docs/render.md")
        }
    }
}
