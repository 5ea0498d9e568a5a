import Foundation

/// One broken rule: its stable name, what is wrong, and what to do. `verify`, the push hooks
/// and `audit` all report these; `rule` names are listed in docs/verify.md.
public struct RuleViolation: Sendable, Equatable, Codable {
    public let rule: String
    public let message: String
    public let remedy: String
    /// The file the rule is about, when there is one.
    public let file: String?

    public init(rule: String, message: String, remedy: String, file: String? = nil) {
        self.rule = rule; self.message = message; self.remedy = remedy; self.file = file
    }

    /// `[window-committer] the committer date … is after the hard close …; to fix: …`
    public var line: String { "[\(rule)] \(message); to fix: \(remedy)" }
}

/// The outcome of checking a commit's signature, decided by the caller (which owns the
/// crypto and the allowed-signers file) and judged here against policy.
public enum SignatureOutcome: Sendable, Equatable {
    case unsigned
    /// Who signed, for reports: `olive@example.com (ssh-ed25519 SHA256:…)`.
    case valid(signer: String)
    /// Why the signature does not hold.
    case invalid(String)
    /// A signature is there but nothing to check it against (no allowed-signers file, no gpg):
    /// refused only when policy requires a signature.
    case unverifiable(String)
}

/// The outcome of checking an `Attest-Timestamp` token (RFC 3161), decided by the caller.
public enum TimestampOutcome: Sendable, Equatable {
    case absent
    /// The token is valid and says the document digest existed at `time`.
    case valid(time: Date, authority: String)
    case invalid(String)
}

/// Evidence recomputed from a folder (`verify --evidence DIR`).
public struct EvidenceCheck: Sendable, Equatable {
    public var folder: String
    /// SHA-256 of the folder's `SHA256SUMS`; nil when it is missing.
    public var manifestSHA256: String?
    /// Step number to the SHA-256 of its evidence file; a step whose file is missing is absent.
    public var stepSHA256: [Int: String]
    /// Lines of `SHA256SUMS` whose digest does not match the file beside it, as `file: why`.
    public var manifestMismatches: [String]
    /// Steps 8 and on (from the folder's results.json): step to evidence file name, and step to
    /// the SHA-256 of the control file copied beside it.
    public var evidenceFiles: [Int: String] = [:]
    public var sqlSHA256: [Int: String] = [:]

    public init(folder: String, manifestSHA256: String?, stepSHA256: [Int: String], manifestMismatches: [String]) {
        self.folder = folder; self.manifestSHA256 = manifestSHA256; self.stepSHA256 = stepSHA256
        self.manifestMismatches = manifestMismatches
    }
}

/// Everything about one sign-off commit that the rules judge, as plain values. The caller
/// gathers them from git (AttestCLI's `SignoffInspector`); audit and TSA work fill the same
/// struct from history and tokens.
public struct SignoffFacts: Sendable {
    public var commit: String
    public var message: String
    /// The file at the `Attest-Document` path in the commit's tree (nil when absent), and its
    /// SHA-256 as computed by the caller.
    public var documentText: String?
    public var documentSHA256: String?
    public var authorDate: Date
    public var committerDate: Date
    public var parentCommitterDates: [Date]
    public var now: Date
    public var signature: SignatureOutcome
    public var timestamp: TimestampOutcome
    public var evidence: EvidenceCheck?
    /// The catalogue in force at the sign-off's parent commit (issue #20), and where it was read
    /// (`the parent commit 1a2b3c4d5e6f`); nil when the caller did not gather it. A control file
    /// that cannot be read there is `catalogueProblem`.
    public var catalogue: Catalogue?
    public var catalogueOrigin = "the parent commit"
    public var catalogueProblem: String?

