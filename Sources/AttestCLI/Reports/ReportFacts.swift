import Foundation
import AttestCore
import AttestEvidence

/// What every report format states per quarter beyond the verdict (issue #19), decided once
/// here so that text, markdown, HTML and JSON cannot disagree: pass or fail, the signature and
/// its verified signer, the git identity as claimed, the time basis, the policy the quarter was
/// judged under, and the state of its evidence.
///
/// The command fills `ReportContext` (it owns git and the crypto); `QuarterFacts` is pure.
struct ReportContext {
    /// The instant the report was generated (the clock, or `SOURCE_DATE_EPOCH` for a packet).
    var generatedAt: Date
    /// Verified signers by commit id, for the commits whose signature the audit judged good.
    var signers: [String: VerifiedSigner] = [:]
    /// Where each quarter's judging policy came from.
    var judging: [Quarter: JudgingPolicy] = [:]
    /// `--evidence-root` when given.
    var evidenceRoot: String?
    /// `refs/attest/evidence/YYYY-QN` refs present in the repository, by quarter (issue #18;
    /// nothing reads the sealed blob yet).
    var evidenceRefs: [Quarter: String] = [:]
    /// What was checked of each quarter's sealed evidence (SealedEvidenceAudit).
    var sealedEvidence: [Quarter: SealedEvidenceReport] = [:]
    /// The quarters whose trusted time is no longer proven by a token or a renewal covering it
    /// (docs/tsa.md, "Renewal"): the period fails, in every format.
    var renewalsLost: [Quarter] = []
}

/// A signature that held: the principal(s) the allowed-signers file lists for the key, the
/// key's fingerprint, and the file line that admitted it.
struct VerifiedSigner: Equatable {
    var principals: [String]
    /// `ssh-ed25519 SHA256:…`, or the OpenPGP key id and user id gpg reported.
    var key: String
    /// `.attest/allowed_signers@<commit>:<line>`, or "gpg keyring".
    var source: String

    var principal: String { principals.joined(separator: ",") }
}

/// The policy a quarter was judged under, and which commits it was read from.
///
/// The audit judges a sign-off under the policy in force when it was signed
/// (`SignoffRules.policyInForce`: `.attestconfig` at its parent, tightened by its own): the
/// window, `signing.required` and `tsa.required` come from there; signatures are checked
/// against the allowed-signers file at the audited revision; the TSA CA is read at the
/// sign-off commit. `JudgingPolicy.derive` is the one place that says so.
struct JudgingPolicy: Equatable {
    /// The commit whose `.attestconfig` gave the window.
    var windowFrom: String?
    /// The commit whose `.attestconfig` gave signing.required / tsa.required and whose
    /// allowed-signers file judged signatures.
    var rulesFrom: String
    var signingRequired: Bool
    var tsaRequired: Bool
    var allowedSignersFile: String
    /// `tsa.caFile` and the commit it was read from, when the sign-off carries a token.
    var tsaCA: (path: String, commit: String)?

    static func == (a: JudgingPolicy, b: JudgingPolicy) -> Bool {
        a.windowFrom == b.windowFrom && a.rulesFrom == b.rulesFrom && a.signingRequired == b.signingRequired
            && a.tsaRequired == b.tsaRequired && a.allowedSignersFile == b.allowedSignersFile
            && a.tsaCA?.path == b.tsaCA?.path && a.tsaCA?.commit == b.tsaCA?.commit
    }

    /// One sentence for the reports.
    var text: String {
        var s = windowFrom.map { "policy in force at \($0.prefix(12)) (its parent's .attestconfig, tightened by its own)" } ?? "policy at the audited revision"
        s += ": signing.required = \(signingRequired), tsa.required = \(tsaRequired); signers from \(allowedSignersFile) at \(rulesFrom.prefix(12))"
        if let ca = tsaCA { s += "; TSA CA \(ca.path) at \(ca.commit.prefix(12))" }
        return s
    }
}

/// The evidence state of a quarter, in the words every format uses.
enum EvidenceState: String {
    /// No `--evidence-root`: nothing was compared.
    case notChecked = "not-checked"
    /// The local evidence folder matches the digests the sign-off committed.
    case matchesLocal = "checked-local-match"
    /// The local evidence folder differs (flag evidence-mismatch).
    case differsLocal = "checked-local-mismatch"
}

/// The facts of one quarter as every report states them.
struct QuarterFacts {
    enum Signature: Equatable {
        case unsigned
        case verified(VerifiedSigner)
        case bad(String)
        /// Signed, but the audit did not judge the signature (signing.required is false and
        /// nothing could verify it).
        case unverified

        /// The JSON name (docs/audit-json.md).
        var state: String {
            switch self {
            case .unsigned: return "unsigned"
            case .verified: return "verified"
            case .bad: return "bad-signature"
            case .unverified: return "not-verified"
            }
        }
    }

