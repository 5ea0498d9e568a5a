import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestCrypto
import AttestEvidence

/// `attest evidence`: the quarter's sealed evidence (issue #18, docs/evidence.md). The work is
/// in `EvidenceVault`; this file parses options and prints.
struct EvidenceCommand: Command {
    static let name = "evidence"
    static let summary = "seal a quarter's evidence to the recipients, open it, add a recipient, dispose of it after retention"
    static let help = """
    The evidence folder of a signed quarter, sealed in the repository for the retention period
    (runbook §5): a deterministic ustar of the folder, encrypted as CMS AuthEnvelopedData
    (AES-256-GCM) to every certificate of evidence.recipients (default .attest/recipients/*.pem,
    RSA or EC P-256), kept as YYYY-QN.p7m in a commit under refs/attest/evidence/YYYY-QN and
    named by the sign-off's Attest-Sealed-Evidence trailer ('attest sign' seals by itself when
    recipients are configured). An auditor opens it with OpenSSL alone:

      git cat-file blob refs/attest/evidence/2026-Q1:2026-Q1.p7m > 2026-Q1.p7m
      openssl cms -decrypt -inform DER -in 2026-Q1.p7m -recip auditor.pem -inkey auditor.key | tar -x && sha256sum -c SHA256SUMS

    Subcommands:
      seal      seal the evidence folder of a quarter signed before sealing was configured;
                the folder must match the sign-off's Attest-Evidence file by file
      open      decrypt with --key (and --cert), refuse a hostile archive (absolute paths, '..',
                links, devices, oversized entries) before writing anything, write the files
                0600 into --out (a new folder, 0700), and check every digest against SHA256SUMS
                and SHA256SUMS against the sign-off
      reseal    run by a current recipient with --key: seal the same archive to the ref's
                recipients plus --add-recipient CERT, appending a commit to the ref
      dispose   after evidence.retentionYears (default 7) from the quarter's hard close: commit
                a signed disposition record (<attest.folder>/dispositions/YYYY-QN.md) and
                delete the ref; before then always refused

    Then push the ref with the branch: git push origin main 'refs/attest/evidence/*'
    (after dispose: git push origin main :refs/attest/evidence/YYYY-QN).
    """
    static let helpFooter = """
    Exit codes: 0 done; 1 refused or a digest differs (the message says which file); 2 usage;
    3 repository, key or git problem.

    Examples:
      attest evidence seal --quarter 2026-Q1
      attest evidence open --quarter 2026-Q1 --key ~/keys/auditor.key --out /tmp/2026-Q1
      attest evidence reseal --quarter 2026-Q1 --key ~/keys/olive.key --add-recipient new-auditor.pem
      attest evidence dispose --quarter 2026-Q1
    """
    static let quarter = Option("quarter", value: "YYYY-QN", required: true, help: "the signed quarter whose evidence is sealed, opened, resealed or disposed of")
    static let evidence = Option("evidence", value: "DIR", help: "seal: the evidence folder (default: evidence/YYYY-QN, attest.evidenceRoot)")
    static let key = Option("key", value: "KEY", help: "open, reseal: a recipient's private key (PEM); it is never copied or printed")
    static let cert = Option("cert", value: "CERT", goesWith: key, help: "the key's certificate, to pick its recipient entry")
    static let out = Option("out", value: "DIR", help: "open: the folder to write the files into (new or empty; 0700, files 0600)")
    static let addRecipient = Option("add-recipient", value: "CERT", help: "reseal: the certificate (PEM) of the recipient to add")
    static let spec = ArgumentSpec(options: [quarter, evidence, key, cert, out, addRecipient],
                                   positionals: .subcommands([.init("seal"), .init("open"), .init("reseal"), .init("dispose")]))

