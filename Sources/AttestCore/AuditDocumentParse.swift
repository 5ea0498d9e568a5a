import Foundation

extension Audit {
    /// Checks that need the attestation file parsed (filled in when the parser lands).
    static func parsedDocumentFlags(_ data: Data, signoff: AuditCommit, claim: MessageClaim?, quarter: Quarter, path: String) -> [FlagDetail] {
        []
    }

    /// Per-step evidence digests against the parsed document (filled in when the parser lands).
    static func documentEvidenceFlags(signoff: AuditCommit, evidence: EvidenceDigests, manifest: String) -> [FlagDetail] {
        []
    }
}
