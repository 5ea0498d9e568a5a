import Foundation
import AttestCore
import AttestCrypto
import AttestEvidence

/// `VERIFY.md`: the packet's offline recipe, written from the same evaluation as the reports.
/// Every step is a block of shell commands with plain tools (git, openssl, coreutils) and the
/// claim of the report it proves. Each command exits 0 when what the report says holds, the
/// flagged facts included: a step for a flagged quarter confirms the flag ("confirmed: …") and
/// fails ("MISMATCH: …") when git says otherwise. Tests run every block verbatim.
struct VerifyRecipe {
    let run: AuditRun
    let branch: String
    let anchors: [PacketBuilder.Anchor]
    let tokens: [PacketBuilder.Token]
    let stampCA: PacketBuilder.Anchor?

    struct Step {
        var title: String
        var proves: String
        var commands: [String]
        /// The flags of the report this step shows, "2026-Q1 amended".
        var shows: [String] = []
    }

    let repo = "work/repo"
    func q(_ s: String) -> String { ReportParts.shellQuoted(s) }
    func g(_ args: String) -> String { "git -C \(repo) \(args)" }

    /// "if COND; then echo 'MISMATCH: …'; false; else echo 'confirmed: …'; fi": the command
    /// succeeds exactly when COND fails, as the report says it does.
    func expectFailure(_ cond: String, confirmed: String, mismatch: String) -> String {
        "if \(cond); then echo \(q("MISMATCH: " + mismatch)); false; else echo \(q("confirmed: " + confirmed)); fi"
    }

    func steps() -> [Step] {
        let r = run.report
        var out: [Step] = []
        out.append(Step(title: "The packet is the one attest wrote",
                        proves: "every file of this packet (reports, bundle, trust anchors, tokens, this recipe) is byte for byte the file listed in SHA256SUMS. Compare `sha256sum SHA256SUMS` with the digest the compliance owner sent you by another channel\(stampCA == nil ? "" : ", or rely on the time-stamp of the next step").",
                        commands: ["sha256sum --strict -c SHA256SUMS"]))
        if let ca = stampCA {
            out.append(Step(title: "SHA256SUMS existed at the time the TSA states",
                            proves: "the TSA whose certificate chains to the CA committed at the audited revision (\(ca.path)) stamped this SHA256SUMS, so no file of the packet was changed after that time.",
                            commands: ["openssl ts -verify -data SHA256SUMS -in SHA256SUMS.tsr -token_in -CAfile \(q(ca.packetPath))",
                                       "openssl ts -reply -in SHA256SUMS.tsr -token_in -text | grep -E '^(Time stamp|TSA):'"]))
        }
        out.append(Step(title: "The history bundle is complete",
                        proves: "packet.bundle holds the whole audited history: it needs no commit from elsewhere (git checks every object while verifying).",
                        commands: ["mkdir -p work && git init -q --bare work/check.git",
                                   "git -C work/check.git bundle verify \"$PWD/packet.bundle\""]))
        var clone = ["git clone -q --branch \(q(branch)) packet.bundle \(repo)",
                     "test \"$(\(g("rev-parse HEAD")))\" = \(r.revisionID) && echo 'HEAD is the audited revision \(r.revisionID)'"]
        if !run.context.evidenceRefs.isEmpty {
            clone.append(g("fetch -q \"$PWD/packet.bundle\" 'refs/attest/evidence/*:refs/attest/evidence/*'"))
            clone.append(g("for-each-ref refs/attest/evidence"))
        }
        out.append(Step(title: "The repository the audit read",
                        proves: "the clone's HEAD is the revision the reports name (\(r.revisionID.prefix(12))); `attest audit --from \(UTC.day(r.from)) --to \(UTC.day(r.to))` run in \(repo) reaches the same verdict as audit.json, if you have attest.",
                        commands: clone))
        for a in anchors {
            out.append(Step(title: "Trust anchor \(a.path) at \(a.commit.prefix(12))",
                            proves: "the \(a.packetPath) shipped here is the file committed at \(a.commit.prefix(12)) in the audited history, not one chosen for the packet.",
                            commands: [g("show \(q(a.commit + ":" + a.path))") + " | cmp - \(q(a.packetPath)) && echo 'same as committed'"]))
        }
        for f in run.quarterFacts { out += quarterSteps(f) }
        return out
    }

