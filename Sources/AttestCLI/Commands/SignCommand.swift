import Foundation
import AttestCore
import AttestSystem
import AttestControls
import AttestGit
import AttestVerification
import AttestCrypto
import AttestEvidence

/// `attest sign`: runbook step 8.4, the sign-off commit, only inside the window.
struct SignCommand: Command {
    static let name = "sign"
    static let summary = "commit the quarter's attestation file as the sign-off, inside the window"
    static let help = """
    Makes the sign-off commit of runbook step 8: one commit on the current branch whose tree is
    HEAD's tree with only docs/attestation-log/YYYY-QN.md changed (the working tree's version;
    whatever else is staged stays staged), message 'ops(compliance): QN YYYY SOC-2 attestation
    sign-off' with the Attest-* trailers, author and committer the git identity at the system
    clock's time, signed as 'git commit -S' would when commit.gpgSign is true (gpg.format,
    user.signingKey, gpg.program, gpg.ssh.program). The index entry is written first, under
    index.lock held from read to write, then the branch is moved only if nothing else moved it
    meanwhile, then the lock is committed: a kill leaves the old state or the new commit.

    Checked before anything is written, each refusal saying what to do:
      - the file parses (docs/attestation-log/README.md), its Quarter matches its name and its
        window matches the policy; all seven steps have a status; every finding has an issue
        reference; a step 7 finding is resolved; the result is not blocked and follows the rule;
      - the evidence folder, when present, matches the digests in the file (the output says
        when it was not there to check);
      - the window: before it opens, always refused; after the hard close, refused unless
        --late --reason TEXT (recorded as Attest-Late, never reported as on time);
      - the file changed since HEAD; no sign-off for the quarter on the branch yet (unless
        --amends); HEAD on a branch; no merge or rebase in progress; no stale lock
        (.git/index.lock, .git/refs/heads/BRANCH.lock) and the file not behind HEAD in the
        index, each named with the one command that mends it (docs/sign.md, After a crash);
      - every rule of 'attest verify' and the push hooks (docs/verify.md), on the commit about
        to be written: first on a draft (before the TSA and the key are asked), then on the
        signed, stamped commit object itself, under the policy in force at HEAD (tightened by
        the working tree's .attestconfig and -c). A key that is not an allowed signer, no
        allowed-signers file with signing.required, a committer date before HEAD's, a token
        time outside the window, a missing token with tsa.required: refused, naming the rule
        and the remedy. The branch, the index and the work tree are then untouched.

    When the quarter is already signed off by a commit that never reached a remote (no
    remote-tracking branch holds it), the refusal says so and how to drop it;
    --replace-unpushed replaces it when it is the branch's tip and changes only the file.

    With a time-stamping authority (tsa.url, or --tsa URL) it first stamps the imprint of the
    commit-to-be (docs/tsa.md) and checks the token against tsa.caFile as committed in HEAD;
    the token's time is judged against the window like the clock, and the token goes into the
    Attest-Timestamp trailer. With tsa.required true, a TSA that is down, answers an error or
    sends a token that does not check stops the sign-off, naming the TSA and its answer.
    """
    static let helpFooter = """
    Exit codes: 0 signed; 1 refused (the message says why and where); 2 usage error;
    3 repository, signing program or identity problem.

    Example:
      attest sign --quarter 2026-Q4
      attest sign --quarter 2026-Q4 --late --reason "DBA on call was out sick; approved by CTO (#501)"
    """
    static let quarter = Option("quarter", value: "YYYY-QN", help: "the quarter (default: the one whose window is open, else the last closed)")
    static let evidence = Option("evidence", value: "DIR", help: "the evidence folder (default: evidence/YYYY-QN)")
    static let late = Flag("late", help: "sign after the hard close; needs --reason")
    static let reason = Option("reason", value: "TEXT", required: true, goesWith: late, help: "why it is late (the Attest-Late trailer)")
    static let amends = Option("amends", value: "TEXT", help: """
        amend the quarter's existing sign-off: TEXT is why (in the message body); the trailer \
        Attest-Amends names the sign-off it amends
        """)
    static let replaceUnpushed = Flag("replace-unpushed", help: "replace the quarter's unpushed sign-off at the tip of the branch")
    static let tsa = Option("tsa", value: "URL", help: "the RFC 3161 time-stamping authority for this sign-off (default: tsa.url)")
    static let json = Flag("json", help: """
        {commit, quarter, result, branch, signed, late, amends, replaced, evidenceChecked, \
        secondsBeforeHardClose, time, timestamp: {tsa, time} or null}
        """)
    static let spec = ArgumentSpec(options: [quarter, evidence, late, reason, amends, replaceUnpushed, tsa, json])

