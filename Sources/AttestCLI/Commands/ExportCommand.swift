import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestCrypto

/// `attest export`: the auditor's packet for a Type II period (issue #19, docs/export.md): one
/// deterministic `.tar.gz` that an external auditor checks offline with git and OpenSSL alone.
struct ExportCommand: Command {
    static let name = "export"
    static let summary = "write the auditor's packet for a period: history bundle, reports, trust anchors, recipe"
    static let help = """
    Audits the period once (as 'attest audit' does) and writes one archive an external auditor
    verifies on their own machine with plain tools (docs/export.md):

      packet.bundle   git bundle of the audited history (the branch up to REV) and the
                      refs/attest/evidence/* refs where they exist; 'git clone packet.bundle'
                      gives a repository on which 'attest audit' reaches the same verdict
      audit.html, audit.md, audit.json
                      the audit, all three from one evaluation
      trust/COMMIT/PATH
                      the trust anchors the verdict used: the allowed-signers file and the
                      TSA CA certificate as committed at each revision that judged a quarter
      tokens/         each sign-off's RFC 3161 token and the imprint it stamps
      VERIFY.md       the offline recipe: every step a command and the claim it proves
      SHA256SUMS      sha256sum of every file above; SHA256SUMS.tsr, an RFC 3161 token over
                      it, when tsa.url is set

    The archive is deterministic: the same repository, period and SOURCE_DATE_EPOCH give the
    same bytes (the token over SHA256SUMS, when a TSA is configured, differs each time).
    """
    static let helpFooter = """
    The report's "generated" instant is the clock, or SOURCE_DATE_EPOCH (seconds since 1970)
    when it is set.

    Exit codes: 0 written, the period passes; 1 written, the period does not pass; 2 usage
    error; 3 no repository, unreadable history, git or the TSA failing (nothing written).

    Examples:
      attest export --from 2026-01-01 --to 2026-12-31 --out packet-2026.tar.gz
      SOURCE_DATE_EPOCH=1767225600 attest export --from 2026-01-01 --to 2026-12-31 --rev v2026 --out p.tgz
    """
    static let out = Option("out", value: "FILE.tar.gz", required: true, help: "the archive to write (.tar.gz or .tgz), atomically")
    static let spec = ArgumentSpec(options: [AuditCommand.from, AuditCommand.to, AuditCommand.rev, AuditCommand.evidenceRoot, out])

    let audit: AuditCommand
    let outFile: String

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        let (from, to, rev, evidenceRoot) = try AuditCommand.period(arguments, context: context)
        audit = AuditCommand(from: from, to: to, rev: rev, evidenceRoot: evidenceRoot)
        guard let out = arguments[Self.out], !out.isEmpty else {
            throw .usage("--out FILE.tar.gz is required: the packet is one archive")
        }
        guard out.hasSuffix(".tar.gz") || out.hasSuffix(".tgz") else {
            throw .usage("--out \(out): the packet is a gzip'd tar; name it FILE.tar.gz or FILE.tgz")
        }
        outFile = Paths.resolve(out, against: context.workingDirectory)
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        let generated = try Self.generationInstant(context.environment) ?? context.now
        let run = try AuditRun.evaluate(audit, repository: repo, context: context, generatedAt: generated)
        guard !run.report.shallow else {
            throw .environment("this is a shallow clone: a packet must carry the whole history the audit reads; run 'git fetch --unshallow' and export again (nothing written)")
        }
        let packet = try PacketBuilder(repository: repo, run: run, policy: run.facts.policy, environment: context.environment,
                                   warn: { context.err.line($0) }).build()
        // 0600: the packet carries the whole history and the sealed evidence (docs/export.md).
        do { try AtomicFile(mode: 0o600, umasked: true, writesThroughSpecialFiles: true).write(packet.archive, to: outFile) } catch { throw AttestError(error) }
        context.out.line(run.verdictLine)
        context.out.line("packet: \(outFile) (\(packet.files) files, \(packet.archive.count) bytes, sha256 \((try? SHA256.hex(of: packet.archive)) ?? "?"))\(packet.stamped ? "; SHA256SUMS time-stamped" : "")")
        return run.passes ? 0 : 1
    }

    /// `SOURCE_DATE_EPOCH`, the reproducible-builds convention, when set.
    static func generationInstant(_ env: [String: String]) throws(AttestError) -> Date? {
        guard let text = env["SOURCE_DATE_EPOCH"], !text.isEmpty else { return nil }
        guard let n = Int(text), n >= 0 else {
            throw .usage("SOURCE_DATE_EPOCH='\(text)' is not a whole number of seconds since 1970; unset it or give one")
        }
        return Date(timeIntervalSince1970: TimeInterval(n))
    }
}