    public init(commit: String, message: String, documentText: String?, documentSHA256: String?, authorDate: Date,
                committerDate: Date, parentCommitterDates: [Date], now: Date, signature: SignatureOutcome = .unsigned,
                timestamp: TimestampOutcome = .absent, evidence: EvidenceCheck? = nil) {
        self.commit = commit; self.message = message; self.documentText = documentText; self.documentSHA256 = documentSHA256
        self.authorDate = authorDate; self.committerDate = committerDate; self.parentCommitterDates = parentCommitterDates
        self.now = now; self.signature = signature; self.timestamp = timestamp; self.evidence = evidence
    }
}

/// The verdict on one sign-off commit.
public struct SignoffReport: Sendable {
    public let commit: String
    /// What the message claims (nil when it claims no quarter at all).
    public let claim: SignoffClaim?
    public let trailers: SignoffTrailers?
    public let document: AttestationDocument?
    public let violations: [RuleViolation]
    /// Things that hold but an auditor should see: a declared late sign-off, an amendment.
    public let notes: [String]
    /// Where the sign-off falls against its window, from the author, committer and trusted
    /// instants together (`SignoffRules.timing`); nil when the message names no quarter.
    public let timing: WindowPosition?
    public var holds: Bool { violations.isEmpty }
}

/// The one definition of "this commit is a sign-off (or an amendment) for quarter Q": its
/// message carries an `Attest-Quarter` trailer, or Attest-* lines that are not a trailer block
/// git sees but name a quarter, or the runbook's sign-off subject
/// (`ops(compliance): QN YYYY SOC-2 attestation sign-off`). `sign` (earlier sign-offs), `verify`,
/// the hooks, `audit` and `status` all ask this and nothing else.
public struct SignoffClaim: Sendable, Equatable {
    public enum Source: String, Sendable { case trailers, brokenTrailers = "broken-trailers", subject }
    /// The quarter claimed; nil when the message names one that is not a quarter.
    public var quarter: Quarter?
    /// The quarter as written (the `Attest-Quarter` value, or the subject).
    public var quarterText: String
    /// The trailers, when they parse.
    public var trailers: SignoffTrailers?
    /// Why there are no usable trailers, when there are none.
    public var trailerProblem: String?
    public var source: Source
    /// The `Attest-Amends` value, when the message has one.
    public var amends: String?
    public var isAmendment: Bool { amends != nil }

    /// nil when the message claims no quarter: not a sign-off.
    public init?(message: String) {
        let block = Trailers.parse(message)
        let subject = String(message.prefix { $0 != "\n" })
        if let q = block.first(where: { $0.key == "Attest-Quarter" })?.value {
            source = .trailers
            quarterText = q
            quarter = try? Quarter(parsing: q)
            do { trailers = try SignoffTrailers.parse(message: message) } catch { trailerProblem = "the sign-off trailers are malformed: \(error.description)" }
            amends = SignoffClaim.amends(in: message)
            return
        }
        // Attest-* lines that git does not see as trailers (a blank line or prose inside the block).
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        if let line = lines.first(where: { $0.hasPrefix("Attest-Quarter:") }) {
            source = .brokenTrailers
            quarterText = line.dropFirst("Attest-Quarter:".count).trimmingCharacters(in: .whitespaces)
            quarter = try? Quarter(parsing: quarterText)
            trailerProblem = "the Attest-* lines are not a git trailer block (the last paragraph of the message must hold only 'Key: value' lines; 'git interpret-trailers --parse' does not see them)"
            amends = lines.first { $0.hasPrefix("Attest-Amends:") }.map { $0.dropFirst("Attest-Amends:".count).trimmingCharacters(in: .whitespaces) }
            return
        }
        guard subject.hasPrefix("ops(compliance):"), subject.contains("attestation sign-off") else { return nil }
        source = .subject
        quarterText = subject
        let words = subject.split(separator: " ")
        if words.count == 6, words[1].count == 2, words[1].hasPrefix("Q"), let n = Int(words[1].dropFirst()),
           words[2].count == 4, let y = Int(words[2]), let q = try? Quarter(year: y, number: n),
           subject == SignoffTrailers.subject(for: q) {
            quarter = q
            quarterText = q.description
        }
        trailerProblem = "the commit has the runbook's sign-off subject but no Attest-* trailers: the document's digest and result are not recorded in the commit"
        amends = nil
    }