    let quarter: Quarter?
    let evidence: String?
    let lateReason: String?
    let amends: String?
    let replaceUnpushed: Bool
    let tsa: String?
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        quarter = try arguments[Self.quarter].map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        evidence = arguments[Self.evidence]
        json = arguments[Self.json]
        let reason = arguments[Self.reason].map(Trailers.oneLine)
        if arguments[Self.late] {
            guard let reason, !reason.isEmpty else { throw .usage("--late needs --reason TEXT: why the sign-off is late") }
            lateReason = reason
        } else {
            guard reason == nil else { throw .usage("--reason is only for a late sign-off; add --late") }
            lateReason = nil
        }
        if let a = arguments[Self.amends] {
            guard !Trailers.oneLine(a).isEmpty else { throw .usage("--amends needs TEXT: why the sign-off is amended") }
            amends = a
        } else { amends = nil }
        replaceUnpushed = arguments[Self.replaceUnpushed]
        if replaceUnpushed && amends != nil { throw .usage("--replace-unpushed and --amends disagree: replace an unpushed sign-off, or amend a pushed one") }
        tsa = try TimestampSigning.tsaOption(arguments[Self.tsa])
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        // Whole seconds: the commit records whole seconds, and the window is judged on the
        // instant the commit will carry (23:59:59.7 is 23:59:59, inside the window).
        let now = Date(timeIntervalSince1970: context.now.timeIntervalSince1970.rounded(.down))
        let files = try QuarterFiles(context: context, quarter: quarter, evidence: evidence)
        let repo = files.repository
        // Temporary folders a killed run left (TempFolders), then the repository's state.
        let scratch = TempFolders.repositoryBase(gitDir: repo.gitDir)
        TempFolders.sweep(scratch)
        var preflight = try reporting { try repo.signoffPreflight(watching: [files.documentPath]) }

        let found: Data?
        do { found = try RegularFile.read(files.documentFullPath, what: "the attestation file", maxBytes: RegularFile.Limit.attestationFile, followSymlinks: false, missingIsNil: true) }
        catch { throw AttestError(error) }
        guard let bytes = found else {
            throw .failed("\(files.documentPath) does not exist; run 'attest render --quarter \(files.quarter)' first")
        }
        let doc = try AttestationDocument.parse(String(decoding: bytes, as: UTF8.self), path: files.documentPath)
        try refusePersonalData(String(decoding: bytes, as: UTF8.self), files: files, operatorEmail: doc.operatorEmail)

        // The window, by the system clock: refused before anything is asked of the TSA or the key,
        // with the judge's own window rule (the commit will carry this instant as both dates).
        let w = files.window
        let clock = SignoffFacts(commit: "the sign-off to be written", message: "", documentText: nil, documentSHA256: nil,
                                 authorDate: now, committerDate: now, parentCommitterDates: [], now: now)
        switch SignoffRules.timing(clock, window: w) {
        case .early:
            throw .failed("[window-committer] \(files.quarter)'s window opens \(UTC.human(w.opens)), in \(UTC.span(w.opens.timeIntervalSince(now))); a sign-off before the window opens is always refused, even with --late")
        case .late where lateReason == nil:
            throw .failed("[window-committer] \(files.quarter)'s hard close was \(UTC.human(w.closes)), \(UTC.span(now.timeIntervalSince(w.closes))) ago; nothing was signed. A late sign-off needs --late --reason TEXT and is recorded as late (Attest-Late), never as on time")
        case .inside where lateReason != nil:
            throw .usage("--late: \(files.quarter)'s window is open until \(UTC.human(w.closes)); sign without --late")
        default: break
        }

