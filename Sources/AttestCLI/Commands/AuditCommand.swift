import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestCrypto
import AttestEvidence

/// `attest audit`: a SOC-2 Type II period verdict from git history alone (issue #6).
struct AuditCommand: Command {
    static let name = "audit"
    static let summary = "judge every quarter of a Type II period from git history"
    static let help = """
    Walks history once, from REV through all parents, and judges every quarter whose target
    date lies in [--from, --to]: on-time, late (declared with Attest-Late or not), early or
    missing, and flags amended, deleted, unsigned, bad-signature, date-anomaly,
    incomplete-document, blocked-result, duplicate-signoff, evidence-mismatch, policy-changed
    and untrusted-time. The period passes only when every quarter is on-time with no flags.

    The attestation folder and the windows come from .attestconfig as committed at REV (then
    -c); each quarter is judged by the window of the policy at its own sign-off commit.

    Every format states per quarter: PASS or FAIL, the verified signer (the allowed-signers
    principal and key fingerprint, or unsigned / bad signature), the git identity as claimed,
    the time basis, the policy it was judged under and the evidence state. For the packet an
    external auditor verifies offline, see 'attest export'.
    """
    static let helpFooter = """
    Exit codes: 0 the period passes; 1 it does not; 2 usage error or bad policy value;
    3 no repository, unreadable history or evidence root.

    Examples:
      attest audit --from 2026-01-01 --to 2026-12-31
      attest audit --from 2026-01-01 --to 2026-12-31 --out audit-2026.html
      attest -c attest.folder=compliance/log audit --from 2025-01-01 --to 2025-12-31 --json
    """
    // --from, --to, --rev and --evidence-root are export's too (AuditCommand.period reads them).
    static let from = Option("from", value: "DATE", required: true, help: "first day of the period (YYYY-MM-DD, UTC)")
    static let to = Option("to", value: "DATE", required: true, help: "last day of the period, inclusive")
    static let rev = Option("rev", value: "REV", help: "the revision to audit (default HEAD)")
    static let format = Option("format", value: "FORMAT", completion: .choices(Format.allCases.map(\.rawValue)), help: """
        text (default), json (docs/audit-json.md), markdown, or html (one self-contained page with \
        a timeline, at any width and on A4)
        """)
    static let json = Flag("json", help: "the same as --format json")
    static let out = Option("out", value: "FILE", help: """
        write the report to FILE (atomically); the format follows the extension (.html, .md, \
        .json, .txt) unless --format says otherwise, and stdout still gets the one-line verdict
        """)
    static let evidenceRoot = Option("evidence-root", value: "DIR", help: "check YYYY-QN/ evidence folders under DIR against the committed digests")
    static let key = Option("key", value: "KEY", help: """
        a recipient's private key (PEM): open each quarter's sealed evidence \
        (refs/attest/evidence/YYYY-QN) and check its files against SHA256SUMS and the sign-off; \
        without it the sealed blob is checked against the sign-off's Attest-Sealed-Evidence only \
        (docs/evidence.md)
        """)
    static let cert = Option("cert", value: "CERT", goesWith: key, help: "the key's certificate, to pick its recipient entry")
    static let spec = ArgumentSpec(options: [from, to, rev, format, json, out, evidenceRoot, key, cert])

    enum Format: String, CaseIterable { case text, json, markdown, html }

    let from: Date
    let to: Date
    let rev: String
    let format: Format
    let outFile: String?
    let evidenceRoot: String?
    /// `--key KEY [--cert CERT]`: open each quarter's sealed evidence (docs/evidence.md).
    var key: EvidenceVault.Key? = nil

