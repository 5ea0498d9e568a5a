import Foundation
import AttestCore
import AttestGit
import AttestCrypto

/// `attest sign`: runbook step 8.4, the sign-off commit, only inside the window.
struct SignCommand: Command {
    static let name = "sign"
    static let summary = "commit the quarter's attestation file as the sign-off, inside the window"
    static let usage = "sign [--quarter YYYY-QN] [--evidence DIR] [--late --reason TEXT] [--amends TEXT] [--tsa URL] [--json]"
    static let help = """
    Makes the sign-off commit of runbook step 8: one commit on the current branch whose tree is
    HEAD's tree with only docs/attestation-log/YYYY-QN.md changed (the working tree's version;
    whatever else is staged stays staged), message 'ops(compliance): QN YYYY SOC-2 attestation
    sign-off' with the Attest-* trailers, author and committer the git identity at the system
    clock's time, signed as 'git commit -S' would when commit.gpgSign is true (gpg.format,
    user.signingKey, gpg.program, gpg.ssh.program). The branch is moved only if nothing else
    moved it meanwhile.

    Checked before anything is written, each refusal saying what to do:
      - the file parses (docs/attestation-log/README.md), its Quarter matches its name and its
        window matches the policy; all seven steps have a status; every finding has an issue
        reference; a step 7 finding is resolved; the result is not blocked and follows the rule;
      - the evidence folder, when present, matches the digests in the file (the output says
        when it was not there to check);
      - the window: before it opens, always refused; after the hard close, refused unless
        --late --reason TEXT (recorded as Attest-Late, never reported as on time);
      - the file changed since HEAD; no sign-off for the quarter on the branch yet (unless
        --amends); HEAD on a branch; no merge or rebase in progress; no .git/index.lock.

    With a time-stamping authority (tsa.url, or --tsa URL) it first stamps the imprint of the
    commit-to-be (docs/tsa.md) and checks the token against tsa.caFile as committed in HEAD;
    the token's time is judged against the window like the clock, and the token goes into the
    Attest-Timestamp trailer. With tsa.required true, a TSA that is down, answers an error or
    sends a token that does not check stops the sign-off, naming the TSA and its answer.

    Options:
      --quarter YYYY-QN   the quarter (default: the one whose window is open, else the last closed)
      --evidence DIR      the evidence folder (default: evidence/YYYY-QN)
      --late              sign after the hard close; needs --reason
      --reason TEXT       why it is late (the Attest-Late trailer)
      --amends TEXT       amend the quarter's existing sign-off: TEXT is why (in the message body);
                          the trailer Attest-Amends names the sign-off it amends
      --tsa URL           the RFC 3161 time-stamping authority for this sign-off (default: tsa.url)
      --json              {commit, quarter, result, branch, signed, late, amends, evidenceChecked,
                          secondsBeforeHardClose, timestamp: {tsa, time} or null}

    Exit codes: 0 signed; 1 refused (the message says why and where); 2 usage error;
    3 repository, signing program or identity problem.

    Example:
      attest sign --quarter 2026-Q4
      attest sign --quarter 2026-Q4 --late --reason "DBA on call was out sick; approved by CTO (#501)"
    """
    static let spec = ArgumentSpec(options: [
        .init("quarter", value: "YYYY-QN"), .init("evidence", value: "DIR"), .init("late"), .init("reason", value: "TEXT"),
        .init("amends", value: "TEXT"), .init("tsa", value: "URL"), .init("json"),
    ])

    let quarter: Quarter?
    let evidence: String?
    let lateReason: String?
    let amends: String?
    let tsa: String?
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        quarter = try arguments.value("quarter").map { (q: String) throws(AttestError) in try Quarter(parsing: q) }
        evidence = arguments.value("evidence")
        json = arguments.flag("json")
        let reason = arguments.value("reason").map(Trailers.oneLine)
        if arguments.flag("late") {
            guard let reason, !reason.isEmpty else { throw .usage("--late needs --reason TEXT: why the sign-off is late") }
            lateReason = reason
        } else {
            guard reason == nil else { throw .usage("--reason is only for a late sign-off; add --late") }
            lateReason = nil
        }
        if let a = arguments.value("amends") {
            guard !Trailers.oneLine(a).isEmpty else { throw .usage("--amends needs TEXT: why the sign-off is amended") }
            amends = a
        } else { amends = nil }
        if let t = arguments.value("tsa") {
            if let problem = TimeStampAuthority.problem(withURL: t) { throw .usage("--tsa '\(t)': \(problem)") }
            tsa = t
        } else { tsa = nil }
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        // Whole seconds: the commit records whole seconds, and the window is judged on the
        // instant the commit will carry (23:59:59.7 is 23:59:59, inside the window).
        let now = Date(timeIntervalSince1970: context.now.timeIntervalSince1970.rounded(.down))
        let files = try QuarterFiles(context: context, quarter: quarter, evidence: evidence)
        let repo = files.repository
        let preflight = try repo.signoffPreflight()

