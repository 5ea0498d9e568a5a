import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestEvidence

/// What of the sealed evidence is tied to the command line: `attest sign`'s files and context,
/// `--key KEY [--cert CERT]`, and git errors in the commands' words. The work is
/// AttestEvidence's `EvidenceVault`; its errors are reported through `reporting { }`.
extension EvidenceVault {
    /// For `attest sign`: nil when `evidence.recipients` names no certificate; otherwise the
    /// sealed evidence commit, written but not referenced, whose blob the sign-off will name
    /// (`trailerLine`); `attest sign` moves the ref once the sign-off commit is made.
    static func prepareForSign(_ files: QuarterFiles, context: Context, evidenceSHA256: String, at now: Date) throws(AttestError) -> (vault: EvidenceVault, prepared: Prepared)? {
        let vault = EvidenceVault(repository: files.repository, root: files.root, policy: files.policy, environment: context.environment)
        let recipients = try reporting { try vault.recipients() }
        guard !recipients.isEmpty else { return nil }
        return (vault, try reporting {
            try vault.prepareSeal(files.quarter, folder: files.evidenceFolder, evidenceSHA256: evidenceSHA256, signoff: nil, recipients: recipients, at: now)
        })
    }

    func gitCall<T>(_ body: () throws(GitError) -> T) throws(AttestError) -> T {
        do { return try body() } catch { throw .environment("git: \(error.description)") }
    }
}

extension EvidenceVault.Key {
    /// `--key KEY [--cert CERT]` of a command line, relative to the working directory; nil without `--key`.
    static func load(_ arguments: ParsedArguments, key: Option, cert: Option, context: Context) throws(AttestError) -> EvidenceVault.Key? {
        func abs(_ p: String) -> String { Paths.resolve(p, against: context.workingDirectory) }
        guard let k = arguments[key] else {
            if arguments[cert] != nil { throw .usage("--cert goes with --key") }
            return nil
        }
        return try reporting { try load(key: abs(k), cert: arguments[cert].map(abs)) }
    }
}
