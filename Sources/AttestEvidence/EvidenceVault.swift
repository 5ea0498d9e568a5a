import Foundation
import AttestCore
import AttestGit
import AttestVerification
import AttestCrypto

/// Sealed evidence (issue #18, docs/evidence.md): the quarter's evidence folder packed into a
/// deterministic ustar, sealed as CMS AuthEnvelopedData (AES-256-GCM) to the recipient
/// certificates of `evidence.recipients`, kept as a blob under `refs/attest/evidence/YYYY-QN`
/// and bound to the sign-off by the `Attest-Sealed-Evidence` trailer.
///
/// This file holds what is read without a key (the state of a quarter's sealed evidence against
/// its sign-off, the signatures of the evidence commits, the retention); EvidenceVault+Seal.swift
/// seals, opens, reseals and disposes; SealedEvidenceAudit.swift is audit's and verify's reading;
/// EvidenceGate.swift the push gate's rules. Errors are `EvidenceVaultError`: the fact, never the
/// remedy (AttestCLI's ErrorReport.swift adds it).
public struct EvidenceVault {
    public let repository: AttestGit.Repository
    public let root: String
    public let policy: Policy
    public let environment: [String: String]

    public init(repository: AttestGit.Repository, root: String, policy: Policy, environment: [String: String]) {
        self.repository = repository
        self.root = root
        self.policy = policy
        self.environment = environment
    }

    /// The sign-off trailer naming the sealed blob's git object id.
    public static let sealedTrailer = "Attest-Sealed-Evidence"

    /// The folder disposition records are committed in: `<attest.folder>/dispositions/YYYY-QN.md`.
    public func dispositionPath(_ q: Quarter) -> String { policy.attestationFolder + "/dispositions/\(q).md" }

    // MARK: SHA256SUMS