    func quarterSteps(_ f: QuarterFacts) -> [Step] {
        let qr = f.quarter, quarter = qr.quarter.description, r = run.report
        let flags = Set(qr.flags.map(\.flag))
        func tagged(_ fl: AuditFlag...) -> [String] { fl.filter(flags.contains).map { "\(quarter) \($0.rawValue)" } }
        guard let so = qr.signoff else {
            return [Step(title: "\(quarter): no sign-off",
                         proves: "no commit in the audited history carries the trailer `Attest-Quarter: \(quarter)`: the quarter is missing.",
                         commands: ["test -z \"$(\(g("log --format=%H --grep='^Attest-Quarter: \(quarter)$' \(r.revisionID)")))\" && echo 'no commit signs off \(quarter)'"],
                         shows: ["\(quarter) missing"])]
        }
        let id = so.id, path = qr.path
        var steps: [Step] = []
        // The claim, the dates against the window.
        var claim = [
            g("merge-base --is-ancestor \(id) \(r.revisionID)") + " && echo 'the sign-off is in the audited history'",
            g("log -1 --format=%B \(id)") + " | git interpret-trailers --parse | grep -Fx \(q("Attest-Quarter: \(quarter)"))",
            g("log -1 --format='author    %an <%ae> %aI%ncommitter %cn <%ce> %cI' \(id)"),
        ]
        let opens = Int(qr.window.opens.timeIntervalSince1970), closes = Int(qr.window.closes.timeIntervalSince1970)
        let ct = "$(\(g("log -1 --format=%ct \(id)")))", at = "$(\(g("log -1 --format=%at \(id)")))"
        switch qr.verdict {
        case .onTime:
            claim.append("test \"\(ct)\" -ge \(opens) && test \"\(ct)\" -le \(closes) && test \"\(at)\" -ge \(opens) && test \"\(at)\" -le \(closes) && echo 'author and committer dates inside the window \(UTC.iso(qr.window.opens)) .. \(UTC.iso(qr.window.closes))'")
        case .late:
            claim.append("test \"\(ct)\" -gt \(closes) -o \"\(at)\" -gt \(closes) && echo 'dated after the hard close \(UTC.iso(qr.window.closes)): late'")
        case .early:
            claim.append("test \"\(ct)\" -lt \(opens) -o \"\(at)\" -lt \(opens) && echo 'dated before the window opened \(UTC.iso(qr.window.opens)): early'")
        case .missing: break
        }
        if let t = (try? SignoffTrailers.parse(message: so.message)) ?? nil {
            claim.append("test \"$(\(g("show \(q(id + ":" + t.documentPath))")) | sha256sum | cut -d' ' -f1)\" = \(t.documentSHA256) && echo 'the signed file is the one its Attest-Document trailer names'")
        }
        let basis = qr.timeBasis.kind == "tsa" ? "a TSA's time (next steps) as well as the git dates" : "git dates only, which whoever commits can set"
        steps.append(Step(title: "\(quarter): sign-off \(so.shortID), \(qr.verdict.rawValue)",
                          proves: "\(so.shortID) is in the audited history, claims \(quarter), and is dated as the verdict \(qr.verdict.rawValue) says (by \(basis)); the git identity printed is what the commit claims, not who signed.",
                          commands: claim, shows: qr.verdict == .onTime ? tagged(.dateAnomaly) : ["\(quarter) \(qr.verdict.rawValue)"] + tagged(.dateAnomaly)))

        // The signature and the verified signer.
        let signers = anchors.first { $0.commit == f.judging?.rulesFrom && $0.path == f.judging?.allowedSignersFile }
        let verify = signers.map { g("-c gpg.ssh.allowedSignersFile=\"$PWD\"/\(q($0.packetPath)) verify-commit \(id)") }
        switch f.signature {
        case .verified(let s)? where verify != nil && s.source != "gpg keyring":
            steps.append(Step(title: "\(quarter): signed by \(s.principal)",
                              proves: "the sign-off carries an SSH signature that verifies with the key \(f.judging.map { "\($0.allowedSignersFile) at \($0.rulesFrom.prefix(12))" } ?? "") lists for \(s.principal) (\(s.key)): the verified signer, whatever the git identity says.",
                              commands: ["\(verify!) 2>&1 | grep -F \(q("Good \"git\" signature for \(s.principals.first ?? s.principal) with"))"]))
        case .unsigned?:
            steps.append(Step(title: "\(quarter): unsigned",
                              proves: "the sign-off commit carries no signature at all (no gpgsig header).",
                              commands: [expectFailure(g("cat-file commit \(id)") + " | grep -q '^gpgsig'", confirmed: "\(so.shortID) carries no signature", mismatch: "\(so.shortID) is signed, the report says unsigned")],
                              shows: tagged(.unsigned)))
        case .bad(let why)? where verify != nil:
            steps.append(Step(title: "\(quarter): bad signature",
                              proves: "the sign-off's signature does not verify against the shipped allowed-signers file (\(why)).",
                              commands: [expectFailure(verify! + " 2>/dev/null", confirmed: "the signature of \(so.shortID) does not verify", mismatch: "the signature of \(so.shortID) verifies, the report says it does not")],
                              shows: tagged(.badSignature)))
        default:
            break
        }

        // The token.
        if let t = tokens.first(where: { $0.quarter == qr.quarter }), let ca = f.judging?.tsaCA,
           let caAnchor = anchors.first(where: { $0.commit == ca.commit && $0.path == ca.path }) {
            // The tree without the validation files the sign-off adds under .ltv, and the files it
            // renews (docs/tsa.md); for a sign-off without any, the commit's tree and no renews line.
            let ltv = q(ValidationLayout.root(documentPath: t.documentPath))
            let tree = "I=$(mktemp -u); GIT_INDEX_FILE=$I \(g("read-tree \(id)")); \(g("diff --name-only --no-renames --diff-filter=AM \(id)^ \(id) -- \(ltv)")) | GIT_INDEX_FILE=$I xargs -r \(g("update-index --force-remove --")); "
                + "T=$(GIT_INDEX_FILE=$I \(g("write-tree"))); rm -f \"$I\"; "
            let rebuild = "{ \(tree)echo 'attest-timestamp-imprint v1'; echo \(q("quarter \(quarter)")); echo \(q("document \(t.documentPath)")); "
                + "echo \"blob $(\(g("rev-parse \(q(id + ":" + t.documentPath))")))\"; echo \"tree $T\"; "
                + "for p in $(\(g("log -1 --format=%P \(id)"))); do echo \"parent $p\"; done; echo \(q("evidence \(t.evidence)")); "
                + "\(g("ls-tree -r --name-only \"$T\" \(ltv)")) | LC_ALL=C sort | while read -r f; do echo \"renews $(\(g("cat-file blob \"$T:$f\"")) | sha256sum | cut -d' ' -f1) $f\"; done; } | cmp - \(q(t.imprintPath)) && echo 'the imprint is this sign-off: its file, tree, parents, evidence digest and the tokens it renews'"
            let bind = [
                g("log -1 --format='%(trailers:key=Attest-Timestamp,valueonly)' \(id)") + " | base64 -d | cmp - \(q(t.tokenPath)) && echo 'the token is the one in the Attest-Timestamp trailer'",
                rebuild,
            ]
            let stored = t.validation.map { v in g("show \(q(id + ":" + v.path))") + " | cmp - \(q(t.packetPath(ofValidation: v.path)))" }
                + (t.validation.isEmpty ? [] : ["echo \(q("the token's validation data in tokens/\(quarter)/ is the one stored at the sign-off (\(t.validation.count) files)"))"])
            let verifyToken = "openssl ts -verify -in \(q(t.tokenPath)) -token_in -data \(q(t.imprintPath)) -CAfile \(q(caAnchor.packetPath))"
            if t.valid {
                steps.append(Step(title: "\(quarter): trusted time from the TSA",
                                  proves: "a TSA whose certificate chains to the CA committed before the sign-off stamped exactly this sign-off at the time printed (\(qr.timeBasis.detail)); the signer could not choose that time\(t.validation.isEmpty ? "" : "; the TSA's certificate chain and revocation data shipped in tokens/\(quarter)/ are those stored with the token at the sign-off (docs/tsa.md), for checking the token after the TSA's certificate expires")).",
                                  commands: bind + stored + [verifyToken, "openssl ts -reply -in \(q(t.tokenPath)) -token_in -text | grep -E '^(Time stamp|TSA):'"]))
            } else {
                steps.append(Step(title: "\(quarter): the timestamp token does not hold",
                                  proves: "the token in the sign-off does not verify for this sign-off's imprint against the committed CA: its time is not trusted.",
                                  commands: [expectFailure(verifyToken + " >/dev/null 2>&1", confirmed: "the token of \(so.shortID) does not verify", mismatch: "the token verifies, the report says it does not")],
                                  shows: tagged(.untrustedTime)))
            }
        }

        steps += sealedSteps(f)

        // The file since the sign-off.
        if flags.contains(.amended) || flags.contains(.deleted) {
            steps.append(Step(title: "\(quarter): the signed file changed after its sign-off",
                              proves: "\(path) at the audited revision is not the file \(so.shortID) signed; the commits listed changed it.",
                              commands: [g("log --format='%h %cI %an <%ae> %s' \(id)..\(r.revisionID) -- \(q(path))"),
                                         expectFailure(g("diff --quiet \(id) \(r.revisionID) -- \(q(path))"), confirmed: "\(path) changed after its sign-off",
                                                       mismatch: "\(path) is unchanged since its sign-off, the report says otherwise")],
                              shows: tagged(.amended, .deleted)))
        } else {
            steps.append(Step(title: "\(quarter): the signed file is unchanged",
                              proves: "\(path) at the audited revision is byte for byte the file \(so.shortID) signed.",
                              commands: [g("diff --quiet \(id) \(r.revisionID) -- \(q(path))") + " && echo 'unchanged since the sign-off'"]))
        }
        // The policy.
        steps.append(Step(title: "\(quarter): the policy it was judged under",
                          proves: "the window and the rules the verdict used (\(f.policyText)) are the ones committed: .attestconfig at the sign-off (window) and at the audited revision (rules).",
                          commands: [g("show \(id):.attestconfig 2>/dev/null || echo 'no .attestconfig at the sign-off: default window (5 days before, 5 after, 10:00 UTC)'"),
                                     g("show \(r.revisionID):.attestconfig 2>/dev/null || echo 'no .attestconfig at the audited revision: defaults'")],
                          shows: tagged(.policyChanged)))
        return steps
    }

    /// The variables the sealed-evidence steps read: a recipient's private key and certificate.
    static let keyVariables = "AUDITOR_KEY and AUDITOR_CERT"

    /// Sealed evidence (docs/evidence.md): for a sign-off that names a sealed blob, the blob in
    /// the bundle's evidence ref (anyone can check), then its contents with a recipient's key
    /// (`openssl cms -decrypt … | tar -x && sha256sum -c SHA256SUMS`, then `SHA256SUMS` against
    /// `Attest-Evidence`).
    func sealedSteps(_ f: QuarterFacts) -> [Step] {
        let qr = f.quarter, quarter = qr.quarter.description
        guard let so = qr.signoff, let blob = EvidenceVault.trailer(EvidenceVault.sealedTrailer, so.message),
              let t = (try? SignoffTrailers.parse(message: so.message)) ?? nil else { return [] }
        let ref = "refs/attest/evidence/\(quarter)", file = "\(quarter).p7m", dir = "work/evidence/\(quarter)"
        guard run.context.evidenceRefs[qr.quarter] != nil else {
            return [Step(title: "\(quarter): sealed evidence named, not in the packet",
                         proves: "the sign-off names sealed evidence \(blob.prefix(12)) (`\(EvidenceVault.sealedTrailer)`), but the repository exported had no \(ref): the report says \(f.sealedState); ask for the evidence ref.",
                         commands: [g("log -1 --format=%B \(so.id)") + " | git interpret-trailers --parse | grep -Fx \(q("\(EvidenceVault.sealedTrailer): \(blob)"))"])]
        }
        let flagged = qr.flags.contains { $0.flag == .evidenceMismatch }
        let inChain = g("rev-list --first-parent \(ref)") + " | while read -r c; do \(g("rev-parse \"$c:\(file)\"")); done | grep -Fx \(blob)"
        let named = g("log -1 --format=%B \(so.id)") + " | git interpret-trailers --parse | grep -Fx \(q("\(EvidenceVault.sealedTrailer): \(blob)"))"
        var steps = [Step(title: "\(quarter): the sealed evidence is the one signed",
                          proves: "the sign-off names the sealed blob \(blob.prefix(12)) in its `\(EvidenceVault.sealedTrailer)` trailer, and \(ref) in the bundle holds that blob (at its tip, or in the commits its recorded reseals appended): the report's evidence line (\(f.sealedState)). Needs no key.",
                          commands: [named,
                                     flagged ? g("log --format='%h %cI %cn <%ce> %s' \(ref)") : inChain + " && echo \(q("\(ref) holds the sealed blob the sign-off names"))"],
                          shows: flagged ? ["\(quarter) evidence-mismatch"] : [])]
        if flagged { return steps }
        // Who sealed and resealed it: each evidence commit's SSH signature, with the shipped allowed signers.
        if let chain = run.context.sealedEvidence[qr.quarter]?.sshSignedChain, !chain.isEmpty,
           let signers = anchors.first(where: { $0.commit == f.judging?.rulesFrom && $0.path == f.judging?.allowedSignersFile }) {
            steps.append(Step(title: "\(quarter): the evidence commits are signed by listed signers",
                              proves: "each commit of \(ref) from its tip back to the signed blob (the seal\(chain.count > 1 ? " and \(chain.count - 1) reseal\(chain.count == 2 ? "" : "s")" : "")) carries an SSH signature that verifies with a key \(signers.path) at \(signers.commit.prefix(12)) lists: who sealed the evidence, and who gave each later reader access.",
                              commands: chain.map { c in g("-c gpg.ssh.allowedSignersFile=\"$PWD\"/\(q(signers.packetPath)) verify-commit \(c)") + " 2>&1 | grep -F 'Good \"git\" signature for'" }))
        }
        steps.append(Step(title: "\(quarter): the sealed evidence opens and matches the sign-off, with your key",
                          proves: "with a recipient's key (\(Self.keyVariables), see above), the sealed archive at \(ref)'s tip decrypts with OpenSSL alone, every file in it matches its `SHA256SUMS`, and that `SHA256SUMS` is the one the sign-off's `Attest-Evidence` names: the evidence the quarter was signed on is kept as signed (the report, without a key, says only that the blob is the signed one).",
                          commands: [": \"${AUDITOR_KEY:?set AUDITOR_KEY to your private key and AUDITOR_CERT to your certificate (a recipient of the sealed evidence)}\" \"${AUDITOR_CERT:?set AUDITOR_CERT to your certificate}\"",
                                     "mkdir -p \(dir) && \(g("cat-file blob \(ref):\(file)")) > work/evidence/\(file)",
                                     "openssl cms -decrypt -inform DER -in work/evidence/\(file) -recip \"$AUDITOR_CERT\" -inkey \"$AUDITOR_KEY\" | tar -x -C \(dir) && (cd \(dir) && sha256sum -c SHA256SUMS)",
                                     "test \"$(sha256sum \(dir)/SHA256SUMS | cut -d' ' -f1)\" = \(t.evidenceSHA256) && echo \(q("SHA256SUMS is the one the sign-off's Attest-Evidence names"))"]))
        return steps
    }

    func markdown() -> String {
        let r = run.report
        let steps = steps()
        var s = "# Verifying the auditor's packet: \(UTC.day(r.from)) to \(UTC.day(r.to))\n\n"
        s += "Written by attest \(AttestVersion.current) at \(UTC.iso(run.context.generatedAt)) from revision "
        s += "\(MarkdownReport.text(r.revision)) (`\(r.revisionID)`). The audit's result: **\(ReportParts.passes(r, run.context) ? "PASS" : "FAIL")**: "
        s += MarkdownReport.text(ReportParts.summaryText(r, run.context)) + ". The reports are `audit.html`, `audit.md` and `audit.json`, from one evaluation.\n\n"
        s += "Everything below needs only git (2.34 or later), OpenSSL and coreutils, and no network. "
        s += "Run the blocks in bash, in order, in the folder that holds this file (the packet extracted with `tar -xzf`), "
        s += "in a fresh copy (step \(steps.firstIndex { $0.title.hasPrefix("The repository") }.map { $0 + 1 } ?? 3) clones into `work/repo`). "
        s += "Every command exits 0 when the claim of its step holds. A step about a flagged fact confirms the flag and prints `confirmed: …`; "
        s += "it prints `MISMATCH: …` and fails when git or OpenSSL says otherwise.\n\n"
        if steps.contains(where: { $0.title.hasSuffix(", with your key") }) {
            s += "Sealed evidence: the steps marked \"with your key\" decrypt it with a recipient's key. Before running them, "
            s += "`export AUDITOR_KEY=path/to/your.key AUDITOR_CERT=path/to/your.pem` (the PEM private key and the certificate the compliance owner sealed to; "
            s += "the key never leaves your machine). They write the opened files under `work/evidence/`.\n\n"
        }
        let flagged = steps.enumerated().flatMap { i, st in st.shows.map { ($0, i + 1) } }
        if !flagged.isEmpty {
            s += "## Where the findings show\n\n| Finding in the report | Step that shows it |\n|---|---|\n"
            for (what, n) in flagged { s += "| \(MarkdownReport.text(what)) | \(n) |\n" }
            s += "\n"
        } else {
            s += "The report flags nothing; every step below confirms a claim of a passing period.\n\n"
        }
        for (i, st) in steps.enumerated() {
            s += "## Step \(i + 1). \(MarkdownReport.text(st.title))\n\n"
            s += "Proves: \(st.proves.replacingOccurrences(of: "\n", with: " "))\n\n"
            if !st.shows.isEmpty { s += "Shows: \(MarkdownReport.text(st.shows.joined(separator: ", "))).\n\n" }
            s += "```sh\n" + st.commands.joined(separator: "\n") + "\n```\n\n"
        }
        s += "## What the packet does not prove\n\n"
        s += "- Git dates are whatever the committer's clock said; only a TSA's time (where a step above checks a token) is beyond the signer's choice.\n"
        s += "- A signature proves which key signed; that the key belongs to the person is what the allowed-signers file, committed in the history, says.\n"
        s += "- Evidence files are not in the packet in the clear: the sign-offs commit their digests (`Attest-Evidence`); sealed evidence, where `refs/attest/evidence/*` exist, travels encrypted in the bundle and only a recipient's key opens it (the steps above with your key). A quarter signed without sealed evidence has only its digests.\n"
        return s
    }
}
