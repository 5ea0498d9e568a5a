import Foundation

/// The audit's judgement: facts in, verdicts and flags out. Pure.
public enum Audit {
    /// Whether a commit is a sign-off candidate for the quarter: it claims the quarter
    /// (`SignoffClaim`, the one definition), is no amendment, and leaves the file in place.
    public static func isSignoffCandidate(_ message: String, change: FileChange, for quarter: Quarter) -> Bool {
        guard change != .deleted, change != .merged, let c = SignoffClaim(message: message), c.quarter == quarter else { return false }
        return !c.isAmendment
    }

    public static func evaluate(_ input: AuditInput) -> AuditReport {
        var quarters = input.quarters.map { evaluate($0, input: input) }
        attributePolicyChanges(input, to: &quarters)
        var report = AuditReport(from: input.from, to: input.to, revision: input.revision, revisionID: input.revisionID,
                           folder: input.folder, quarters: quarters, policyChanges: input.policyChanges,
                           evidenceChecked: input.evidence != nil, commitsWalked: input.commitsWalked,
                           commitsTouchingFolder: input.commitsTouchingFolder, folderCommits: input.folderCommits)
        report.shallow = input.shallow
        return report
    }

    static func evaluate(_ q: QuarterHistory, input: AuditInput) -> QuarterReport {
        let candidates = q.commits.filter { isSignoffCandidate($0.message, change: $0.change, for: q.quarter) }
        let file = (q.path as NSString).lastPathComponent
        guard let signoff = candidates.first else {
            let why = q.presentAtRevision
                ? "\(file) is present at the audited revision, but no commit signs it off (no Attest-Quarter: \(q.quarter) trailer)"
                : "no sign-off commit for \(q.quarter) and no \(file) at the audited revision; the window closed \(UTC.human(q.windowAtRevision.closes))"
            return QuarterReport(quarter: q.quarter, path: q.path, window: q.windowAtRevision, verdict: .missing,
                                 verdictDetail: why, lateReason: nil, flags: [], signoff: nil, commits: q.commits,
                                 timeBasis: .gitDates)
        }
        let claim = SignoffClaim(message: signoff.message)
        let w = signoff.window
        var flags: [FlagDetail] = []

        // The per-commit judgement is the judge's (SignoffRules.check, as sign, verify and the
        // hooks run it), under the policy in force at the sign-off; audit adds what needs history.
        let judgePolicy = policy(for: signoff, input: input, path: q.path)
        var judgeFacts = facts(of: signoff, now: input.now)
        // --evidence-root: the folder's digests are judged by the judge's `evidence` rule, once
        // the folder and its SHA256SUMS are there (their absence is flagged below).
        if let e = input.evidence?[q.quarter], !e.files.isEmpty, e.manifestSHA256 != nil {
            judgeFacts.evidence = EvidenceCheck(folder: e.folder, manifestSHA256: e.manifestSHA256,
                                                stepSHA256: Dictionary(uniqueKeysWithValues: Controls.all.compactMap { c in e.files[c.evidenceFile].map { (c.step, $0) } }),
                                                manifestMismatches: [])
            // Steps 8 and on: the files the catalogue in force names (issue #20).
            for c in judgeFacts.catalogue?.controls ?? [] {
                judgeFacts.evidence?.evidenceFiles[c.step] = c.evidenceFile
                judgeFacts.evidence?.stepSHA256[c.step] = e.files[c.evidenceFile]
                if !c.isBuiltIn { judgeFacts.evidence?.sqlSHA256[c.step] = e.files[(c.source as NSString).lastPathComponent] }
            }
        }
        let judged = SignoffRules.check(judgeFacts, policy: judgePolicy, window: w)
        for v in judged.violations {
            guard let flag = flag(for: v, signature: signoff.signature) else { continue }
            flags.append(FlagDetail(flag: flag, commit: signoff.id, detail: "\(signoff.shortID): [\(v.rule)] \(v.message)"))
        }

        var trusted: (time: Date, authority: String)?
        if case .valid(let time, let authority) = signoff.timestamp { trusted = (time, authority) }
        let verdict: AuditVerdict
        var detail: String
        var when = "committed \(UTC.human(signoff.committer.time)), authored \(UTC.human(signoff.author.time))"
        if let trusted { when += ", stamped \(UTC.human(trusted.time)) by TSA \(trusted.authority)" }
        let latest = max(signoff.author.time, signoff.committer.time, trusted?.time ?? .distantPast)
        let earliest = min(signoff.author.time, signoff.committer.time, trusted?.time ?? .distantFuture)
        switch judged.timing ?? .inside {
        case .late:
            verdict = .late
            let after = latest.timeIntervalSince(w.closes)
            detail = "\(when): \(UTC.span(after)) after the hard close \(UTC.human(w.closes))"
            if let reason = claim?.trailers?.late { detail += "; declared late: \(reason)" } else { detail += "; not declared late (no Attest-Late trailer)" }
        case .early:
            verdict = .early
            let before = w.opens.timeIntervalSince(earliest)
            detail = "\(when): \(UTC.span(before)) before the window opened \(UTC.human(w.opens))"
        case .inside:
            verdict = .onTime
            detail = "\(when): inside the window \(UTC.human(w.opens)) .. \(UTC.human(w.closes))"
        }
        if w != q.windowAtRevision {
            detail += " (window from the policy at the sign-off commit; the policy at the audited revision gives \(UTC.human(q.windowAtRevision.opens)) .. \(UTC.human(q.windowAtRevision.closes)))"
        }
        if let p = signoff.policyProblem { detail += "; .attestconfig at the sign-off could not be read (\(p)), defaults used" }
        detail += "; judged under the policy in force when it was signed (\(SignoffRules.describe(judgePolicy)))"

        // duplicate-signoff
        for other in candidates.dropFirst() {
            flags.append(FlagDetail(flag: .duplicateSignoff, commit: other.id,
                                    detail: "\(other.shortID) (\(UTC.human(other.committer.time)), \(other.author.name)) signs off \(q.quarter) again after \(signoff.shortID); an amendment must say so with Attest-Amends"))
        }

        // amended / deleted: every later change on the signed file's line.
        for c in q.commits where c.id != signoff.id && c.changesLineOf.contains(signoff.id)
            && !candidates.contains(where: { $0.id == c.id }) {
            let amends = SignoffClaim.amends(in: c.message)
            let how: String
            if let amends {
                how = amends.hasPrefix(String(signoff.id.prefix(7))) || signoff.id.hasPrefix(amends) ? "with Attest-Amends: \(amends)"
                    : "with Attest-Amends: \(amends), which does not name the sign-off \(signoff.shortID)"
            } else { how = "without an Attest-Amends trailer" }
            let who = "\(c.shortID) (\(UTC.human(c.committer.time)), \(c.author.name) <\(c.author.email)>, \"\(c.subject)\")"
            if c.change == .deleted {
                flags.append(FlagDetail(flag: .deleted, commit: c.id, detail: "\(who) deleted \(file) after its sign-off \(signoff.shortID), \(how)"))
            } else {
                flags.append(FlagDetail(flag: .amended, commit: c.id, detail: "\(who) changed \(file) after its sign-off \(signoff.shortID), \(how)"))
            }
        }
        if !q.presentAtRevision && !flags.contains(where: { $0.flag == .deleted }) {
            flags.append(FlagDetail(flag: .deleted, commit: nil, detail: "\(file) is not present at the audited revision although \(signoff.shortID) signed it off"))
        }

        // The amendments on the signed file's line are judged like sign-offs, by the same judge
        // (signature, trailers well formed and once each, document), under the policy in force
        // when each was made; the window rules make no verdict here (the amendment is flagged
        // `amended` above whatever its time).
        for c in q.commits where c.id != signoff.id && c.changesLineOf.contains(signoff.id) && SignoffClaim.amends(in: c.message) != nil {
            let judgedAmendment = SignoffRules.check(facts(of: c, now: input.now), policy: policy(for: c, input: input, path: q.path), window: c.window)
            for v in judgedAmendment.violations {
                guard let flag = flag(for: v, signature: c.signature) else { continue }
                flags.append(FlagDetail(flag: flag, commit: c.id, detail: "\(c.shortID) (amendment): [\(v.rule)] \(v.message)"))
            }
        }

        // date-anomaly, on every commit that touched the file.
        let skew = TimeInterval(input.maxDateSkewHours) * 3600
        for c in q.commits {
            // The sign-off's own order is the judge's `committer-order` rule above.
            if c.id != signoff.id, let p = c.latestParentCommitterTime, c.committer.time < p {
                flags.append(FlagDetail(flag: .dateAnomaly, commit: c.id,
                                        detail: "\(c.shortID) has committer date \(UTC.human(c.committer.time)), \(UTC.span(p.timeIntervalSince(c.committer.time))) before its parent's \(UTC.human(p)): it was made after its parent, so its date was set back"))
            }
            let gap = abs(c.author.time.timeIntervalSince(c.committer.time))
            if gap > skew {
                flags.append(FlagDetail(flag: .dateAnomaly, commit: c.id,
                                        detail: "\(c.shortID): author date \(UTC.human(c.author.time)) and committer date \(UTC.human(c.committer.time)) are \(UTC.span(gap)) apart (audit.maxDateSkewHours = \(input.maxDateSkewHours))"))
            }
        }
        if w.contains(signoff.committer.time), let d = signoff.firstDescendant, d.mergedFromSideLine,
           d.committerTime > w.closes, d.committerTime.timeIntervalSince(signoff.committer.time) > skew {
            flags.append(FlagDetail(flag: .dateAnomaly, commit: signoff.id,
                                    detail: "\(signoff.shortID) is dated \(UTC.human(signoff.committer.time)), inside the window, but sat on a side line: its earliest descendant, merge \(String(d.id.prefix(12))), is dated \(UTC.human(d.committerTime)), \(UTC.span(d.committerTime.timeIntervalSince(signoff.committer.time))) later and after the hard close"))
        }

        // evidence-mismatch: a folder or SHA256SUMS that is not there to judge.
        if let evidence = input.evidence {
            flags += evidenceFlags(signoff: signoff, evidence: evidence[q.quarter], quarter: q.quarter)
        }

        return QuarterReport(quarter: q.quarter, path: q.path, window: w, verdict: verdict, verdictDetail: detail,
                             lateReason: verdict == .late ? claim?.trailers?.late : nil, flags: flags,
                             signoff: signoff, commits: q.commits,
                             timeBasis: trusted.map { TimeBasis.tsa(subject: $0.authority, time: $0.time) } ?? .gitDates)
    }

