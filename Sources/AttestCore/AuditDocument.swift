import Foundation

extension Audit {
    /// `evidence-mismatch` for evidence that is not there to judge: no folder for the quarter
    /// under `--evidence-root`, an empty one, or one without `SHA256SUMS`. The digests of one
    /// that is there are the judge's `evidence` rule.
    static func evidenceFlags(signoff: AuditCommit, evidence: EvidenceDigests?, quarter: Quarter) -> [FlagDetail] {
        func mismatch(_ s: String) -> [FlagDetail] { [FlagDetail(flag: .evidenceMismatch, commit: signoff.id, detail: s)] }
        guard let evidence else { return mismatch("no evidence folder for \(quarter) under --evidence-root") }
        if evidence.files.isEmpty {
            return mismatch("the evidence folder \(evidence.folder) is missing or empty; the evidence cannot be matched to the sign-off")
        }
        guard evidence.manifestSHA256 != nil else {
            return mismatch("\(evidence.folder)/SHA256SUMS is missing; the evidence cannot be matched to the sign-off")
        }
        return []
    }
}
