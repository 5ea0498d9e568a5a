import Foundation
import AttestCore

/// `attest audit --format json`: the versioned schema of docs/audit-json.md. Every documented
/// key is always present; an absent value is `null`. Keys are sorted.
enum JSONReport {
    static let schemaVersion = 1

    static func render(_ r: AuditReport, _ x: ReportContext) -> String {
        let doc: [String: Any] = [
            "schemaVersion": schemaVersion,
            "tool": "attest \(AttestVersion.current)",
            "generatedAt": UTC.iso(x.generatedAt),
            "from": UTC.day(r.from),
            "to": UTC.day(r.to),
            "rev": r.revision,
            "revCommit": r.revisionID,
            "folder": r.folder,
            "pass": ReportParts.passes(r, x),
            "evidenceChecked": r.evidenceChecked,
            "shallow": r.shallow,
            "commitsWalked": r.commitsWalked,
            "commitsTouchingFolder": r.commitsTouchingFolder,
            "quarters": r.quarters.map { quarter(QuarterFacts($0, context: x)) },
            "folderCommits": r.folderCommits.map { ["commit": $0.id, "merge": $0.isMerge, "files": $0.files] as [String: Any] },
            "policyChanges": r.policyChanges.map { c in
                [
                    "commit": c.commit, "subject": c.subject, "author": person(c.author), "committer": person(c.committer),
                    "changes": c.changes.map { ["key": $0.key, "old": $0.old, "new": $0.new] },
                ] as [String: Any]
            },
        ]
        let data = try! JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func quarter(_ f: QuarterFacts) -> [String: Any] {
        let q = f.quarter
        return [
            "quarter": q.quarter.description,
            "result": f.result.lowercased(),
            "signedBy": f.signatureJSON,
            "claimedIdentity": q.signoff.map { ["name": $0.author.name, "email": $0.author.email, "note": "claimed by the commit, not proof of who signed"] as [String: Any] } ?? NSNull(),
            "policy": f.judgingJSON,
            "evidence": f.evidenceJSON,
            "file": q.path,
            "window": ["opens": UTC.iso(q.window.opens), "target": UTC.iso(q.window.target), "closes": UTC.iso(q.window.closes)],
            "verdict": q.verdict.rawValue,
            "verdictDetail": q.verdictDetail,
            "lateReason": q.lateReason ?? NSNull(),
            "timeBasis": ["kind": q.timeBasis.kind, "detail": q.timeBasis.detail],
            "flags": q.flagNames.map(\.rawValue),
            "flagDetails": q.flags.map { ["flag": $0.flag.rawValue, "commit": $0.commit ?? NSNull(), "detail": $0.detail] as [String: Any] },
            "signoff": q.signoff.map { s -> Any in
                [
                    "commit": s.id, "subject": s.subject, "author": person(s.author), "committer": person(s.committer),
                    "signature": s.signature.name, "signer": ReportParts.signer(s) ?? NSNull(),
                ] as [String: Any]
            } ?? NSNull(),
            "commits": q.commits.map { c in
                [
                    "commit": c.id, "subject": c.subject, "role": ReportParts.role(of: c, in: q), "change": c.change.rawValue,
                    "merge": c.parents.count > 1, "author": person(c.author), "committer": person(c.committer),
                ] as [String: Any]
            },
        ]
    }

    static func person(_ p: AuditPerson) -> [String: Any] { ["name": p.name, "email": p.email, "instant": UTC.iso(p.time)] }
}