    /// A cheap test that never misses a claim (for walks that read many messages): when false,
    /// `SignoffClaim(message:)` is nil.
    public static func mayClaim(_ message: String) -> Bool {
        message.contains("Attest-Quarter:") || message.hasPrefix("ops(compliance):")
    }

    /// The `Attest-Amends` trailer of any message (an amendment made by hand may carry no other).
    public static func amends(in message: String) -> String? {
        Trailers.parse(message).last(where: { $0.key == "Attest-Amends" })?.value
    }
}

/// The per-commit rules of DESIGN.md §4.6, in one place: `attest sign` (on the commit it is
/// about to write), `attest verify`, the push hooks and `attest audit` call `check` and nothing
/// else decides what a good sign-off is. Audit adds only what needs history on top.
public enum SignoffRules {
    /// The `Attest-Document` path a message names, if it names one (before any checking), so
    /// the caller knows which blob to read.
    public static func documentPath(in message: String) -> String? {
        guard let v = Trailers.parse(message).first(where: { $0.key == "Attest-Document" })?.value,
              let sp = v.lastIndex(of: " ") else { return nil }
        return String(v[..<sp])
    }

    /// Every rule for one sign-off commit. `window` is the quarter's window when the caller
    /// has already decided it (audit: the policy in force at the sign-off); otherwise the
    /// policy's.
    public static func check(_ f: SignoffFacts, policy: Policy, window: Window? = nil) -> SignoffReport {
        var v: [RuleViolation] = []
        var notes: [String] = []
        let schedule = Schedule(policy: policy)
        let make = "make sign-off commits with 'attest sign', which writes the trailers"

        let claim = SignoffClaim(message: f.message)
        let trailers = claim?.trailers
        if let claim, let problem = claim.trailerProblem {
            v.append(RuleViolation(rule: "message", message: problem, remedy: make))
        } else if claim == nil, SignoffClaim.amends(in: f.message) != nil {
            v.append(RuleViolation(rule: "message", message: "the amendment has Attest-Amends but no Attest-Quarter trailer: an amendment carries every sign-off trailer (Attest-Quarter, Attest-Result, Attest-Document, Attest-Evidence), once each, and is judged like a sign-off",
                                   remedy: "make amendments with 'attest sign --amends TEXT', which writes the trailers"))
        } else if claim == nil {
            v.append(RuleViolation(rule: "message", message: "the sign-off message has no Attest-Quarter trailer", remedy: make))
        }

        var document: AttestationDocument?
        var timing: WindowPosition?
        if let t = trailers {
            let subject = String(f.message.prefix { $0 != "\n" })
            if subject != SignoffTrailers.subject(for: t.quarter) {
                v.append(RuleViolation(rule: "message", message: "the subject is '\(subject)', expected '\(SignoffTrailers.subject(for: t.quarter))'",
                                       remedy: "make sign-off commits with 'attest sign'"))
            }
            let expectedPath = "\(policy.attestationFolder)/\(t.quarter).md"
            if t.documentPath != expectedPath {
                v.append(RuleViolation(rule: "document-path", message: "Attest-Document names \(t.documentPath), but the \(t.quarter) file is \(expectedPath)",
                                       remedy: "sign the quarter's own file", file: t.documentPath))
            }
            let w = window ?? schedule.window(for: t.quarter)
            document = checkDocument(f, t, policy: policy, window: w, into: &v)
            checkDates(f, t, window: w, into: &v, notes: &notes)
            checkTimestamp(f, t, window: w, policy: policy, into: &v, notes: &notes)
            timing = Self.timing(f, window: w)
            if let amends = t.amends { notes.append("amends \(amends)") }
        } else if let q = claim?.quarter {
            timing = Self.timing(f, window: window ?? schedule.window(for: q))
        }
        checkOrder(f, policy: policy, into: &v)
        let (violation, note) = signature(f.signature, policy: policy)
        if let violation { v.append(violation) }
        if let note { notes.append(note) }
        return SignoffReport(commit: f.commit, claim: claim, trailers: trailers, document: document, violations: v, notes: notes, timing: timing)
    }