    /// Checks files against their `SHA256SUMS` (`sha256sum -c` format) and that file against
    /// the sign-off's `Attest-Evidence`; the problems, each naming the file (empty: all match).
    public static func digestProblems(_ files: [String: Data], evidenceSHA256: String, where place: String) -> [String] {
        guard let sums = files[EvidenceFolderName.sums] else { return ["\(place) has no SHA256SUMS"] }
        var problems: [String] = []
        if (try? SHA256.hex(of: sums)) != evidenceSHA256 {
            problems.append("SHA256SUMS in \(place) is not the one the sign-off's Attest-Evidence names (\(evidenceSHA256.prefix(16))…)")
        }
        var listed = Set<String>()
        for (n, line) in String(decoding: sums, as: UTF8.self).split(separator: "\n").enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { problems.append("SHA256SUMS line \(n + 1) is not '<sha256>  <file>'"); continue }
            var name = String(parts[1])
            if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
            listed.insert(name)
            guard let data = files[name] else { problems.append("SHA256SUMS line \(n + 1): \(name) is missing from \(place)"); continue }
            if (try? SHA256.hex(of: data)) != String(parts[0]) {
                problems.append("SHA256SUMS line \(n + 1): \(name) in \(place) does not match its digest")
            }
        }
        for name in files.keys.sorted() where name != EvidenceFolderName.sums && !listed.contains(name) {
            problems.append("\(name) in \(place) is not listed in SHA256SUMS")
        }
        return problems
    }

    /// The file names a SHA256SUMS lists.
    public static func listedNames(_ sums: Data) -> Set<String> {
        Set(String(decoding: sums, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            var name = String(parts[1])
            if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
            return name
        })
    }

    // MARK: retention

    /// When the retention of `q`'s sealed evidence ends: `evidence.retentionYears` after the
    /// quarter's hard close.
    public func retentionEnds(_ q: Quarter) -> Date {
        let closes = Schedule(policy: policy).window(for: q).closes
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(byAdding: .year, value: policy.evidenceRetentionYears, to: closes) ?? closes
    }

    // MARK: checking without a key (verify, audit, hooks)

    public enum State: Equatable {
        /// No evidence ref, and the sign-off names no sealed blob.
        case notSealed
        /// The sign-off names a sealed blob, but there is no evidence ref here (a clone that did
        /// not fetch refs/attest/evidence/*).
        case refMissing(blob: String)
        /// The ref's tip holds the signed blob, or recorded reseals of it.
        case matches(blob: String, reseals: Int)
        /// A ref the sign-off does not bind (signed before sealing, and not an attest seal).
        case unbound(blob: String)
        /// The ref holds something other than what was signed.
        case mismatch(String)
        /// Disposed of under policy: the record is on the branch.
        case disposed(record: String)
    }

    /// What is in git for `q` against the sign-off's message and Attest-Evidence, without a key.
    ///
    /// The tip matches when its blob is the one `Attest-Sealed-Evidence` names, or when it is a
    /// chain of reseal commits back to that blob, each recording the blob it replaced and the
    /// same `Attest-Evidence`. A sign-off signed before sealing (no trailer) is bound by the
    /// first seal commit's `Attest-Evidence`. Anything else on the ref is a mismatch.
    public func state(_ q: Quarter, signoffMessage: String, evidenceSHA256: String, revision: String = "HEAD") throws(EvidenceVaultError) -> State {
        let signed = Self.trailer(Self.sealedTrailer, signoffMessage)
        guard let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) else {
            if let head = try? repository.resolveCommit(revision),
               (try? repository.blobID(at: dispositionPath(q), inCommit: head)) ?? nil != nil {
                return .disposed(record: dispositionPath(q))
            }
            return signed.map { .refMissing(blob: $0) } ?? .notSealed
        }
        let ref = EvidenceRef.name(q)
        var at = tip, reseals = 0
        while true {
            let e = try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: at) })
            let msg = try rawMessage(at)
            let action = Self.trailer("Attest-Evidence-Action", msg)
            guard let blob = e.blob, contains(blob) else {
                return signed == nil && reseals == 0 ? .unbound(blob: "none") : .mismatch("\(ref) commit \(at.short) holds no \(EvidenceRef.blobPath(q)) blob here")
            }
            if let signed, blob.hex == signed { return .matches(blob: signed, reseals: reseals) }
            let wellFormed = action != nil && Self.trailer("Attest-Sealed-Blob", msg) == blob.hex
            if wellFormed, Self.trailer("Attest-Evidence", msg) != evidenceSHA256 {
                return .mismatch("\(ref) commit \(at.short) seals evidence whose SHA256SUMS is not the sign-off's Attest-Evidence")
            }
            let parents = try gitRead({ () throws(GitError) in try repository.commitLinks(at) }).parents
            if wellFormed, action == "reseal", let previous = Self.trailer("Attest-Previous-Blob", msg), let parent = parents.first,
               try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: parent) }).blob?.hex == previous {
                reseals += 1
                at = parent
                continue
            }
            if signed == nil {
                if wellFormed, action == "seal", parents.isEmpty { return .matches(blob: blob.hex, reseals: reseals) }
                return reseals == 0 ? .unbound(blob: blob.hex) : .mismatch("\(ref): a reseal chain that does not end in an attest seal commit")
            }
            return .mismatch("the sealed blob in \(ref) (\(blob.short), commit \(at.short)) is not the one the sign-off names (\(signed!.prefix(12))) nor a recorded reseal of it")
        }
    }

    private func contains(_ blob: ObjectID) -> Bool { repository.contains(blob) }

    // MARK: signatures of evidence commits

    /// The commits `state` matched for `.matches(_, reseals: n)`: the ref's tip and its first
    /// parents, n + 1 of them (the reseals, then the commit holding the signed blob).
    public func matchedChain(_ q: Quarter, reseals: Int) throws(EvidenceVaultError) -> [ObjectID] {
        guard var at = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) else { return [] }
        var out = [at]
        while out.count <= reseals, let parent = try gitRead({ () throws(GitError) in try repository.commitLinks(at) }).parents.first {
            out.append(parent); at = parent
        }
        return out
    }

    /// The signature rule of sign-offs (SignoffRules.signature: a signature present must verify
    /// against the allowed signers; with signing.required one must be present) on each evidence
    /// commit, the key judged at its committer date (a reseal is made whenever an auditor is
    /// added). One line per commit that breaks it, naming the commit and what to do.
    public func signatureProblems(_ q: Quarter, commits: [ObjectID], inspector: SignoffInspector) throws(EvidenceVaultError) -> [String] {
        var out: [String] = []
        for id in commits {
            guard let (raw, why) = try signatureViolation(id, inspector: inspector) else { continue }
            let action = Self.trailer("Attest-Evidence-Action", raw.message) ?? "evidence"
            out.append("\(EvidenceRef.name(q)) \(action) commit \(id.short) by \(raw.committer.name) <\(raw.committer.email)>: \(why)")
        }
        return out
    }

    /// Why commit `id`'s signature breaks the sign-offs' signature rule, or nil when it holds.
    public func signatureViolation(_ id: ObjectID, inspector: SignoffInspector) throws(EvidenceVaultError) -> (RawCommit, String)? {
        let raw = try gitRead({ () throws(GitError) in try repository.rawCommit(id) })
        return SignoffRules.signature(inspector.signature(of: raw, window: nil), policy: inspector.policy).violation.map { (raw, $0.message) }
    }

    public func rawMessage(_ id: ObjectID) throws(EvidenceVaultError) -> String {
        try gitRead({ () throws(GitError) in try repository.rawCommit(id) }).message
    }

    public static func trailer(_ key: String, _ message: String) -> String? {
        Trailers.parse(message).last { $0.key == key }?.value
    }

    /// "CN=Olive Operator (EC P-256, sha256 …)" for each certificate at the tip of `q`'s evidence ref.
    public func recipientSubjects(_ q: Quarter) throws(EvidenceVaultError) -> [String] {
        guard let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) else { return [] }
        return try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: tip) }).recipients.map { r in
            (try? RecipientCertificate.load(pem: r.pem, name: r.name)).map { "\($0.subject) (\($0.keyType), sha256 \($0.fingerprint.prefix(16))…)" } ?? r.name
        }
    }

    func gitRead<T>(_ body: () throws(GitError) -> T) throws(EvidenceVaultError) -> T {
        do { return try body() } catch { throw .git(error) }
    }
}

/// Names in an evidence folder (EvidenceFolderWriter's, without depending on AttestControls' writer).
public enum EvidenceFolderName {
    public static let sums = "SHA256SUMS"
}
