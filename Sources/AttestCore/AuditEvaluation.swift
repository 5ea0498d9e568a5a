import Foundation

/// The audit's judgement: facts in, verdicts and flags out. Pure.
public enum Audit {
    /// What a commit message says about sign-off: which quarter it signs (from the
    /// `Attest-Quarter` trailer, or the runbook's own subject line for a hand-made sign-off),
    /// whether it is an amendment (`Attest-Amends`), and any problem with its trailers.
    public struct MessageClaim: Sendable, Equatable {
        public var quarter: Quarter
        public var trailers: SignoffTrailers?
        /// The trailers name the quarter but are malformed.
        public var trailerProblem: String?
        public var isAmendment: Bool { trailers?.amends != nil }
    }

    public static func claim(ofMessage message: String) -> MessageClaim? {
        do {
            if let t = try SignoffTrailers.parse(message: message) {
                return MessageClaim(quarter: t.quarter, trailers: t, trailerProblem: nil)
            }
        } catch {
            // A sign-off whose trailers are broken still claims its quarter.
            if let q = Trailers.parse(message).first(where: { $0.key == "Attest-Quarter" }).flatMap({ try? Quarter(parsing: $0.value) }) {
                return MessageClaim(quarter: q, trailers: nil, trailerProblem: error.description)
            }
            return nil
        }
        // The runbook's Step 8 subject, typed by hand: "ops(compliance): Q1 2026 SOC-2 attestation sign-off".
        let subject = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let words = subject.split(separator: " ")
        if words.count == 6, words[0] == "ops(compliance):", words[1].count == 2, words[1].hasPrefix("Q"),
           let n = Int(words[1].dropFirst()), words[2].count == 4, let y = Int(words[2]),
           let q = try? Quarter(year: y, number: n), subject == SignoffTrailers.subject(for: q) {
            return MessageClaim(quarter: q, trailers: nil, trailerProblem: nil)
        }
        return nil
    }