    /// Where a sign-off falls against its window: `late` when any of the author date, the
    /// committer date and the trusted (TSA) time is after the hard close, else `early` when any
    /// is before the window opens, else `inside`.
    public static func timing(_ f: SignoffFacts, window w: Window) -> WindowPosition {
        var instants = [f.authorDate, f.committerDate]
        if case .valid(let time, _) = f.timestamp { instants.append(time) }
        let positions = instants.map(w.position(of:))
        if positions.contains(.late) { return .late }
        if positions.contains(.early) { return .early }
        return .inside
    }

    /// The `signature` rule on its own (audit also applies it to amendments): a broken rule, or
    /// a note for the report.
    public static func signature(_ outcome: SignatureOutcome, policy: Policy) -> (violation: RuleViolation?, note: String?) {
        switch outcome {
        case .valid(let signer): return (nil, "signed by \(signer)")
        case .invalid(let why):
            return (RuleViolation(rule: "signature", message: "the signature does not hold: \(why)",
                                  remedy: "sign with a key listed in \(policy.allowedSignersFile) (or in your GnuPG keyring for OpenPGP), or have the file's owners add yours"), nil)
        case .unverifiable(let why) where policy.signatureRequired:
            return (RuleViolation(rule: "signature", message: "the signature cannot be checked: \(why)",
                                  remedy: "commit \(policy.allowedSignersFile) listing the signers' public keys (OpenSSH allowed-signers format)"), nil)
        case .unverifiable(let why): return (nil, "signature not checked: \(why)")
        case .unsigned where policy.signatureRequired:
            return (RuleViolation(rule: "signature", message: "the commit is not signed and signing.required is true",
                                  remedy: "configure git signing (git config commit.gpgSign true, gpg.format, user.signingKey) and sign again with 'attest sign'"), nil)
        case .unsigned: return (nil, nil)
        }
    }