    /// The audit `attest export` runs: all formats come from one evaluation of it.
    init(from: Date, to: Date, rev: String, evidenceRoot: String?) {
        self.from = from; self.to = to; self.rev = rev; self.format = .json; self.outFile = nil; self.evidenceRoot = evidenceRoot
    }

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        (from, to, rev, evidenceRoot) = try Self.period(arguments, context: context)
        if arguments[Self.json] {
            if let f = arguments[Self.format], f != "json" { throw .usage("--json and --format \(f) disagree; give one") }
            format = .json
        } else if let f = arguments[Self.format] {
            guard let v = Format(rawValue: f) else {
                throw .usage("--format '\(f)' is not known; use text, json, markdown or html")
            }
            format = v
        } else if let o = arguments[Self.out], !o.isEmpty {
            format = try Self.format(forOutFile: o)
        } else { format = .text }
        outFile = arguments[Self.out]
        if let o = outFile, o.isEmpty { throw .usage("--out needs a file name") }
        key = try EvidenceVault.Key.load(arguments, key: Self.key, cert: Self.cert, context: context)
    }

    /// `--from`, `--to`, `--rev` and `--evidence-root`, as audit and export take them.
    static func period(_ arguments: ParsedArguments, context: Context) throws(AttestError) -> (Date, Date, String, String?) {
        func date(_ option: Option) throws(AttestError) -> Date {
            let name = option.declaration.name
            guard let text = arguments[option] else { throw .usage("--\(name) DATE is required") }
            guard text.utf8.count == 10, let d = UTC.parseInstant(text) else {
                throw .usage("--\(name) '\(text)' is not a date; write YYYY-MM-DD, for example 2026-01-01")
            }
            return d
        }
        let from = try date(Self.from)
        let to = try date(Self.to)
        guard from <= to else { throw .usage("--from \(UTC.day(from)) is after --to \(UTC.day(to))") }
        let rev = arguments[Self.rev] ?? "HEAD"
        guard !rev.isEmpty, !rev.hasPrefix("-") else { throw .usage("--rev '\(rev)' is not a revision") }
        var evidenceRoot: String?
        if let e = arguments[Self.evidenceRoot] {
            var isDir: ObjCBool = false
            let full = Paths.resolve(e, against: context.workingDirectory)
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue else {
                throw .environment("--evidence-root \(e) is not a folder; give the folder that holds YYYY-QN/ evidence folders")
            }
            evidenceRoot = full
        }
        return (from, to, rev, evidenceRoot)
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        let run = try AuditRun.evaluate(self, repository: repo, context: context, generatedAt: context.now)
        let text = run.render(format)
        if let outFile {
            let path = Paths.resolve(outFile, against: context.workingDirectory)
            // 0644 with the umask taking away, never adding (docs/audit.md); /dev/stdout is written through.
            do { try AtomicFile(mode: 0o644, umasked: true, writesThroughSpecialFiles: true).write(text, to: path) } catch { throw AttestError(error) }
            context.out.line(run.verdictLine + " (\(format.rawValue) report in \(outFile))")
        } else {
            context.out.write(text)
        }
        return run.passes ? 0 : 1
    }

    /// `--out FILE` without `--format`: the format its extension names.
    static func format(forOutFile file: String) throws(AttestError) -> Format {
        let ext = (file as NSString).pathExtension.lowercased()
        switch ext {
        case "html", "htm": return .html
        case "md", "markdown": return .markdown
        case "json": return .json
        case "txt", "": return .text
        default:
            throw .usage("--out \(file): the extension '.\(ext)' names no report format; use .html, .md, .json or .txt, or give --format")
        }
    }

    /// Checks the `Attest-Timestamp` token of every sign-off candidate offline, with verify's
    /// own code (TrustedTime: the CA file named by the policy at the sign-off commit).
    func checkTimestamps(_ facts: inout AuditFacts, repository repo: AttestGit.Repository) throws(AttestError) {
        facts.input.tsaRequired = facts.policy.tsaRequired
        for qi in facts.input.quarters.indices {
            let quarter = facts.input.quarters[qi].quarter
            for ci in facts.input.quarters[qi].commits.indices {
                let c = facts.input.quarters[qi].commits[ci]
                guard Audit.isSignoffCandidate(c.message, change: c.change, for: quarter), let id = ObjectID(hex: c.id) else { continue }
                let raw: RawCommit
                do { raw = try repo.rawCommit(id) } catch { throw .environment("cannot read commit \(id.short): \(error.message)") }
                facts.input.quarters[qi].commits[ci].timestamp = TrustedTime.outcome(of: raw, repository: repo)
                ControlCatalogue.gather(into: &facts.input.quarters[qi].commits[ci], raw: raw, repository: repo, policy: c.policy ?? facts.policy)
            }
        }
    }

    /// Verifies every signed commit that touched a quarter's file with verify's own code
    /// (SSH against the allowed-signers file committed at the audited revision; OpenPGP by gpg),
    /// judged against that quarter's window.
    func checkSignatures(_ facts: inout AuditFacts, repository repo: AttestGit.Repository) throws(AttestError) {
        guard facts.input.quarters.contains(where: { $0.commits.contains { $0.signature == .present } }) else { return }
        let tip = ObjectID(hex: facts.input.revisionID)
        let signers = try reporting { try SignoffInspector.allowedSigners(in: repo, commit: tip, policy: facts.policy) }
        let inspector = SignoffInspector(repository: repo, policy: facts.policy, allowedSigners: signers)
        for qi in facts.input.quarters.indices {
            for ci in facts.input.quarters[qi].commits.indices where facts.input.quarters[qi].commits[ci].signature == .present {
                let c = facts.input.quarters[qi].commits[ci]
                guard let id = ObjectID(hex: c.id) else { continue }
                let outcome = inspector.signature(of: try reporting { try inspector.commit(id) }, window: c.window)
                switch outcome {
                case .unsigned: facts.input.quarters[qi].commits[ci].signature = .none
                case .valid(let signer): facts.input.quarters[qi].commits[ci].signature = .good(signer: signer)
                case .invalid(let why): facts.input.quarters[qi].commits[ci].signature = .bad(reason: why)
                // Signed but not checkable: the judge's `signature` rule decides (refused only when
                // the policy in force requires a signature), as verify and the hooks decide.
                case .unverifiable: facts.input.quarters[qi].commits[ci].signature = .present
                }
            }
        }
    }
}