        // The file, and every check of its facts.
        guard let bytes = FileManager.default.contents(atPath: files.documentFullPath) else {
            throw .failed("\(files.documentPath) does not exist; run 'attest render --quarter \(files.quarter)' first")
        }
        let doc = try AttestationDocument.parse(String(decoding: bytes, as: UTF8.self), path: files.documentPath)
        var problems = doc.signingProblems()
        if doc.windowOpens != files.window.opens || doc.windowCloses != files.window.closes {
            problems.append("\(doc.lines.fields["Window opens"].map { "line \($0): " } ?? "")the window in the file (\(UTC.iso(doc.windowOpens)) .. \(UTC.iso(doc.windowCloses))) is not \(files.quarter)'s window under the policy (\(UTC.iso(files.window.opens)) .. \(UTC.iso(files.window.closes))); re-render with 'attest render --force'")
        }
        guard problems.isEmpty else {
            throw .failed("\(files.documentPath) cannot be signed:\n  " + problems.joined(separator: "\n  "))
        }

        // The window, by the system clock.
        let w = files.window
        switch w.position(of: now) {
        case .early:
            throw .failed("\(files.quarter)'s window opens \(UTC.human(w.opens)), in \(UTC.span(w.opens.timeIntervalSince(now))); a sign-off before the window opens is always refused, even with --late")
        case .late where lateReason == nil:
            throw .failed("\(files.quarter)'s hard close was \(UTC.human(w.closes)), \(UTC.span(now.timeIntervalSince(w.closes))) ago; nothing was signed. A late sign-off needs --late --reason TEXT and is recorded as late (Attest-Late), never as on time")
        case .inside where lateReason != nil:
            throw .usage("--late: \(files.quarter)'s window is open until \(UTC.human(w.closes)); sign without --late")
        default: break
        }

        // Earlier sign-offs of the quarter on this branch.
        let earlier: [SignoffCommit]
        do { earlier = try repo.signoffs(for: files.quarter) } catch { throw .environment("cannot read history: \(error.message)") }
        var amendsID: String?
        if let first = earlier.first {
            guard amends != nil else {
                throw .failed("\(files.quarter) is already signed off on \(preflight.branchName) in \(first.id.short) (\(UTC.human(first.commit.committer.date))); to change it, make an amendment with --amends TEXT (why), which names that commit in Attest-Amends")
            }
            amendsID = first.id.hex
        } else if amends != nil {
            throw .failed("--amends: \(files.quarter) has no sign-off on \(preflight.branchName) to amend; sign without --amends")
        }

        // Evidence digests, when the folder is here.
        let evidenceChecked = try checkEvidence(doc, files: files)

        // Signing configuration, as git commit would use it.
        let signing = try repo.signingConfig()
        if files.policy.signatureRequired && !signing.enabled {
            throw .failed("signing.required is true but git's commit.gpgSign is not; configure signing (git config commit.gpgSign true, gpg.format, user.signingKey) and run attest sign again")
        }
        let who = try repo.committerIdentity()
        let env = context.environment
        let signer: ((Data) throws(AttestError) -> String)? = signing.enabled
            ? { (payload: Data) throws(AttestError) -> String in
                try CommitSigner.sign(payload, config: signing, committer: "\(who.name) <\(who.email)>", environment: env)
            } : nil

        // Trusted time (docs/tsa.md): the token for the commit-to-be, before anything is written.
        let stamped = try TimestampSigning(repository: repo, head: preflight.head, policy: files.policy, urlOverride: tsa)
            .obtain(quarter: files.quarter, documentPath: files.documentPath, contents: bytes,
                    evidenceSHA256: doc.manifestSHA256, window: w, lateReason: lateReason, err: context.err)