    /// Whether a commit is a sign-off candidate for the quarter: it claims the quarter, is no
    /// amendment, and leaves the file in place.
    public static func isSignoffCandidate(_ message: String, change: FileChange, for quarter: Quarter) -> Bool {
        guard change != .deleted, change != .merged, let c = claim(ofMessage: message), c.quarter == quarter else { return false }
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
        let claim = claim(ofMessage: signoff.message)
        let w = signoff.window
        var flags: [FlagDetail] = []

        // The verdict rests on both instants: the later position of the two decides. A valid
        // RFC 3161 token adds a third instant that the signer could not choose (issue #7).
        var trusted: (time: Date, authority: String)?
        if case .valid(let time, let authority) = signoff.timestamp { trusted = (time, authority) }
        var positions = [w.position(of: signoff.author.time), w.position(of: signoff.committer.time)]
        if let trusted { positions.append(w.position(of: trusted.time)) }
        let verdict: AuditVerdict
        var detail: String
        var when = "committed \(UTC.human(signoff.committer.time)), authored \(UTC.human(signoff.author.time))"
        if let trusted { when += ", stamped \(UTC.human(trusted.time)) by TSA \(trusted.authority)" }
        let latest = max(signoff.author.time, signoff.committer.time, trusted?.time ?? .distantPast)
        let earliest = min(signoff.author.time, signoff.committer.time, trusted?.time ?? .distantFuture)
        if positions.contains(.late) {
            verdict = .late
            let after = latest.timeIntervalSince(w.closes)
            detail = "\(when): \(UTC.span(after)) after the hard close \(UTC.human(w.closes))"
            if let reason = claim?.trailers?.late { detail += "; declared late: \(reason)" } else { detail += "; not declared late (no Attest-Late trailer)" }
        } else if positions.contains(.early) {
            verdict = .early
            let before = w.opens.timeIntervalSince(earliest)
            detail = "\(when): \(UTC.span(before)) before the window opened \(UTC.human(w.opens))"
        } else {
            verdict = .onTime
            detail = "\(when): inside the window \(UTC.human(w.opens)) .. \(UTC.human(w.closes))"
        }
        if w != q.windowAtRevision {
            detail += " (window from the policy at the sign-off commit; the policy at the audited revision gives \(UTC.human(q.windowAtRevision.opens)) .. \(UTC.human(q.windowAtRevision.closes)))"
        }
        if let p = signoff.policyProblem { detail += "; .attestconfig at the sign-off could not be read (\(p)), defaults used" }

        // duplicate-signoff
        for other in candidates.dropFirst() {
            flags.append(FlagDetail(flag: .duplicateSignoff, commit: other.id,
                                    detail: "\(other.shortID) (\(UTC.human(other.committer.time)), \(other.author.name)) signs off \(q.quarter) again after \(signoff.shortID); an amendment must say so with Attest-Amends"))
        }

        // amended / deleted: every later change on the signed file's line.
        for c in q.commits where c.id != signoff.id && c.changesLineOf.contains(signoff.id)
            && !candidates.contains(where: { $0.id == c.id }) {
            let amends = Audit.claim(ofMessage: c.message)?.trailers?.amends
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

        // unsigned / bad-signature, as policy requires.
        if input.signatureRequired {
            let signed = [signoff] + q.commits.filter { c in c.changesLineOf.contains(signoff.id) && Audit.claim(ofMessage: c.message)?.isAmendment == true }
            for c in signed {
                switch c.signature {
                case .none:
                    flags.append(FlagDetail(flag: .unsigned, commit: c.id, detail: "\(c.shortID) carries no signature and signing.required is true"))
                case .bad(let reason):
                    flags.append(FlagDetail(flag: .badSignature, commit: c.id, detail: "\(c.shortID): \(reason)"))
                case .present:
                    flags.append(FlagDetail(flag: .badSignature, commit: c.id, detail: "\(c.shortID) is signed but the signature could not be verified against signing.allowedSigners"))
                case .good: break
                }
            }
        }

        // date-anomaly, on every commit that touched the file.
        let skew = TimeInterval(input.maxDateSkewHours) * 3600
        for c in q.commits {
            if let p = c.latestParentCommitterTime, c.committer.time < p {
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

        // untrusted-time: a token that does not hold, or none where policy requires one.
        switch signoff.timestamp {
        case .invalid(let why):
            flags.append(FlagDetail(flag: .untrustedTime, commit: signoff.id, detail: "\(signoff.shortID): \(why)"))
        case .absent where input.tsaRequired:
            flags.append(FlagDetail(flag: .untrustedTime, commit: signoff.id,
                                    detail: "\(signoff.shortID): missing timestamp token: no Attest-Timestamp trailer and tsa.required is true"))
        default: break
        }

        // incomplete-document and blocked-result, from the trailers and the signed file.
        flags += documentFlags(signoff: signoff, claim: claim, quarter: q.quarter, path: q.path, file: file)

        // evidence-mismatch
        if let evidence = input.evidence {
            flags += evidenceFlags(signoff: signoff, claim: claim, evidence: evidence[q.quarter], quarter: q.quarter)
        }

        return QuarterReport(quarter: q.quarter, path: q.path, window: w, verdict: verdict, verdictDetail: detail,
                             lateReason: verdict == .late ? claim?.trailers?.late : nil, flags: flags,
                             signoff: signoff, commits: q.commits,
                             timeBasis: trusted.map { TimeBasis.tsa(subject: $0.authority, time: $0.time) } ?? .gitDates)
    }

    /// A window-key change is shown on the first required quarter whose window closes at or
    /// after it (the first sign-off it could have helped), or on the last quarter.
    static func attributePolicyChanges(_ input: AuditInput, to quarters: inout [QuarterReport]) {
        guard !quarters.isEmpty else { return }
        let end = UTC.startOfDay(input.to).addingTimeInterval(86400)
        for change in input.policyChanges where change.committer.time >= UTC.startOfDay(input.from) && change.committer.time < end {
            let i = quarters.firstIndex { $0.window.closes >= change.committer.time } ?? quarters.count - 1
            let what = change.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", ")
            quarters[i].flags.append(FlagDetail(flag: .policyChanged, commit: change.commit,
                                                detail: "\(String(change.commit.prefix(12))) (\(UTC.human(change.committer.time)), \(change.author.name), \"\(change.subject)\") changed the window policy: \(what); each quarter is judged by the policy at its own sign-off commit"))
        }
    }
}
