import Foundation
import AttestCore
import AttestControls
import AttestGit
import AttestSystem

/// `attest render`: runbook step 8.1–8.3, the quarter's attestation file from the template and
/// `results.json`.
struct RenderCommand: Command {
    static let name = "render"
    static let summary = "write docs/attestation-log/YYYY-QN.md from the template and results.json"
    static let help = """
    Fills the template with the quarter's evidence results and writes the attestation file,
    docs/attestation-log/YYYY-QN.md (attest.folder). It carries the quarter, the window, the
    operator (git user.name and user.email), today's date (UTC), per step the control, AICPA
    reference, status and evidence SHA-256, the findings with their issue references, the
    overall result (clean, qualified or blocked), the SHA-256 of the evidence's SHA256SUMS and
    the sign-off statement. The written file is read back before it is kept: a template that
    loses a fact is refused. The format is docs/attestation-log/README.md.
    """
    static let helpFooter = """
    Exit codes: 0 written (the output says when the result is blocked and why); 1 the file
    exists (use --force), the results are for another quarter, or the template is broken;
    2 usage error; 3 not in a repository, evidence missing, git identity not set.

    Example:
      attest render --quarter 2026-Q4 --issue 6=#482
    """
    static let quarter = Option("quarter", value: "YYYY-QN", help: "the quarter (default: the one whose window is open, else the last closed)")
    static let evidence = Option("evidence", value: "DIR", help: """
        the evidence folder (default: evidence/YYYY-QN, attest.evidenceRoot); it must hold \
        results.json and SHA256SUMS ('attest collect' writes them)
        """)
    static let template = Option("template", value: "FILE", help: """
        the template (default: templates/attestation.md.mustache, attest.template, or the built-in \
        one when the repository has none)
        """)
    static let issue = Option("issue", value: "STEP=REF", repeatable: true, help: """
        the issue a step's findings are tracked in: #123, owner/repo#123 or an issue URL; repeat \
        for several steps (--issue 6=#482 --issue 7=#490)
        """)
    static let force = Flag("force", help: "replace an existing file")
    static let spec = ArgumentSpec(options: [quarter, evidence, template, issue, force])

    let quarter: Quarter?
    let evidence: String?
    let template: String?
    let issues: [Int: String]
    let force: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        quarter = try arguments[Self.quarter].map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        evidence = arguments[Self.evidence]
        template = arguments[Self.template]
        force = arguments[Self.force]
        issues = try Self.parseIssues(arguments.all(Self.issue))
    }

    static func parseIssues(_ values: [String]) throws(AttestError) -> [Int: String] {
        var out: [Int: String] = [:]
        for v in values {
            guard let eq = v.firstIndex(of: "="), let step = Int(v[..<eq]), (1...Catalogue.maxStep).contains(step) else {
                throw .usage("--issue '\(v)' is not STEP=REF with a step from 1 to 7 (or of a control beyond them, up to \(Catalogue.maxStep)), such as --issue 6=#482")
            }
            let ref = String(v[v.index(after: eq)...])
            guard IssueReference.isValid(ref) else {
                throw .usage("--issue '\(v)': '\(ref)' is not an issue reference; write #123, owner/repo#123 or an issue URL")
            }
            guard out[step] == nil else { throw .usage("--issue gives step \(step) twice") }
            out[step] = ref
        }
        return out
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let files = try QuarterFiles(context: context, quarter: quarter, evidence: evidence)
        let results = try EvidenceResults.load(from: URL(fileURLWithPath: files.evidenceFolder + "/results.json"))
        guard results.quarter == files.quarter else {
            throw .failed("\(files.evidenceFolder)/results.json is for \(results.quarter), not \(files.quarter); pass the right --evidence or --quarter")
        }
        let sums = files.evidenceFolder + "/SHA256SUMS"
        guard FileManager.default.fileExists(atPath: sums) else {
            throw .environment("\(sums) is missing; run 'attest collect' for \(files.quarter) (it writes SHA256SUMS with results.json)")
        }
        let manifest = try QuarterFiles.sha256(ofFile: sums)
        for (step, _) in issues.sorted(by: { $0.key < $1.key }) {
            guard results.steps.first(where: { $0.step == step })?.status == .finding else {
                throw .usage("--issue \(step)=…: step \(step) has no finding in \(files.quarter)'s results")
            }
        }

        let (templateText, templateName) = try loadTemplate(files: files, context: context)
        let mustache = try MustacheTemplate(templateText, name: templateName)
        let who = try reporting { try files.repository.committerIdentity() }
        let doc = AttestationDocument.from(results: results, window: files.window, operatorName: who.name, operatorEmail: who.email,
                                           date: UTC.day(context.now), manifestSHA256: manifest, issues: issues)
        let summaries = Dictionary(results.steps.map { ($0.step, $0.summary) }, uniquingKeysWith: { a, _ in a })
        let text = doc.text(with: mustache, summaries: summaries)
        guard text.utf8.count <= RegularFile.Limit.attestationFile else {
            throw .failed("the rendered \(files.documentPath) would have \(text.utf8.count) bytes (\(doc.findings.count) findings), more than the \(RegularFile.bytes(RegularFile.Limit.attestationFile)) attest signs (docs/limits.md); fix the causes of the findings and collect again, or record them in an issue and keep the file to a summary")
        }
        try doc.readBack(text, template: mustache, outputPath: files.documentPath)

        if FileManager.default.fileExists(atPath: files.documentFullPath) && !force {
            throw .failed("\(files.documentPath) exists; it is not overwritten without --force (your edits, such as issue links, would be lost; pass them with --issue)")
        }
        try QuarterFiles.writeAtomically(text, to: files.documentFullPath)

        context.out.line("wrote \(files.documentPath): \(files.quarter) \(doc.result.rawValue); \(doc.tally.sentence)")
        // The catalogue in force in the working tree: a control missing from the evidence, or run
        // from other SQL, is said now rather than at sign time.
        let problems = doc.signingProblems() + (try reporting { try ExtraControls.load(root: files.root, policy: files.policy) }.catalogue
            .problems(of: doc, at: "the working tree"))
        if !problems.isEmpty {
            context.out.line("before 'attest sign' accepts it:")
            for p in Listing.bounded(problems) { context.out.line("  \(p)") }
        } else {
            context.out.line("review it, then run: attest sign --quarter \(files.quarter)")
        }
        return 0
    }

    private func loadTemplate(files: QuarterFiles, context: Context) throws(AttestError) -> (String, String) {
        if let template {
            let full = Paths.resolve(template, against: context.workingDirectory)
            do { return (String(decoding: try RegularFile.contents(full, what: "the template", maxBytes: RegularFile.Limit.text), as: UTF8.self), template) }
            catch { throw AttestError(error) }
        }
        let inRepo = files.root + "/" + files.policy.templatePath
        let found: Data?
        do { found = try RegularFile.read(inRepo, what: "the template", maxBytes: RegularFile.Limit.text, missingIsNil: true) } catch { throw AttestError(error) }
        if let t = found {
            return (String(decoding: t, as: UTF8.self), files.policy.templatePath)
        }
        context.err.line("note: \(files.policy.templatePath) not found; using the built-in template ('attest init' writes it)")
        return (DefaultTemplate.text, "built-in " + DefaultTemplate.path)
    }
}