    /// The policy that judges a commit: the one in force when it was made (`AuditCommit.policy`,
    /// filled by the git layer), else the audited revision's signing and TSA requirements.
    static func policy(for c: AuditCommit, input: AuditInput, path: String) -> Policy {
        if let p = c.policy { return p }
        var p = Policy()
        p.attestationFolder = (path as NSString).deletingLastPathComponent
        p.signatureRequired = input.signatureRequired
        p.tsaRequired = input.tsaRequired
        return p
    }

    /// The judge's facts for a commit of history.
    static func facts(of c: AuditCommit, now: Date) -> SignoffFacts {
        var f = SignoffFacts(commit: c.id, message: c.message, documentText: c.document.map { String(decoding: $0, as: UTF8.self) },
                             documentSHA256: c.documentSHA256, authorDate: c.author.time, committerDate: c.committer.time,
                             parentCommitterDates: c.latestParentCommitterTime.map { [$0] } ?? [], now: now,
                             signature: outcome(of: c.signature), timestamp: c.timestamp)
        f.catalogue = c.catalogue; f.catalogueOrigin = c.catalogueOrigin; f.catalogueProblem = c.catalogueProblem
        return f
    }

    static func outcome(of s: SignatureState) -> SignatureOutcome {
        switch s {
        case .none: return .unsigned
        case .present: return .unverifiable("the commit is signed but the signature could not be verified against signing.allowedSigners")
        case .good(let signer): return .valid(signer: signer)
        case .bad(let reason): return .invalid(reason)
        }
    }

