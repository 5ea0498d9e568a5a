import Foundation

extension Audit {
    /// `incomplete-document` and `blocked-result` for a sign-off: the trailers must be well
    /// formed and agree with the signed file (path, SHA-256), and the result must not be blocked.
    static func documentFlags(signoff: AuditCommit, claim: MessageClaim?, quarter: Quarter, path: String, file: String) -> [FlagDetail] {
        var flags: [FlagDetail] = []
        func incomplete(_ s: String) { flags.append(FlagDetail(flag: .incompleteDocument, commit: signoff.id, detail: s)) }
        if let problem = claim?.trailerProblem {
            incomplete("\(signoff.shortID): the sign-off trailers are malformed: \(problem)")
        } else if let t = claim?.trailers {
            if t.documentPath != path {
                incomplete("\(signoff.shortID): Attest-Document names \(t.documentPath), but the signed file is \(path)")
            }
            if let digest = signoff.documentSHA256, t.documentSHA256 != digest {
                incomplete("\(signoff.shortID): Attest-Document records SHA-256 \(t.documentSHA256), but \(file) as committed has \(digest)")
            }
            if t.result == .blocked {
                flags.append(FlagDetail(flag: .blockedResult, commit: signoff.id, detail: "\(signoff.shortID): Attest-Result is blocked; a blocked quarter is not attested"))
            }
        } else {
            incomplete("\(signoff.shortID) has the runbook's sign-off subject but no Attest-* trailers: the document's digest and result are not recorded in the commit")
        }
        if let data = signoff.document {
            flags += parsedDocumentFlags(data, signoff: signoff, claim: claim, quarter: quarter, path: path)
        }
        return flags
    }

    /// `evidence-mismatch`: the evidence folder's `SHA256SUMS` digest against `Attest-Evidence`
    /// (and the document's manifest digest), and each evidence file against the document's steps.
    static func evidenceFlags(signoff: AuditCommit, claim: MessageClaim?, evidence: EvidenceDigests?, quarter: Quarter) -> [FlagDetail] {
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