        // Earlier sign-offs of the quarter on this branch (SignoffClaim: trailers, a broken
        // trailer block, or the runbook's subject).
        let earlier: [SignoffCommit]
        do { earlier = try repo.signoffs(for: files.quarter) } catch { throw .environment("cannot read history: \(error.message)") }
        var amendsID: String?
        var replaced: ObjectID?
        if let first = earlier.first {
            if replaceUnpushed {
                if earlier.count > 1 {
                    throw .failed("--replace-unpushed: \(files.quarter) has \(earlier.count) sign-offs on \(preflight.branchName) (\(earlier.map(\.id.short).joined(separator: ", "))); only a single unpushed one at the tip is replaced; make an amendment with --amends TEXT")
                }
                preflight = try replacement(of: first, on: preflight, repo: repo, files: files)
                replaced = first.id
            } else if amends == nil {
                throw .failed(alreadySigned(first, preflight: preflight, repo: repo, quarter: files.quarter))
            } else {
                amendsID = first.id.hex
            }
        } else if amends != nil {
            throw .failed("--amends: \(files.quarter) has no sign-off on \(preflight.branchName) to amend; sign without --amends")
        } else if replaceUnpushed {
            throw .usage("--replace-unpushed: \(files.quarter) has no sign-off on \(preflight.branchName) to replace; sign without it")
        }

        // The policy that will judge this sign-off: the one committed at its parent, tightened by
        // the working tree's and -c (SignoffRules.policyInForce), as verify and the hooks apply it.
        let parentPolicy = try reporting { try SignoffInspector.parentPolicy(at: preflight.head, quarter: files.quarter, repository: repo, overrides: context.overrides) }
        let policy = SignoffRules.policyInForce(parent: parentPolicy, own: files.policy)
        let signers = try reporting { try SignoffInspector.allowedSigners(forVerifyIn: repo, policy: policy) }
        let evidenceCheck = Self.evidenceFolderExists(files.evidenceFolder) ? EvidenceFolder.check(files.evidenceFolder) : nil

        let trailers = SignoffTrailers(quarter: files.quarter, result: doc.result, documentPath: files.documentPath,
                                       documentSHA256: try QuarterFiles.sha256(bytes), evidenceSHA256: doc.manifestSHA256,
                                       late: lateReason, amends: amendsID)
        // The draft: every rule on what is about to be written, before the TSA and the key are
        // asked (their own rules are judged on the real commit below).
        var draftPolicy = policy
        draftPolicy.signatureRequired = false
        draftPolicy.tsaRequired = false
        let parentDate: Date
        do { parentDate = try repo.rawCommit(preflight.head).committer.date } catch { throw .environment("cannot read HEAD: \(error.message)") }
        try reporting { try repo.requireChange(preflight, path: files.documentPath, contents: bytes) }
        var draft = SignoffFacts(commit: "the sign-off to be written", message: message(trailers), documentText: String(decoding: bytes, as: UTF8.self),
                                 documentSHA256: trailers.documentSHA256, authorDate: now, committerDate: now,
                                 parentCommitterDates: [parentDate], now: now, evidence: evidenceCheck)
        ControlCatalogue.gather(into: &draft, commit: preflight.head, repository: repo, policy: policy)
        try refuse(SignoffRules.check(draft, policy: draftPolicy), files: files)
        try Self.refuseUncommittedControls(doc, root: files.root, policy: policy, quarter: files.quarter)

        // Signing configuration, as git commit would use it.
        let signing = try reporting { try repo.signingConfig() }
        if !signing.enabled, let v = SignoffRules.signature(.unsigned, policy: policy).violation {
            throw .failed("\(files.documentPath) cannot be signed: [\(v.rule)] \(v.message), but git's commit.gpgSign is not; to fix: \(v.remedy); nothing was signed")
        }
        let who = try reporting { try repo.committerIdentity() }
        let env = context.environment
        let signer: ((Data) throws(CommitSignerError) -> String)? = signing.enabled
            ? { (payload: Data) throws(CommitSignerError) -> String in
                try CommitSigner.sign(payload, config: signing, committer: "\(who.name) <\(who.email)>", environment: env, scratch: scratch)
            } : nil