    static func checkDocument(_ f: SignoffFacts, _ t: SignoffTrailers, policy: Policy, window w: Window,
                              into v: inout [RuleViolation]) -> AttestationDocument? {
        let path = t.documentPath
        guard let text = f.documentText else {
            v.append(RuleViolation(rule: "document-missing", message: "the commit has no file \(path)",
                                   remedy: "commit the rendered file together with the sign-off ('attest sign' does)", file: path))
            return nil
        }
        if let digest = f.documentSHA256, digest != t.documentSHA256 {
            v.append(RuleViolation(rule: "document-digest", message: "\(path) has SHA-256 \(digest), the Attest-Document trailer says \(t.documentSHA256)",
                                   remedy: "the file changed after it was signed; sign the file as committed ('attest sign')", file: path))
        }
        let doc: AttestationDocument
        do { doc = try AttestationDocument.parse(text, path: path) } catch {
            v.append(RuleViolation(rule: "document-parse", message: "\(path) does not parse: \(error.description)",
                                   remedy: "restore the documented format (docs/attestation-log/README.md) and sign again", file: path))
            return nil
        }
        if doc.quarter != t.quarter {
            v.append(RuleViolation(rule: "document-quarter", message: "\(path) is for \(doc.quarter), the trailer says \(t.quarter)",
                                   remedy: "sign the file of the quarter you attest", file: path))
        }
        if doc.windowOpens != w.opens || doc.windowCloses != w.closes {
            v.append(RuleViolation(rule: "document-window",
                                   message: "\(path) states the window \(UTC.iso(doc.windowOpens)) .. \(UTC.iso(doc.windowCloses)), the policy's is \(UTC.iso(w.opens)) .. \(UTC.iso(w.closes))",
                                   remedy: "re-render the file ('attest render --force') under the current policy", file: path))
        }
        for p in doc.signingProblems() where !p.contains("the result is blocked") {
            v.append(RuleViolation(rule: "document-content", message: p, remedy: "fix the file, re-render if needed, and sign again", file: path))
        }
        if let problem = f.catalogueProblem {
            v.append(RuleViolation(rule: "catalogue", message: "the catalogue at \(f.catalogueOrigin) cannot be read: \(problem)",
                                   remedy: "fix the control file (docs/controls.md) in a commit of its own, collect, render and sign again"))
        }
        for p in f.catalogue?.problems(of: doc, at: f.catalogueOrigin) ?? [] {
            v.append(RuleViolation(rule: "catalogue", message: "\(path): \(p)",
                                   remedy: "collect again with the committed control files ('attest collect --force'), re-render ('attest render --force') and sign", file: path))
        }
        if doc.result == .blocked || t.result == .blocked {
            v.append(RuleViolation(rule: "blocked-result", message: "the result is blocked (\(doc.result == .blocked ? path : "Attest-Result")); a blocked quarter is not attested",
                                   remedy: "resolve what blocks it (link each finding to an issue, resolve step 7 findings, fix errored steps), re-render and sign again", file: path))
        }
        if doc.result != t.result {
            v.append(RuleViolation(rule: "result-trailer", message: "Attest-Result says \(t.result.rawValue), \(path) says \(doc.result.rawValue)",
                                   remedy: "sign again so that the trailer states the file's result", file: path))
        }
        if doc.manifestSHA256 != t.evidenceSHA256 {
            v.append(RuleViolation(rule: "evidence-trailer", message: "Attest-Evidence is \(t.evidenceSHA256), \(path) states the manifest \(doc.manifestSHA256)",
                                   remedy: "sign again so that the trailer states the file's evidence manifest", file: path))
        }
        if let e = f.evidence { checkEvidence(e, doc, t, path: path, into: &v) }
        return doc
    }

    static func checkEvidence(_ e: EvidenceCheck, _ doc: AttestationDocument, _ t: SignoffTrailers, path: String, into v: inout [RuleViolation]) {
        let remedy = "the evidence must be the folder the file was rendered from (its SHA256SUMS hashes to Attest-Evidence): before signing, re-render from it (attest render --force) or name it with --evidence; after signing it can never change"
        if let m = e.manifestSHA256 {
            if m != t.evidenceSHA256 {
                v.append(RuleViolation(rule: "evidence", message: "\(e.folder)/SHA256SUMS has SHA-256 \(m), the Attest-Evidence trailer says \(t.evidenceSHA256)", remedy: remedy))
            }
        } else {
            v.append(RuleViolation(rule: "evidence", message: "\(e.folder)/SHA256SUMS is missing", remedy: remedy))
        }
        for mm in e.manifestMismatches {
            v.append(RuleViolation(rule: "evidence", message: "\(e.folder)/SHA256SUMS does not match: \(mm)", remedy: remedy))
        }
        for c in doc.controls where !c.sqlSHA256.isEmpty {
            guard let got = e.sqlSHA256[c.step] else {
                v.append(RuleViolation(rule: "evidence", message: "\(e.folder) has no copy of \(c.source) for step \(c.step) (\(c.id)); \(path) states SQL SHA-256 \(c.sqlSHA256)", remedy: remedy))
                continue
            }
            if got != c.sqlSHA256 {
                v.append(RuleViolation(rule: "evidence", message: "the SQL of step \(c.step) (\(c.id)) in \(e.folder) has SHA-256 \(got); \(path) states \(c.sqlSHA256)", remedy: remedy))
            }
        }
        for s in doc.steps where s.status != .error {
            let file = Controls.step(s.step)?.evidenceFile ?? e.evidenceFiles[s.step] ?? "step \(s.step)"
            let line = doc.lines.steps[s.step].map { "line \($0): " } ?? ""
            let label = "step \(s.step) (\(Controls.step(s.step)?.criterion ?? doc.controls.first { $0.step == s.step }?.id ?? "?"))"
            guard let got = e.stepSHA256[s.step] else {
                v.append(RuleViolation(rule: "evidence", message: "\(e.folder)/\(file) is missing, \(label); \(path) \(line)states \(s.evidenceSHA256)", remedy: remedy))
                continue
            }
            if got != s.evidenceSHA256 {
                v.append(RuleViolation(rule: "evidence", message: "\(e.folder)/\(file) has SHA-256 \(got), \(label); \(path) \(line)step \(s.step) evidence SHA-256 does not match \(file) (it states \(s.evidenceSHA256))", remedy: remedy))
            }
        }
    }