        let trailers = SignoffTrailers(quarter: files.quarter, result: doc.result, documentPath: files.documentPath,
                                       documentSHA256: try QuarterFiles.sha256(bytes), evidenceSHA256: doc.manifestSHA256,
                                       late: lateReason, amends: amendsID, timestamp: stamped?.trailer)
        var message = trailers.message
        if let amends, let cut = message.range(of: "\n\n") {
            // The reason for an amendment goes in the body, above the trailers.
            message.replaceSubrange(cut, with: "\n\nAmends \(amendsID!.prefix(12)): \(Trailers.oneLine(amends))\n\n")
        }
        let id = try repo.commitSignoff(preflight, path: files.documentPath, contents: bytes, message: message, at: now,
                                   validationFiles: stamped?.files ?? [], sign: signer)

        let position = now <= w.closes
            ? "\(UTC.span(w.closes.timeIntervalSince(now))) before hard close (\(UTC.human(w.closes)))"
            : "LATE: \(UTC.span(now.timeIntervalSince(w.closes))) after hard close (\(UTC.human(w.closes)))"
        if json {
            context.out.line(JSONText.encode([
                "commit": id.hex, "quarter": files.quarter.description, "result": doc.result.rawValue, "branch": preflight.branch,
                "signed": signing.enabled, "late": lateReason != nil, "amends": amendsID as Any? ?? NSNull(),
                "evidenceChecked": evidenceChecked, "secondsBeforeHardClose": Int(w.closes.timeIntervalSince(now)),
                "time": UTC.iso(now),
                "timestamp": stamped.map { ["tsa": $0.stamp.tsaSubject, "time": UTC.iso($0.stamp.time)] as Any } ?? NSNull(),
            ]))
            return 0
        }
        let out = context.out
        out.line("\(out.styled("signed off", .green)) \(files.quarter): \(doc.result.rawValue), commit \(id.hex) on \(preflight.branchName)\(signing.enabled ? " (\(signing.format.rawValue) signature)" : "")")
        out.line("  \(UTC.human(now)): \(position)")
        if let amendsID { out.line("  amends \(amendsID)") }
        if let stamped { out.line("  trusted time: TSA \(stamped.stamp.tsaSubject) at \(UTC.iso(stamped.stamp.time))") }
        if let validation = stamped?.validation { out.line("  validation data stored: \(validation)") }
        if !evidenceChecked {
            out.line("  evidence folder \(files.evidenceFolder) was not there: its digests were not checked against the file")
        }
        if !signing.enabled { out.line("  not signed (commit.gpgSign is not true)") }
        out.line("next: git push (the pre-push hook checks it), keep a copy of the file with the evidence")
        return 0
    }

    /// Compares the evidence folder with the file's digests; false when there is no folder.
    private func checkEvidence(_ doc: AttestationDocument, files: QuarterFiles) throws(AttestError) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: files.evidenceFolder, isDirectory: &isDir), isDir.boolValue else { return false }
        var problems: [String] = []
        let sums = files.evidenceFolder + "/SHA256SUMS"
        if !FileManager.default.fileExists(atPath: sums) {
            problems.append("\(sums) is missing")
        } else if try QuarterFiles.sha256(ofFile: sums) != doc.manifestSHA256 {
            problems.append("line \(doc.lines.fields["Evidence manifest SHA-256"] ?? 0): the evidence manifest SHA-256 does not match \(sums)")
        }
        for s in doc.steps where s.status != .error {
            guard let c = Controls.step(s.step) else { continue }
            let path = files.evidenceFolder + "/" + c.evidenceFile
            guard FileManager.default.fileExists(atPath: path) else {
                problems.append("line \(doc.lines.steps[s.step] ?? 0): step \(s.step) evidence file \(c.evidenceFile) is missing from \(files.evidenceFolder)")
                continue
            }
            if try QuarterFiles.sha256(ofFile: path) != s.evidenceSHA256 {
                problems.append("line \(doc.lines.steps[s.step] ?? 0): step \(s.step) evidence SHA-256 does not match \(c.evidenceFile)")
            }
        }
        guard problems.isEmpty else {
            throw .failed("\(files.documentPath) does not match the evidence in \(files.evidenceFolder):\n  " + problems.joined(separator: "\n  ") + "\n  re-render from this evidence (attest render --force), or pass the evidence it was rendered from with --evidence")
        }
        return true
    }
}
