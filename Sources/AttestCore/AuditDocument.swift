import Foundation

extension Audit {
    /// `evidence-mismatch`: the evidence folder's `SHA256SUMS` digest against `Attest-Evidence`
    /// (and the document's manifest digest), and each evidence file against the document's steps.
    static func evidenceFlags(signoff: AuditCommit, claim: SignoffClaim?, evidence: EvidenceDigests?, quarter: Quarter) -> [FlagDetail] {
        var flags: [FlagDetail] = []
        func mismatch(_ s: String) { flags.append(FlagDetail(flag: .evidenceMismatch, commit: signoff.id, detail: s)) }
        guard let evidence else { mismatch("no evidence folder for \(quarter) under --evidence-root"); return flags }
        if evidence.files.isEmpty {
            mismatch("the evidence folder \(evidence.folder) is missing or empty; the evidence cannot be matched to the sign-off")
            return flags
        }
        guard let manifest = evidence.manifestSHA256 else {
            mismatch("\(evidence.folder)/SHA256SUMS is missing; the evidence cannot be matched to the sign-off")
            return flags
        }
        if let recorded = claim?.trailers?.evidenceSHA256, recorded != manifest {
            mismatch("\(evidence.folder)/SHA256SUMS has SHA-256 \(manifest), but the sign-off \(signoff.shortID) recorded Attest-Evidence: \(recorded)")
        }
        flags += documentEvidenceFlags(signoff: signoff, evidence: evidence, manifest: manifest)
        return flags
    }
}