    static func checkDates(_ f: SignoffFacts, _ t: SignoffTrailers, window w: Window, into v: inout [RuleViolation], notes: inout [String]) {
        for (who, date) in [("author", f.authorDate), ("committer", f.committerDate)] {
            switch w.position(of: date) {
            case .inside: break
            case .early:
                v.append(RuleViolation(rule: "window-\(who)", message: "the \(who) date \(UTC.human(date)) is before the \(t.quarter) window opens (\(UTC.human(w.opens)))",
                                       remedy: "sign inside the window (\(UTC.human(w.opens)) .. \(UTC.human(w.closes))) with 'attest sign'"))
            case .late where t.late != nil:
                notes.append("late: the \(who) date \(UTC.human(date)) is after the hard close (\(UTC.human(w.closes))); reason: \(t.late!)")
            case .late:
                v.append(RuleViolation(rule: "window-\(who)", message: "the \(who) date \(UTC.human(date)) is after the \(t.quarter) hard close (\(UTC.human(w.closes)))",
                                       remedy: "a sign-off after the hard close must be declared late: 'attest sign --late --reason TEXT'"))
            }
        }
    }

    static func checkOrder(_ f: SignoffFacts, policy: Policy, into v: inout [RuleViolation]) {
        if let newest = f.parentCommitterDates.max(), f.committerDate < newest {
            v.append(RuleViolation(rule: "committer-order", message: "the committer date \(UTC.human(f.committerDate)) is \(UTC.span(newest.timeIntervalSince(f.committerDate))) before its parent's \(UTC.human(newest)): it was made after its parent, so its date was set back",
                                   remedy: "the date was set by hand; sign again with the real clock ('attest sign')"))
        }
        let limit = f.now.addingTimeInterval(Double(policy.hookMaxSkewMinutes) * 60)
        for (who, date) in [("author", f.authorDate), ("committer", f.committerDate)] where date > limit {
            v.append(RuleViolation(rule: "future", message: "the \(who) date \(UTC.human(date)) is in the future (now \(UTC.human(f.now)), \(policy.hookMaxSkewMinutes) minutes of skew allowed)",
                                   remedy: "fix the signing machine's clock and sign again"))
        }
    }

