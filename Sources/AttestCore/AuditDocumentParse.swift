import Foundation

extension Audit {
    /// The signed attestation file, parsed (DESIGN.md §4.4); nil with the parser's message when
    /// it does not parse.
    static func parsedDocument(_ data: Data, path: String) -> (AttestationDocument?, String?) {
        guard let text = String(data: data, encoding: .utf8) else { return (nil, "\(path) is not UTF-8 text") }
        do { return (try AttestationDocument.parse(text, path: path), nil) } catch { return (nil, error.description) }
    }

    /// Each evidence file's digest against the signed document's step rows, and the manifest
    /// against the document's manifest digest.
    static func documentEvidenceFlags(signoff: AuditCommit, evidence: EvidenceDigests, manifest: String) -> [FlagDetail] {
        guard let data = signoff.document else { return [] }
        let (parsed, _) = parsedDocument(data, path: "document")
        guard let doc = parsed else { return [] }  // already reported as incomplete-document
        var flags: [FlagDetail] = []
        func mismatch(_ s: String) { flags.append(FlagDetail(flag: .evidenceMismatch, commit: signoff.id, detail: s)) }
        if doc.manifestSHA256 != manifest {
            mismatch("\(evidence.folder)/SHA256SUMS has SHA-256 \(manifest), but the signed document records \(doc.manifestSHA256)")
        }
        for s in doc.steps.sorted(by: { $0.step < $1.step }) where s.status != .error {
            guard let c = Controls.step(s.step) else { continue }
            guard let actual = evidence.files[c.evidenceFile] else {
                mismatch("step \(s.step) (\(c.control)): \(evidence.folder)/\(c.evidenceFile) is missing")
                continue
            }
            if actual != s.evidenceSHA256 {
                mismatch("step \(s.step) (\(c.control)): \(evidence.folder)/\(c.evidenceFile) has SHA-256 \(actual), the signed document records \(s.evidenceSHA256)")
            }
        }
        return flags
    }
}