    let action: String
    let quarter: Quarter
    let evidence: String?
    let key: String?
    let cert: String?
    let out: String?
    let addRecipient: String?

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        action = arguments.positionals[0]
        guard ["seal", "open", "reseal", "dispose"].contains(action) else {
            throw .usage("unknown evidence subcommand '\(action)'; use seal, open, reseal or dispose")
        }
        guard let q = arguments[Self.quarter] else { throw .usage("'evidence \(action)' needs --quarter YYYY-QN") }
        quarter = try Quarter(parsing: q)
        func absolute(_ p: String?) -> String? { p.map { Paths.resolve($0, against: context.workingDirectory) } }
        evidence = arguments[Self.evidence]
        key = absolute(arguments[Self.key]); cert = absolute(arguments[Self.cert])
        out = absolute(arguments[Self.out]); addRecipient = absolute(arguments[Self.addRecipient])
        if cert != nil && key == nil { throw .usage("--cert goes with --key") }
        if (action == "open" || action == "reseal") && key == nil { throw .usage("'evidence \(action)' needs --key KEY: a recipient's private key (PEM)") }
        if action == "open" && out == nil { throw .usage("'evidence open' needs --out DIR: a new folder for the files") }
        if action == "reseal" && addRecipient == nil { throw .usage("'evidence reseal' needs --add-recipient CERT") }
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let files = try QuarterFiles(context: context, quarter: quarter, evidence: evidence)
        let vault = EvidenceVault(repository: files.repository, root: files.root, policy: files.policy, environment: context.environment)
        let o = context.out
        let now = Date(timeIntervalSince1970: context.now.timeIntervalSince1970.rounded(.down))
        if action == "dispose" {
            let d = try reporting { try vault.dispose(quarter, at: now) }
            o.line("\(o.styled("disposed", .green)) \(quarter): sealed evidence \(d.blob?.short ?? "") removed under evidence.retentionYears = \(files.policy.evidenceRetentionYears); record \(d.path) committed in \(d.commit.hex)")
            o.line("next: git push origin \(d.branch) :\(EvidenceRef.name(quarter))")
            return 0
        }
        let signoff = try vault.gitCall({ () throws(GitError) in try files.repository.latestSignoff(for: quarter) })
        guard let signoff, let trailers = signoff.trailers else {
            throw .failed("\(quarter) has no sign-off on this branch; sealed evidence belongs to a signed quarter (attest sign --quarter \(quarter))")
        }
        switch action {
        case "seal":
            let p = try reporting { () throws(EvidenceVaultError) in
                try vault.prepareSeal(quarter, folder: files.evidenceFolder, evidenceSHA256: trailers.evidenceSHA256, signoff: signoff.id,
                                      recipients: try vault.recipients(), at: now)
            }
            try reporting { try vault.move(p, reason: "attest evidence seal") }
            o.line("\(o.styled("sealed", .green)) \(quarter): \(EvidenceRef.name(quarter)) \(p.evidence.commit.short), blob \(p.blob.hex), for \(English.count(p.recipients.count, "recipient")): \(p.recipients.map(\.subject).joined(separator: "; "))")
            o.line("next: git push origin \(EvidenceRef.name(quarter))")
        case "open":
            let opened = try reporting { () throws(EvidenceVaultError) in
                try vault.open(quarter, key: try EvidenceVault.Key.load(key: key!, cert: cert), evidenceSHA256: trailers.evidenceSHA256)
            }
            try reporting { try EvidenceVault.write(opened, to: out!) }
            guard opened.problems.isEmpty else {
                context.err.line("\(context.err.styled("evidence-mismatch", .red)) \(quarter): the files are in \(out!) but do not match the sign-off \(signoff.id.short):\n  " + opened.problems.joined(separator: "\n  "))
                return 1
            }
            o.line("\(o.styled("opened", .green)) \(quarter): \(opened.files.count) files from blob \(opened.blob.short) into \(out!); every digest matches SHA256SUMS, and SHA256SUMS the sign-off \(signoff.id.short)")
        default:
            let add = try reporting { try EvidenceVault.loadCertificate(addRecipient!) }
            let p = try reporting { () throws(EvidenceVaultError) in
                try vault.reseal(quarter, key: try EvidenceVault.Key.load(key: key!, cert: cert), add: add,
                                 evidenceSHA256: trailers.evidenceSHA256, at: now)
            }
            o.line("\(o.styled("resealed", .green)) \(quarter): \(EvidenceRef.name(quarter)) \(p.evidence.commit.short), blob \(p.blob.hex), now for \(p.recipients.count) recipients (added \(add.subject))")
            o.line("next: git push origin \(EvidenceRef.name(quarter))")
        }
        return 0
    }
}