    /// The trusted-time rules (issue #7): a missing token where tsa.required, or a token that
    /// does not hold, is `untrusted-time`; a valid token's time is the trusted time for the
    /// window rule, so git dates inside the window with a TSA time after the hard close is
    /// `late` (unless declared late), and a TSA time before the window opens is `window-timestamp`.
    static func checkTimestamp(_ f: SignoffFacts, _ t: SignoffTrailers, window w: Window, policy: Policy,
                               into v: inout [RuleViolation], notes: inout [String]) {
        switch f.timestamp {
        case .absent:
            if policy.tsaRequired {
                v.append(RuleViolation(rule: "untrusted-time", message: "missing timestamp token: the sign-off carries no Attest-Timestamp trailer and tsa.required is true",
                                       remedy: "set tsa.url and tsa.caFile and sign again so that a trusted timestamp is obtained (docs/tsa.md)"))
            }
        case .invalid(let why):
            v.append(RuleViolation(rule: "untrusted-time", message: "the Attest-Timestamp token does not hold: \(why)",
                                   remedy: "sign again to obtain a fresh token from the TSA in tsa.url; check that tsa.caFile is that TSA's CA (docs/tsa.md)"))
        case .valid(let time, let authority):
            notes.append("trusted time: TSA \(authority) at \(UTC.iso(time))")
            switch w.position(of: time) {
            case .inside: break
            case .early:
                v.append(RuleViolation(rule: "window-timestamp", message: "the trusted time \(UTC.human(time)) from TSA \(authority) is before the \(t.quarter) window opens (\(UTC.human(w.opens)))",
                                       remedy: "the commit dates were set by hand; sign inside the window with 'attest sign'"))
            case .late where t.late != nil:
                notes.append("late: the trusted time \(UTC.human(time)) from TSA \(authority) is after the hard close (\(UTC.human(w.closes))); reason: \(t.late!)")
            case .late:
                v.append(RuleViolation(rule: "late", message: "late: the trusted time \(UTC.human(time)) from TSA \(authority) is after the \(t.quarter) hard close (\(UTC.human(w.closes))), whatever the git dates say",
                                       remedy: "the git dates disagree with the trusted time (a wrong clock, or dates set by hand); a sign-off after the hard close must be declared: 'attest sign --late --reason TEXT'"))
            }
        }
    }

    // MARK: push-time and history rules

    /// A new sign-off must reach the server soon after it was made: its committer date may not
    /// be older than `hook.maxSignoffAgeHours` at push time, so a commit backdated into an old
    /// window cannot be pushed long after that window.
    public static func pushAge(committerDate: Date, now: Date, policy: Policy) -> RuleViolation? {
        let age = now.timeIntervalSince(committerDate)
        guard age > Double(policy.hookMaxSignoffAgeHours) * 3600 else { return nil }
        return RuleViolation(rule: "push-age", message: "the sign-off's committer date \(UTC.human(committerDate)) is \(UTC.span(age)) old at push time; at most \(policy.hookMaxSignoffAgeHours) hours are allowed (hook.maxSignoffAgeHours)",
                             remedy: "a sign-off is pushed right after it is made; if this one is genuinely late, sign again with 'attest sign --late --reason TEXT' and push at once")
    }

    /// A commit's committer date may not be in the future beyond `hook.maxSkewMinutes`.
    public static func future(committerDate: Date, now: Date, policy: Policy) -> RuleViolation? {
        guard committerDate > now.addingTimeInterval(Double(policy.hookMaxSkewMinutes) * 60) else { return nil }
        return RuleViolation(rule: "future", message: "the committer date \(UTC.human(committerDate)) is in the future (now \(UTC.human(now)), \(policy.hookMaxSkewMinutes) minutes of skew allowed)",
                             remedy: "fix the committing machine's clock and recommit (git commit --amend --reset-author --no-edit)")
    }

    /// A change to a file that was already signed. `signedBy` are the sign-off commits of that
    /// file reachable from the changing commit's parent; `amends` is the commit's
    /// `Attest-Amends` trailer. Deletion is always refused; a modification needs `Attest-Amends`
    /// naming one of `signedBy`.
    public static func amendment(path: String, deleted: Bool, signedBy: [String], amends: String?) -> RuleViolation? {
        guard !signedBy.isEmpty else { return nil }
        let by = signedBy.map { String($0.prefix(12)) }.joined(separator: ", ")
        if deleted {
            return RuleViolation(rule: "signed-file-deleted", message: "\(path) was signed (\(by)) and this commit deletes it",
                                 remedy: "a signed attestation is never deleted; restore the file (git revert or git checkout <parent> -- \(path))", file: path)
        }
        guard let amends else {
            return RuleViolation(rule: "signed-file-changed", message: "\(path) was signed (\(by)) and this commit changes it without an Attest-Amends trailer",
                                 remedy: "undo the change, or record it as an amendment: add the trailer 'Attest-Amends: \(signedBy.last!)' and a reason (git commit --amend --trailer 'Attest-Amends: \(signedBy.last!)')", file: path)
        }
        guard signedBy.contains(where: { $0 == amends }) else {
            return RuleViolation(rule: "signed-file-changed", message: "\(path) changes with Attest-Amends \(amends), which is not a sign-off of this file (those are \(by))",
                                 remedy: "name the amended sign-off commit in full: 'Attest-Amends: \(signedBy.last!)'", file: path)
        }
        return nil
    }
}