        // Trusted time (docs/tsa.md): the token for the commit-to-be, before anything is written.
        let stamped = try TimestampSigning(repository: repo, head: preflight.head, policy: policy, urlOverride: tsa)
            .obtain(quarter: files.quarter, documentPath: files.documentPath, contents: bytes,
                    evidenceSHA256: doc.manifestSHA256, err: context.err)
        var final = trailers
        final.timestamp = stamped?.trailer

        // Sealed evidence (docs/evidence.md), when evidence.recipients names certificates.
        let sealing = try EvidenceVault.prepareForSign(files, context: context, evidenceSHA256: doc.manifestSHA256, at: now)
        // The commit itself, in the object store only; the whole judge on it; then the branch.
        let unpublished = try reporting {
            try repo.writeSignoffObject(preflight, path: files.documentPath, contents: bytes,
                                        message: message(final) + (sealing.map { EvidenceVault.trailerLine($0.prepared) } ?? ""),
                                        at: now, validationFiles: stamped?.files ?? [], sign: signer)
        }
        let gpg = SignoffInspector.gpgProgram(of: repo)
        let inspector = SignoffInspector(repository: repo, policy: policy, allowedSigners: signers, gpgProgram: gpg)
        let raw = try reporting { try inspector.commit(unpublished.id) }
        let report = SignoffRules.check(try reporting { try inspector.facts(raw, now: now, evidenceFolder: evidenceCheck == nil ? nil : files.evidenceFolder) }, policy: policy)
        try refuse(report, files: files)
        try reporting { try repo.publishSignoff(unpublished) }
        let id = unpublished.id
        if let sealing { try reporting { try sealing.vault.finishSign(sealing.prepared, signoff: id) } }
        let evidenceChecked = evidenceCheck != nil
        let principalWarning = Self.principalWarning(report, email: who.email, signers: signers)

