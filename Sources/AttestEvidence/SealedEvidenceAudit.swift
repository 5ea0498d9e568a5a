import Foundation
import AttestCore
import AttestGit
import AttestVerification
import AttestCrypto

/// What `audit` (and the packet's reports) say about each quarter's sealed evidence, and the
/// `evidence-mismatch` flags it adds (docs/evidence.md): without a key, the sealed blob in
/// `refs/attest/evidence/YYYY-QN` against the sign-off's `Attest-Sealed-Evidence`; with
/// `--key`, its contents against `SHA256SUMS` and `Attest-Evidence`.
public struct SealedEvidenceReport: Equatable, Sendable {
    /// The JSON `sealed` value (docs/audit-json.md).
    public let state: String
    /// The sentence every format prints.
    public let text: String
    /// The evidence commits from the ref's tip back to the signed blob, when every one carries an
    /// SSH signature that holds against the allowed signers (VERIFY.md checks them with git).
    public var sshSignedChain: [String] = []

    public init(state: String, text: String, sshSignedChain: [String] = []) {
        self.state = state; self.text = text; self.sshSignedChain = sshSignedChain
    }
}

public enum SealedEvidenceAudit {
    /// Judges every signed quarter of `report`, adding flags; returns the per-quarter facts.
    public static func apply(_ report: inout AuditReport, repository: AttestGit.Repository, policy: Policy,
                      key: EvidenceVault.Key?, environment: [String: String]) throws(EvidenceVaultError) -> [Quarter: SealedEvidenceReport] {
        let vault = EvidenceVault(repository: repository, root: repository.workdir ?? "", policy: policy, environment: environment)
        // Evidence commits are judged as sign-offs are: against the allowed signers at the audited revision.
        let inspector: SignoffInspector
        do { inspector = try SignoffInspector.forEvidence(repository, policy: policy, at: ObjectID(hex: report.revisionID)) } catch { throw .verification(error) }
        var out: [Quarter: SealedEvidenceReport] = [:]
        for i in report.quarters.indices {
            let q = report.quarters[i].quarter
            let ref = EvidenceRef.name(q)
            guard let so = report.quarters[i].signoff, let trailers = try? SignoffTrailers.parse(message: so.message) else {
                if try vault.gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) != nil {
                    out[q] = SealedEvidenceReport(state: "sealed-unopened", text: "sealed evidence ref \(ref) present, but no sign-off to bind it to")
                }
                continue
            }
            func flag(_ detail: String) {
                report.quarters[i].flags.append(FlagDetail(flag: .evidenceMismatch, commit: so.id, detail: detail))
            }
            switch try vault.state(q, signoffMessage: so.message, evidenceSHA256: trailers.evidenceSHA256, revision: report.revisionID) {
            case .notSealed:
                out[q] = SealedEvidenceReport(state: "not-sealed", text: "not sealed (no \(ref))")
            case .disposed(let record):
                out[q] = SealedEvidenceReport(state: "disposed", text: "disposed under policy (record \(record))")
            case .refMissing(let blob):
                out[q] = SealedEvidenceReport(state: "ref-missing", text: "the sign-off names sealed blob \(blob.prefix(12)), but \(ref) is not in this repository; fetch it: git fetch origin '\(EvidenceRef.prefix)*:\(EvidenceRef.prefix)*'")
            case .unbound(let blob):
                out[q] = SealedEvidenceReport(state: "sealed-unopened", text: "sealed evidence ref \(ref) present (blob \(blob.prefix(12))), not bound to the sign-off (no Attest-Sealed-Evidence, no attest seal commit), not opened")
            case .mismatch(let why):
                flag("sealed evidence: \(why)")
                out[q] = SealedEvidenceReport(state: "sealed-mismatch", text: "sealed evidence DIFFERS from the sign-off: \(why)")
            case .matches(let blob, let reseals):
                let how = "sealed blob \(blob.prefix(12)) as signed" + (reseals > 0 ? ", resealed \(reseals) time\(reseals == 1 ? "" : "s") since (recorded in \(ref))" : "")
                let chain = try vault.matchedChain(q, reseals: reseals)
                let unsigned = try vault.signatureProblems(q, commits: chain, inspector: inspector)
                var sshSigned = chain.map(\.hex)
                for id in chain {
                    let raw = try vault.gitRead({ () throws(GitError) in try repository.rawCommit(id) })
                    guard case .valid = inspector.signature(of: raw, window: nil), raw.signatureKind == .ssh else { sshSigned = []; break }
                }
                guard unsigned.isEmpty else {
                    for u in unsigned { flag("sealed evidence: \(u)") }
                    out[q] = SealedEvidenceReport(state: "sealed-mismatch", text: "\(how), but an evidence commit's signature does not hold: " + unsigned.joined(separator: "; "))
                    continue
                }
                guard let key else {
                    out[q] = SealedEvidenceReport(state: "sealed-unopened", text: "\(how); contents not opened (no --key)", sshSignedChain: sshSigned)
                    continue
                }
                do {
                    let opened = try vault.open(q, key: key, evidenceSHA256: trailers.evidenceSHA256)
                    if opened.problems.isEmpty {
                        out[q] = SealedEvidenceReport(state: "sealed-opened-match", text: "\(how); opened with \(key.name): every file matches SHA256SUMS and SHA256SUMS the sign-off", sshSignedChain: sshSigned)
                    } else {
                        flag("sealed evidence opened with \(key.name): " + opened.problems.joined(separator: "; "))
                        out[q] = SealedEvidenceReport(state: "sealed-opened-mismatch", text: "\(how); opened with \(key.name): DIFFERS: " + opened.problems.joined(separator: "; "))
                    }
                } catch {
                    flag("sealed evidence could not be opened with \(key.name): \(error.description)")
                    out[q] = SealedEvidenceReport(state: "sealed-opened-mismatch", text: "\(how); could not be opened with \(key.name) (not a recipient of this blob, or the blob was altered)")
                }
            }
        }
        return out
    }
}