    /// The audit flag a broken rule raises; nil for the window rules, which make the verdict.
    static func flag(for v: RuleViolation, signature: SignatureState) -> AuditFlag? {
        switch v.rule {
        case "signature": return signature == .none ? .unsigned : .badSignature
        case "untrusted-time": return .untrustedTime
        case "committer-order", "future": return .dateAnomaly
        case "blocked-result": return .blockedResult
        case "evidence": return .evidenceMismatch
        case "window-author", "window-committer", "window-timestamp", "late", "push-age": return nil
        default: return .incompleteDocument
        }
    }

    /// Whether a policy change makes a rule weaker: a wider window, a requirement turned off.
    static func weakened(_ change: PolicyChange) -> Bool {
        change.changes.contains { k in
            if let w = k.weakens { return w }
            switch k.key {
            case "signing.required", "tsa.required": return k.old == "true" && k.new == "false"
            case "window.openDaysBefore", "window.closeDaysAfter", "hook.maxSkewMinutes", "hook.maxSignoffAgeHours":
                return (Int(k.new) ?? 0) > (Int(k.old) ?? 0)
            default: return false
            }
        }
    }

    /// A window-key change is shown on the first required quarter whose window closes at or
    /// after it (the first sign-off it could have helped), or on the last quarter.
    static func attributePolicyChanges(_ input: AuditInput, to quarters: inout [QuarterReport]) {
        guard !quarters.isEmpty else { return }
        let end = UTC.startOfDay(input.to).addingTimeInterval(86400)
        // Placed by history (`PolicyChange.placed`), never by the date the commit claims.
        for change in input.policyChanges where change.placed >= UTC.startOfDay(input.from) && change.placed < end {
            let i = quarters.firstIndex { $0.window.closes >= change.placed } ?? quarters.count - 1
            let what = change.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", ")
            let short = String(change.commit.prefix(12))
            var when = UTC.human(change.committer.time)
            if change.placed > change.committer.time { when += ", entered history after \(UTC.human(change.placed))" }
            var weak = ""
            if weakened(change) {
                weak = change.named.isEmpty ? " (it weakens a rule); no \(PolicyChanges.trailer) trailer names it"
                    : " (it weakens a rule); \(PolicyChanges.trailer): \(change.named.joined(separator: "; "))"
            }
            quarters[i].flags.append(FlagDetail(flag: .policyChanged, commit: change.commit,
                                                detail: "\(short) (\(when), \(change.author.name), \"\(change.subject)\") changed the policy: \(what)\(weak); each quarter is judged by the policy in force when it was signed, and a change applies only to quarters whose window opens after it"))
            if let p = change.latestParentCommitterTime, let v = PolicyChanges.committerOrder(committerDate: change.committer.time, parentDates: [p]) {
                quarters[i].flags.append(FlagDetail(flag: .dateAnomaly, commit: change.commit, detail: "\(short) (a policy commit): [\(v.rule)] \(v.message)"))
            }
        }
    }
}