        let position = now <= w.closes
            ? "\(UTC.span(w.closes.timeIntervalSince(now))) before hard close (\(UTC.human(w.closes)))"
            : "LATE: \(UTC.span(now.timeIntervalSince(w.closes))) after hard close (\(UTC.human(w.closes)))"
        if let principalWarning { context.err.line("warning: \(principalWarning)") }
        if let w = Self.unpushedPolicyWarning(repo, head: preflight.head, branch: preflight.branch, policy: policy) { context.err.line("warning: \(w)") }
        if json {
            context.out.line(JSONText.encode([
                "commit": id.hex, "quarter": files.quarter.description, "result": doc.result.rawValue, "branch": preflight.branch,
                "signed": signing.enabled, "late": lateReason != nil, "amends": amendsID as Any? ?? NSNull(),
                "replaced": replaced?.hex as Any? ?? NSNull(),
                "evidenceChecked": evidenceChecked, "secondsBeforeHardClose": Int(w.closes.timeIntervalSince(now)),
                "time": UTC.iso(now),
                "timestamp": stamped.map { ["tsa": $0.stamp.tsaSubject, "time": UTC.iso($0.stamp.time)] as Any } ?? NSNull(),
            ]))
            return 0
        }
        let out = context.out
        out.line("\(out.styled("signed off", .green)) \(files.quarter): \(doc.result.rawValue), commit \(id.hex) on \(preflight.branchName)\(signing.enabled ? " (\(signing.format.rawValue) signature)" : "")")
        out.line("  steps: \(doc.tally.sentence)")
        out.line("  \(UTC.human(now)): \(position)")
        if let amendsID { out.line("  amends \(amendsID)") }
        if let replaced { out.line("  replaces the unpushed sign-off \(replaced.hex), which is no longer on \(preflight.branchName)") }
        if let stamped { out.line("  trusted time: TSA \(stamped.stamp.tsaSubject) at \(UTC.iso(stamped.stamp.time))") }
        if let validation = stamped?.validation { out.line("  validation data stored: \(validation)") }
        if !evidenceChecked {
            out.line("  evidence folder \(files.evidenceFolder) was not there: its digests were not checked against the file")
        }
        if !signing.enabled { out.line("  not signed (commit.gpgSign is not true)") }
        if let sealing { out.line("  evidence sealed for \(English.count(sealing.prepared.recipients.count, "recipient")): \(EvidenceRef.name(files.quarter)), blob \(sealing.prepared.blob.hex); push it with the branch: git push origin \(preflight.branchName) \(EvidenceRef.name(files.quarter))") }
        out.line("next: git push (the pre-push hook checks it), keep a copy of the file with the evidence")
        return 0
    }

    /// Issue #15: what sign commits (the file and the message) names no one but the operator.
    /// Colleagues' and auditors' addresses stay in the evidence; a finding names its evidence
    /// row. Only new sign-offs are held to it: verify and audit read older files as they are.
    private func refusePersonalData(_ text: String, files: QuarterFiles, operatorEmail: String) throws(AttestError) {
        let rule = "the committed file and the sign-off's message carry no email address but the operator's (\(operatorEmail))"
        if let first = PersonalData.addressLines(in: text, except: operatorEmail).first {
            throw .failed("\(files.documentPath):\(first.line) names \(first.address): \(rule); a finding refers to its evidence row instead ('attest render --quarter \(files.quarter) --force' writes findings so, docs/render.md); nothing was signed")
        }
        for (option, given) in [("--reason", lateReason), ("--amends", amends)] {
            if let given, let address = PersonalData.emails(in: given, except: operatorEmail).first {
                throw .failed("\(option) names \(address): \(rule); name the person's role or the ticket instead; nothing was signed")
            }
        }
    }

    /// The commit message: the trailers, with the reason of an amendment in the body.
    private func message(_ trailers: SignoffTrailers) -> String {
        var message = trailers.message
        if let amends, let amendsID = trailers.amends, let cut = message.range(of: "\n\n") {
            message.replaceSubrange(cut, with: "\n\nAmends \(amendsID.prefix(12)): \(Trailers.oneLine(amends))\n\n")
        }
        return message
    }

    /// Refuses, naming every broken rule with its remedy, when the judge does not accept.
    private func refuse(_ report: SignoffReport, files: QuarterFiles) throws(AttestError) {
        guard !report.holds else { return }
        let lines = Listing.bounded(report.violations.map { "[\($0.rule)] \($0.message); to fix: \($0.remedy)" }, noun: "broken rules",
                                    more: "; 'attest verify --json' lists them all once signed, or fix these and sign again")
        throw .failed("\(files.documentPath) cannot be signed: verify and the push hooks would reject this sign-off; nothing was signed:\n  " + lines.joined(separator: "\n  "))
    }

    /// "Already signed off", with whether that sign-off was pushed and the safe way out.
    private func alreadySigned(_ first: SignoffCommit, preflight: SignoffPreflight, repo: Repository, quarter: Quarter) -> String {
        var text = "\(quarter) is already signed off on \(preflight.branchName) in \(first.id.short) (\(UTC.human(first.commit.committer.date)))"
        let state = repo.pushState(of: first.id, branch: preflight.branch)
        if state.pushed {
            text += "; it is on \(state.containedIn.first!), so it stays: to change it, make an amendment with --amends TEXT (why), which names that commit in Attest-Amends"
            return text
        }
        let upstream = state.upstream.map { "not on \($0)" } ?? "\(preflight.branchName) has no upstream and no remote-tracking branch holds it"
        text += "; it was never pushed (\(upstream)), so it can be dropped and made again. "
        if first.id == preflight.head {
            text += "It is the tip of \(preflight.branchName): run 'attest sign --quarter \(quarter) --replace-unpushed' to replace it with this file, or drop it yourself with 'git reset --soft HEAD~1' and sign again"
        } else {
            let range = state.upstream.map { "\($0)..HEAD" } ?? "HEAD"
            text += "It is not the tip: find it with 'git log --oneline \(range)' and drop it with 'git rebase -i \(first.id.short)~1' (delete its line), then sign again"
        }
        return text + "; or keep it and amend it with --amends TEXT (why)"
    }

    /// `--replace-unpushed`: the earlier sign-off must be the branch's tip, unpushed, and change
    /// nothing but the quarter's file; the new one goes on its parent in its place.
    private func replacement(of first: SignoffCommit, on preflight: SignoffPreflight, repo: Repository, files: QuarterFiles) throws(AttestError) -> SignoffPreflight {
        let what = "--replace-unpushed: the \(files.quarter) sign-off \(first.id.short)"
        guard first.id == preflight.head else {
            throw .failed("\(what) is not the tip of \(preflight.branchName); it is replaced only when it is HEAD. Find it with 'git log --oneline' and drop it with 'git rebase -i \(first.id.short)~1', then sign again")
        }
        let state = repo.pushState(of: first.id, branch: preflight.branch)
        guard !state.pushed else {
            throw .failed("\(what) is on \(state.containedIn.joined(separator: ", ")): it was pushed and stays in the record; make an amendment with --amends TEXT instead")
        }
        guard first.commit.parents.count == 1, let parent = first.commit.parents.first else {
            throw .failed("\(what) has \(first.commit.parents.count) parents; drop it by hand ('git reset --soft HEAD~1') and sign again")
        }
        let changed: [String]
        do { changed = try repo.changedPaths(of: first.id) } catch { throw .environment("cannot compare \(first.id.short) with its parent: \(error.message)") }
        guard changed.allSatisfy({ $0 == files.documentPath }) else {
            throw .failed("\(what) also changes \(changed.filter { $0 != files.documentPath }.joined(separator: ", ")); drop it by hand ('git reset --soft HEAD~1' keeps your files) and sign again")
        }
        return preflight.replacing(tip: first.id, parent: parent)
    }

    /// When the signing key's principal in the allowed-signers file is not `user.email`.
    static func principalWarning(_ report: SignoffReport, email: String, signers: AllowedSigners?) -> String? {
        guard let signers, let signed = report.notes.first(where: { $0.hasPrefix("signed by ") }) else { return nil }
        let principals = signed.dropFirst("signed by ".count).prefix { $0 != " " }.split(separator: ",").map(String.init)
        guard !principals.isEmpty, !principals.contains(where: { $0.caseInsensitiveCompare(email) == .orderedSame || $0 == "*" }) else { return nil }
        return "the signing key is listed in \(signers.path) as \(principals.joined(separator: ", ")), not as user.email \(email); reports name \(principals.joined(separator: ", ")) as the signer. Set user.email to it, or correct the allowed-signers line"
    }

    /// The server's hook judges with the policy files it already has: say so when HEAD's differ
    /// from the upstream's.
    static func unpushedPolicyWarning(_ repo: Repository, head: ObjectID, branch: String, policy: Policy) -> String? {
        guard let upstream = repo.upstream(of: branch), let remote = try? repo.resolveCommit(upstream) else { return nil }
        let changed = [".attestconfig", policy.allowedSignersFile, policy.tsaCAFile].filter { !$0.isEmpty }.filter { path in
            ((try? repo.blobID(at: path, inCommit: head)) ?? nil) != ((try? repo.blobID(at: path, inCommit: remote)) ?? nil)
        }
        guard !changed.isEmpty else { return nil }
        return "\(changed.joined(separator: ", ")) at HEAD differs from \(upstream); a server's pre-receive hook judges this sign-off with the files it already has, so push that change first (git reset --soft HEAD~1, git push, attest sign again) or push both and expect the server to refuse"
    }

    /// The control files of the working tree must be the committed ones the document ran: an
    /// edit not yet committed would be signed under a catalogue nobody can read back.
    static func refuseUncommittedControls(_ doc: AttestationDocument, root: String, policy: Policy, quarter: Quarter) throws(AttestError) {
        let tree = try reporting { try ExtraControls.load(root: root, policy: policy) }.catalogue
        let problems = tree.problems(of: doc, at: "the working tree")
        guard problems.isEmpty else {
            throw .failed("\(quarter) cannot be signed: the control files of the working tree differ from the catalogue the document ran: \(problems.joined(separator: "; ")); commit or restore them, collect again ('attest collect --force'), re-render and sign; nothing was signed")
        }
    }

    static func evidenceFolderExists(_ folder: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) && isDir.boolValue
    }
}
