import Foundation
import AttestCore
import AttestGit
import AttestVerification
import AttestCrypto
import AttestEvidence

/// One evaluation of a period, and everything the reports and the packet say about it:
/// `attest audit` renders it in one format, `attest export` in all of them.
struct AuditRun {
    var facts: AuditFacts
    let report: AuditReport
    let context: ReportContext
    /// The timestamp renewals (docs/tsa.md, "Renewal"), per quarter with a stored token; every
    /// format carries them (empty when nothing is stored under `.ltv`).
    var renewals: [Renewal.Coverage] = []

    func render(_ format: AuditCommand.Format) -> String {
        var text: String
        switch format {
        case .text: text = TextReport.render(report, context)
        case .json: text = JSONReport.render(report, context)
        case .markdown: text = MarkdownReport.render(report, context)
        case .html: text = HTMLReport.render(report, context)
        }
        RenewalReport.append(renewals, to: &text, format: format)
        return text
    }

    /// The period passes and no quarter's trusted time lost its renewal cover.
    var passes: Bool { ReportParts.passes(report, context) }

    /// The quarters' facts, in report order.
    var quarterFacts: [QuarterFacts] { report.quarters.map { QuarterFacts($0, context: context) } }

    /// The one line `--out` still prints: "attest audit 2026-01-01..2026-12-31: PASS: …".
    var verdictLine: String { "attest audit \(UTC.day(report.from))..\(UTC.day(report.to)) at \(report.revisionID.prefix(12)): \(ReportParts.summary(report, context))" }

    static func evaluate(_ audit: AuditCommand, repository repo: AttestGit.Repository, context: Context,
                         generatedAt: Date) throws(AttestError) -> AuditRun {
        let progress = isatty(2) == 1 ? ProgressLine(context.err) : nil
        var facts = try reporting {
            try AuditFacts.gather(repository: repo, revision: audit.rev, from: audit.from, to: audit.to, overrides: context.overrides,
                                  sha256: { (try? SHA256.hex(of: $0)) ?? "" },
                                  progress: progress.map { p in { p.update("audit: read \($0) commits") } })
        }
        progress?.finish()
        facts.input.now = context.now
        try audit.checkSignatures(&facts, repository: repo)
        try audit.checkTimestamps(&facts, repository: repo)
        if let root = audit.evidenceRoot {
            facts.input.evidence = try EvidenceScan.digests(root: root, quarters: facts.input.quarters.map(\.quarter))
        }
        var report = Audit.evaluate(facts.input)
        // Sealed evidence (docs/evidence.md): may add evidence-mismatch flags.
        let sealed = try reporting { try SealedEvidenceAudit.apply(&report, repository: repo, policy: facts.policy, key: audit.key, environment: context.environment) }
        var context = try ReportContextBuilder(repository: repo, facts: facts).build(report, generatedAt: generatedAt, evidenceRoot: audit.evidenceRoot)
        context.sealedEvidence = sealed
        let renewals = try RenewalReport.coverage(policy: facts.policy, repository: repo)
        context.renewalsLost = renewals.filter(\.flagged).map(\.quarter)
        return AuditRun(facts: facts, report: report, context: context, renewals: renewals)
    }
}

/// Fills `ReportContext` from the repository: who the verified signers are (key fingerprint and
/// the allowed-signers line that admitted it), which commits the judging policy came from, and
/// which quarters have sealed evidence refs.
struct ReportContextBuilder {
    let repository: AttestGit.Repository
    let facts: AuditFacts

    func build(_ report: AuditReport, generatedAt: Date, evidenceRoot: String?) throws(AttestError) -> ReportContext {
        var x = ReportContext(generatedAt: generatedAt, evidenceRoot: evidenceRoot)
        let tip = ObjectID(hex: report.revisionID)
        var signers: AllowedSigners??
        for q in report.quarters {
            guard let so = q.signoff else { continue }
            x.judging[q.quarter] = try JudgingPolicy.derive(signoff: so, revisionID: report.revisionID, policy: facts.policy, repository: repository)
            // Every signed commit the quarter shows: the sign-off and its amendments.
            for c in q.commits {
                guard case .good(let described) = c.signature, let cid = ObjectID(hex: c.id) else { continue }
                if signers == nil { signers = .some(try reporting { try SignoffInspector.allowedSigners(in: repository, commit: tip, policy: facts.policy) }) }
                x.signers[c.id] = signer(of: cid, described: described, window: c.window, signers: signers ?? nil)
            }
        }
        do {
            for ref in try repository.references(glob: "refs/attest/evidence/*") {
                if let q = try? Quarter(parsing: String(ref.name.dropFirst("refs/attest/evidence/".count))) { x.evidenceRefs[q] = ref.id.hex }
            }
        } catch { throw .environment("cannot list refs/attest/evidence/*: \(error.message)") }
        return x
    }

    /// The key fingerprint from the commit's own signature and the principals the
    /// allowed-signers file gives that key (the same lookup the audit's judgement made).
    func signer(of id: ObjectID, described: String, window: Window, signers: AllowedSigners?) -> VerifiedSigner {
        guard let raw = try? repository.rawCommit(id), let armored = raw.signature, raw.signatureKind == .ssh,
              let sig = try? SSHSignature(armored: armored), let signers,
              case .allowed(let principals, let line) = signers.verdict(keyBlob: sig.publicKey.blob, namespace: "git", window: window)
        else {
            return VerifiedSigner(principals: [described], key: "", source: "gpg keyring")
        }
        return VerifiedSigner(principals: principals, key: sig.publicKey.description, source: "\(signers.path):\(line)")
    }
}

extension JudgingPolicy {
    /// The one place that says where a quarter's policy came from (see the type's note).
    static func derive(signoff so: AuditCommit, revisionID: String, policy: Policy,
                       repository: AttestGit.Repository) throws(AttestError) -> JudgingPolicy {
        var tsaCA: (String, String)?
        if case .absent = so.timestamp {} else if let id = ObjectID(hex: so.id) {
            let at = try reporting { try PolicyFiles(repository: repository, overrides: []).policy(at: id) }
            if !at.tsaCAFile.isEmpty { tsaCA = (at.tsaCAFile, so.id) }
        }
        // The rules are those of the policy in force at the sign-off (SignoffRules.policyInForce,
        // as the judge applied them); the signatures were checked against the allowed-signers
        // file at the audited revision.
        let inForce = so.policy ?? policy
        return JudgingPolicy(windowFrom: so.id, rulesFrom: revisionID, signingRequired: inForce.signatureRequired,
                             tsaRequired: inForce.tsaRequired, allowedSignersFile: policy.allowedSignersFile, tsaCA: tsaCA)
    }
}
