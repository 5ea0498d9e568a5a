import Foundation

extension Audit {
    /// The signed attestation file, parsed (DESIGN.md §4.4); nil with the parser's message when
    /// it does not parse.
    static func parsedDocument(_ data: Data, path: String) -> (AttestationDocument?, String?) {
        guard let text = String(data: data, encoding: .utf8) else { return (nil, "\(path) is not UTF-8 text") }
        do { return (try AttestationDocument.parse(text, path: path), nil) } catch { return (nil, error.description) }
    }

    /// Checks that need the attestation file parsed: it parses, names the quarter, has all
    /// seven steps and nothing that would have stopped `attest sign`, and agrees with the
    /// trailers on the result and the evidence manifest.
    static func parsedDocumentFlags(_ data: Data, signoff: AuditCommit, claim: MessageClaim?, quarter: Quarter, path: String) -> [FlagDetail] {
        var flags: [FlagDetail] = []
        func incomplete(_ s: String) { flags.append(FlagDetail(flag: .incompleteDocument, commit: signoff.id, detail: s)) }
        let (parsed, problem) = parsedDocument(data, path: path)
        guard let doc = parsed else {
            incomplete("the signed file does not parse: \(problem ?? "unknown error")")
            return flags
        }
        if doc.quarter != quarter { incomplete("\(path) says Quarter \(doc.quarter), not \(quarter)") }
        for p in doc.signingProblems() where !(doc.result == .blocked && p.contains("the result is blocked")) {
            incomplete("\(path) as signed in \(signoff.shortID): \(p)")
        }
        if doc.result == .blocked && claim?.trailers?.result != .blocked {
            flags.append(FlagDetail(flag: .blockedResult, commit: signoff.id, detail: "\(path) as signed in \(signoff.shortID) records the result blocked"))
        }
        if let t = claim?.trailers {
            if t.result != doc.result {
                incomplete("\(signoff.shortID): Attest-Result is \(t.result.rawValue) but \(path) says \(doc.result.rawValue)")
            }
            if t.evidenceSHA256 != doc.manifestSHA256 {
                incomplete("\(signoff.shortID): Attest-Evidence is \(t.evidenceSHA256) but \(path) records the manifest SHA-256 \(doc.manifestSHA256)")
            }
        }
        return flags
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