// MARK: which policy judges a sign-off

extension SignoffRules {
    /// The policy that judges a sign-off, the same in every command: the policy in force when it
    /// was signed, `.attestconfig` at the sign-off's parent, tightened by the sign-off's own
    /// `.attestconfig` only where that is stricter (a sign-off never weakens a rule for itself).
    /// Turning on `signing.required` or `tsa.required` therefore applies to later sign-offs,
    /// never to quarters already signed.
    public static func policyInForce(parent: Policy, own: Policy?) -> Policy {
        guard let own else { return parent }
        var p = parent
        p.signatureRequired = parent.signatureRequired || own.signatureRequired
        p.tsaRequired = parent.tsaRequired || own.tsaRequired
        p.hookMaxSkewMinutes = min(parent.hookMaxSkewMinutes, own.hookMaxSkewMinutes)
        p.hookMaxSignoffAgeHours = min(parent.hookMaxSignoffAgeHours, own.hookMaxSignoffAgeHours)
        // A narrower window is stricter; a moved target hour is neither, so the parent's stays.
        if own.windowTargetHour == parent.windowTargetHour {
            p.windowOpenDaysBefore = min(parent.windowOpenDaysBefore, own.windowOpenDaysBefore)
            p.windowCloseDaysAfter = min(parent.windowCloseDaysAfter, own.windowCloseDaysAfter)
        }
        return p
    }

    /// The rules of `new` that are weaker than those of `old`, as `key old → new` (empty: none).
    public static func weakenings(from old: Policy, to new: Policy) -> [String] {
        var out: [String] = []
        func flag(_ key: String, _ weaker: Bool, _ o: String, _ n: String) { if weaker { out.append("\(key) \(o) → \(n)") } }
        flag("signing.required", old.signatureRequired && !new.signatureRequired, "true", "false")
        flag("tsa.required", old.tsaRequired && !new.tsaRequired, "true", "false")
        flag("window.openDaysBefore", new.windowOpenDaysBefore > old.windowOpenDaysBefore, "\(old.windowOpenDaysBefore)", "\(new.windowOpenDaysBefore)")
        flag("window.closeDaysAfter", new.windowCloseDaysAfter > old.windowCloseDaysAfter, "\(old.windowCloseDaysAfter)", "\(new.windowCloseDaysAfter)")
        flag("hook.maxSkewMinutes", new.hookMaxSkewMinutes > old.hookMaxSkewMinutes, "\(old.hookMaxSkewMinutes)", "\(new.hookMaxSkewMinutes)")
        flag("hook.maxSignoffAgeHours", new.hookMaxSignoffAgeHours > old.hookMaxSignoffAgeHours, "\(old.hookMaxSignoffAgeHours)", "\(new.hookMaxSignoffAgeHours)")
        return out
    }

    /// One line naming the rules a sign-off was judged under, for reports.
    public static func describe(_ p: Policy) -> String {
        "signing.required=\(p.signatureRequired), tsa.required=\(p.tsaRequired), window \(p.windowOpenDaysBefore) days before to \(p.windowCloseDaysAfter) days after (target \(p.windowTargetHour):00 UTC)"
    }
}