extension EvidenceVault {
    /// For `attest verify`: the sign-off's sealed evidence without a key and, with `key`, its
    /// contents (every file against `SHA256SUMS`, `SHA256SUMS` against `Attest-Evidence`, the
    /// archive against its evidence commit), as `audit --key` checks them; nil when the quarter
    /// has none and names none and no key was given. `ok` is false for a mismatch, and with a
    /// key for evidence that is not here to open. A key that does not open the blob is an error
    /// naming the blob's recipients.
    public static func verifySealed(_ repo: AttestGit.Repository, policy: Policy, message: String, key: Key? = nil,
                             inspector: SignoffInspector, environment: [String: String]) throws(EvidenceVaultError) -> (ok: Bool, text: String)? {
        guard let trailers = try? SignoffTrailers.parse(message: message) else { return nil }
        let vault = EvidenceVault(repository: repo, root: repo.workdir ?? "", policy: policy, environment: environment)
        let q = trailers.quarter, ref = EvidenceRef.name(q)
        let fetch = "git fetch origin '\(EvidenceRef.prefix)*:\(EvidenceRef.prefix)*'"
        switch try vault.state(q, signoffMessage: message, evidenceSHA256: trailers.evidenceSHA256) {
        case .notSealed: return key.map { _ in (true, "\(q) has no sealed evidence (no \(ref), no Attest-Sealed-Evidence): --key has nothing to open") }
        case .disposed(let record): return (true, "sealed evidence disposed of under policy (\(record))" + (key == nil ? "" : "; --key has nothing to open"))
        case .refMissing(let blob):
            guard key != nil else { return (true, "sealed evidence \(blob.prefix(12)) named, but \(ref) is not here; fetch it: \(fetch)") }
            return (false, "sealed evidence \(blob.prefix(12)) named, but \(ref) is not here, so --key cannot open it; fetch it (\(fetch)) and run verify again")
        case .unbound(let blob): return (true, "\(ref) (blob \(blob.prefix(12))) is not bound to this sign-off" + (key == nil ? "" : "; not opened"))
        case .mismatch(let why): return (false, "evidence-mismatch: sealed evidence: \(why)")
        case .matches(let blob, let reseals):
            let how = "sealed evidence in \(ref): blob \(blob.prefix(12)) as signed\(reseals > 0 ? ", resealed \(reseals) time(s)" : "")"
            let unsigned = try vault.signatureProblems(q, commits: try vault.matchedChain(q, reseals: reseals), inspector: inspector)
            guard unsigned.isEmpty else { return (false, "evidence-mismatch: \(how), but " + unsigned.joined(separator: "; ")) }
            guard let key else { return (true, how) }
            let opened: Opened
            do { opened = try vault.open(q, key: key, evidenceSHA256: trailers.evidenceSHA256) } catch {
                throw .keyDoesNotOpen(error, ref: ref, recipients: try vault.recipientSubjects(q))
            }
            guard opened.problems.isEmpty else {
                return (false, "evidence-mismatch: \(how); opened with \(key.name): " + opened.problems.joined(separator: "; "))
            }
            return (true, "\(how); opened with \(key.name): \(opened.files.count) files, every file matches SHA256SUMS and SHA256SUMS the sign-off's Attest-Evidence")
        }
    }
}