    let quarter: QuarterReport
    let signature: Signature?
    let judging: JudgingPolicy?
    let evidence: EvidenceState
    let evidenceFolder: String?
    let sealed: String
    /// The JSON `sealed` value: not-sealed, sealed-unopened, sealed-mismatch, sealed-opened-match,
    /// sealed-opened-mismatch, ref-missing, disposed (docs/audit-json.md).
    let sealedState: String

    init(_ q: QuarterReport, context x: ReportContext) {
        quarter = q
        if let so = q.signoff {
            switch so.signature {
            case .none: signature = .unsigned
            case .present: signature = .unverified
            case .bad(let why): signature = .bad(why)
            case .good(let s): signature = .verified(x.signers[so.id] ?? VerifiedSigner(principals: [s], key: "", source: ""))
            }
        } else { signature = nil }
        judging = x.judging[q.quarter]
        if let root = x.evidenceRoot {
            evidence = q.flags.contains { $0.flag == .evidenceMismatch } ? .differsLocal : .matchesLocal
            evidenceFolder = root + "/" + q.quarter.description
        } else {
            evidence = .notChecked
            evidenceFolder = nil
        }
        sealedState = x.sealedEvidence[q.quarter]?.state ?? (x.evidenceRefs[q.quarter] == nil ? "not-sealed" : "sealed-unopened")
        sealed = x.sealedEvidence[q.quarter]?.text ?? x.evidenceRefs[q.quarter].map { "sealed evidence ref refs/attest/evidence/\(q.quarter) present (\($0.prefix(12))), not opened" }
            ?? "not sealed (no refs/attest/evidence/\(q.quarter))"
    }

    /// PASS or FAIL: on-time with no flag, nothing else passes.
    var result: String { quarter.passes ? "PASS" : "FAIL" }

    /// "on-time, FAIL (flagged unsigned)": a flagged quarter never reads as passed.
    var verdictLine: String {
        quarter.passes ? "\(quarter.verdict.rawValue), PASS"
            : "\(quarter.verdict.rawValue), FAIL" + (quarter.flags.isEmpty ? "" : " (flagged \(ReportParts.flagsText(quarter)))")
    }

    /// The verified signer in words: "nina@raxx.example, key ssh-ed25519 SHA256:…".
    var signerText: String {
        guard let signature else { return "no sign-off" }
        switch signature {
        case .unsigned: return "unsigned"
        case .unverified: return "signed, not verified (no allowed-signers file judged it)"
        case .bad(let why): return "bad signature: \(why)"
        case .verified(let s): return s.key.isEmpty ? "verified: \(s.principal)" : "verified: \(s.principal), key \(s.key)"
        }
    }

    /// The git identity, which anyone can set: always labelled as claimed.
    var claimedText: String {
        guard let so = quarter.signoff else { return "-" }
        return "\(so.author.name) <\(so.author.email)> (claimed git author; not proof of who signed)"
    }

    var evidenceText: String {
        switch evidence {
        case .notChecked: return "not checked (no --evidence-root); \(sealed)"
        case .matchesLocal: return "checked against the local folder \(evidenceFolder ?? ""): matches the committed digests; \(sealed)"
        case .differsLocal: return "checked against the local folder \(evidenceFolder ?? ""): DIFFERS from the committed digests; \(sealed)"
        }
    }

    var policyText: String { judging?.text ?? "defaults (no sign-off)" }

    /// The JSON object for `signature` in docs/audit-json.md.
    var signatureJSON: Any {
        guard let signature else { return NSNull() }
        var d: [String: Any] = ["state": signature.state, "principal": NSNull(), "key": NSNull(), "source": NSNull(), "reason": NSNull()]
        switch signature {
        case .verified(let s):
            d["principal"] = s.principal
            d["key"] = s.key.isEmpty ? NSNull() : s.key
            d["source"] = s.source.isEmpty ? NSNull() : s.source
        case .bad(let why): d["reason"] = why
        default: break
        }
        return d
    }

    var judgingJSON: Any {
        guard let j = judging else { return NSNull() }
        return [
            "windowFrom": j.windowFrom ?? NSNull(), "rulesFrom": j.rulesFrom, "signingRequired": j.signingRequired,
            "tsaRequired": j.tsaRequired, "allowedSignersFile": j.allowedSignersFile,
            "tsaCA": j.tsaCA.map { ["path": $0.path, "commit": $0.commit] as [String: Any] } ?? NSNull(),
            "text": j.text,
        ] as [String: Any]
    }

    var evidenceJSON: [String: Any] {
        ["state": evidence.rawValue, "folder": evidenceFolder ?? NSNull(),
         "sealed": sealedState, "detail": evidenceText]
    }
}
