import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestEvidence

/// `attest verify`: every rule of DESIGN.md §4.6 on one sign-off commit.
struct VerifyCommand: Command {
    static let name = "verify"
    static let summary = "check every rule on one sign-off commit (default: the latest on HEAD)"
    static let help = """
    Checks one sign-off commit: message and trailers well formed; the attestation file present,
    parseable and matching the Attest-Document digest; all seven steps present, findings linked,
    result not blocked and equal to Attest-Result; Attest-Evidence equal to the file's manifest;
    author and committer dates inside the quarter's window (or declared late); committer date
    not before its parent's and not in the future; the signature valid against
    .attest/allowed_signers (SSH, checked natively) or the GnuPG keyring (OpenPGP, through gpg),
    and required when signing.required is true; the Attest-Timestamp token (RFC 3161) checked
    offline against tsa.caFile as committed at the sign-off, its time used as the trusted time
    for the window (rule late), and rule untrusted-time when it does not hold or is missing
    while tsa.required is true (docs/tsa.md).

    REV defaults to the latest sign-off commit reachable from HEAD.
    """
    static let helpFooter = """
    Exit codes: 0 every rule holds; 1 a rule is broken (one line per broken rule on stdout),
    or REV is not a sign-off; 2 usage or policy error; 3 no repository or unreadable commit.

    Examples:
      attest verify
      attest verify HEAD~3 --evidence evidence/2026-Q4
      attest verify 1a2b3c4 --json
    """
    static let evidence = Option("evidence", value: "DIR", help: """
        also recompute every evidence digest in DIR (the quarter's evidence folder) and compare \
        with SHA256SUMS, the file's steps table and the Attest-Evidence trailer
        """)
    static let key = Option("key", value: "KEY", help: """
        open the sign-off's sealed evidence (refs/attest/evidence/YYYY-QN) with a recipient's \
        private key and check every file against its SHA256SUMS and SHA256SUMS against \
        Attest-Evidence (docs/evidence.md)
        """)
    static let cert = Option("cert", value: "CERT", goesWith: key, help: "the key's certificate, to pick its recipient entry")
    static let json = Flag("json", help: """
        {commit, quarter, result, holds, violations: [{rule, message, remedy, file}], notes, \
        sealedEvidence: {ok, text} or null}
        """)
    static let spec = ArgumentSpec(options: [evidence, key, cert, json], positionals: .optional("REV"))

    let revision: String?
    let evidence: String?
    let json: Bool
    /// `--key KEY [--cert CERT]`: open the sealed evidence (docs/evidence.md).
    let key: EvidenceVault.Key?

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        revision = arguments.positionals.first
        json = arguments[Self.json]
        if let e = arguments[Self.evidence] {
            let path = Paths.resolve(e, against: context.workingDirectory)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw .usage("--evidence '\(e)' is not a folder")
            }
            evidence = path
        } else { evidence = nil }
        key = try EvidenceVault.Key.load(arguments, key: Self.key, cert: Self.cert, context: context)
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        _ = try context.policy(requireRepository: true)  // a bad working-tree policy is still a usage error
        let id = try target(repo)
        let raw: RawCommit
        do { raw = try repo.rawCommit(id) } catch { throw .environment("cannot read commit \(id.short): \(error.message)") }
        guard SignoffClaim(message: raw.message) != nil else {
            throw .failed("commit \(id.short) is not a sign-off (no Attest-Quarter trailer, no sign-off subject); name a sign-off commit, or run 'attest verify' to take the latest")
        }
        // The policy in force when it was signed (docs/verify.md, "Which policy judges").
        let inspector = try reporting { try SignoffInspector.forVerify(raw, repository: repo, overrides: context.overrides) }
        let policy = inspector.policy
        let report = SignoffRules.check(try reporting { try inspector.facts(raw, now: context.now, evidenceFolder: evidence) }, policy: policy)
        let sealed = try reporting { try EvidenceVault.verifySealed(repo, policy: policy, message: raw.message, key: key, inspector: inspector, environment: context.environment) }
        // The commit is judged whatever the working tree's state; a crash mid-sign is said (docs/verify.md).
        if let state = repo.interruptedState(watching: report.trailers.map { [$0.documentPath] } ?? []), !state.isEmpty {
            context.err.line("warning: \(state.message())")
        }
        if json {
            context.out.line(Self.json(report, sealed: sealed))
        } else {
            let what = report.trailers.map { "\($0.quarter) sign-off (\($0.result.rawValue))" } ?? "sign-off"
            if report.holds {
                context.out.line("ok: commit \(id.short) \(what): every rule holds")
            } else {
                context.out.line("FAILED: commit \(id.short) \(what): \(report.violations.count) rule\(report.violations.count == 1 ? "" : "s") broken")
                for v in Listing.bounded(report.violations.map(\.line), noun: "broken rules", more: "; --json lists them all") { context.out.line(v) }
            }
            for n in report.notes { context.out.line("note: \(n)") }
            for v in TrustedTime.validationNotes(of: raw, repository: repo) { context.out.line("note: \(v)") }
            if let sealed { context.out.line((sealed.ok ? "note: " : "FAILED: ") + sealed.text) }
        }
        return report.holds && sealed?.ok != false ? 0 : 1
    }

    func target(_ repo: Repository) throws(AttestError) -> ObjectID {
        if let revision {
            do { return try repo.resolveCommit(revision) } catch {
                throw .usage("'\(revision)' is not a commit: \(error.message)")
            }
        }
        guard let head = repo.headCommit else { throw .failed("HEAD has no commits; there is no sign-off to verify") }
        var found: ObjectID?
        do {
            try repo.walk(from: [head], hiding: []) { id throws(GitError) in
                guard try repo.messageMentionsAttest(id) else { return true }
                if SignoffClaim(message: try repo.rawCommit(id).message) != nil { found = id; return false }
                return true
            }
        } catch { throw .environment("cannot walk history: \(error.message)") }
        guard let found else { throw .failed("no sign-off commit is reachable from HEAD; make one with 'attest sign'") }
        return found
    }

    static func json(_ r: SignoffReport, sealed: (ok: Bool, text: String)? = nil) -> String {
        var obj: [String: Any] = [
            "commit": r.commit,
            "quarter": r.trailers.map { $0.quarter.description } ?? NSNull(),
            "result": r.trailers.map { $0.result.rawValue } ?? NSNull(),
            "holds": r.holds,
            "violations": r.violations.map { ["rule": $0.rule, "message": $0.message, "remedy": $0.remedy, "file": $0.file ?? NSNull()] as [String: Any] },
            "notes": r.notes,
        ]
        // Always present, so a reader need not guess: null when the sign-off has no sealed evidence.
        obj["sealedEvidence"] = sealed.map { ["ok": $0.ok, "text": $0.text] as [String: Any] } ?? NSNull()
        let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
