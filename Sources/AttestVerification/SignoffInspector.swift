import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestCrypto

/// Gathers the facts of one sign-off commit from the repository (raw commit, document blob,
/// signature, evidence) and hands them to `SignoffRules`. `verify`, the hooks and `audit` use it.
///
/// ```swift
/// let inspector = SignoffInspector(repository: repo, policy: policy, allowedSigners: signers)
/// let report = try inspector.report(for: id, now: context.now)
/// ```
public struct SignoffInspector {
    public let repository: Repository
    public let policy: Policy
    /// nil when there is no allowed-signers file: SSH signatures are then unverifiable.
    public let allowedSigners: AllowedSigners?
    /// Where the allowed signers came from, for messages.
    public var gpgProgram: String = "gpg"

    public init(repository: Repository, policy: Policy, allowedSigners: AllowedSigners?, gpgProgram: String = "gpg") {
        self.repository = repository; self.policy = policy; self.allowedSigners = allowedSigners; self.gpgProgram = gpgProgram
    }

    public func report(for id: ObjectID, now: Date, evidenceFolder: String? = nil) throws(VerificationError) -> SignoffReport {
        let raw = try commit(id)
        return SignoffRules.check(try facts(raw, now: now, evidenceFolder: evidenceFolder), policy: policy)
    }

    public func commit(_ id: ObjectID) throws(VerificationError) -> RawCommit {
        do { return try repository.rawCommit(id) } catch { throw .commitUnreadable(id, cause: error) }
    }

    public func facts(_ raw: RawCommit, now: Date, evidenceFolder: String?) throws(VerificationError) -> SignoffFacts {
        var text: String?, digest: String?
        if let path = SignoffRules.documentPath(in: raw.message) {
            do {
                if let data = try repository.blob(at: path, inCommit: raw.id, maxBytes: RegularFile.Limit.attestationFile) {
                    text = String(decoding: data, as: UTF8.self)
                    digest = try? SHA256.hex(of: data)
                }
            } catch where error.isRefusal {
                // Too large, or a symbolic link: the commit is refused (exit 1), not the environment.
                throw .documentRefused(path: path, commit: raw.id, cause: error)
            } catch { throw .documentUnreadable(path: path, commit: raw.id, cause: error) }
        }
        var parentDates: [Date] = []
        for p in raw.parents where repository.contains(p) {
            parentDates.append(try commit(p).committer.date)
        }
        let quarter = (try? SignoffTrailers.parse(message: raw.message))??.quarter
        let window = quarter.map { Schedule(policy: policy).window(for: $0) }
        var facts = SignoffFacts(commit: raw.id.hex, message: raw.message, documentText: text, documentSHA256: digest,
                                 authorDate: raw.author.date, committerDate: raw.committer.date, parentCommitterDates: parentDates,
                                 now: now, signature: signature(of: raw, window: window),
                                 timestamp: TrustedTime.outcome(of: raw, repository: repository), evidence: evidenceFolder.map { EvidenceFolder.check($0) })
        // The catalogue in force at the parent (a root commit: its own tree).
        if let base = ControlCatalogue.base(of: raw, repository: repository) { ControlCatalogue.gather(into: &facts, commit: base, repository: repository, policy: policy) }
        return facts
    }

    /// Checks the commit's `gpgsig` header: SSH natively against the allowed signers, judged
    /// against the quarter's window; OpenPGP through gpg, as git does.
    public func signature(of raw: RawCommit, window: Window?) -> SignatureOutcome {
        guard let sig = raw.signature else { return .unsigned }
        switch raw.signatureKind {
        case .ssh:
            let parsed: SSHSignature
            do {
                parsed = try SSHSignature(armored: sig)
                try parsed.verify(raw.signedPayload, namespace: "git")
            } catch { return .invalid(error.message) }
            guard let signers = allowedSigners else {
                return .unverifiable("no allowed-signers file at \(policy.allowedSignersFile) to trust \(parsed.publicKey)")
            }
            // Without a quarter (malformed trailers), judge the key's validity at the committer date.
            let verdict = window.map { signers.verdict(keyBlob: parsed.publicKey.blob, namespace: "git", window: $0) }
                ?? signers.verdict(keyBlob: parsed.publicKey.blob, namespace: "git", from: raw.committer.date,
                                   to: raw.committer.date, label: "committer date")
            switch verdict {
            case .allowed(let principals, let line):
                return .valid(signer: "\(principals.joined(separator: ",")) (\(parsed.publicKey), \(signers.path):\(line))")
            case .notListed:
                return .invalid("the key \(parsed.publicKey) is not in \(signers.path)")
            case .refused(let reasons):
                return .invalid(reasons.joined(separator: "; "))
            }
        case .openpgp:
            return OpenPGP.verify(signature: sig, payload: raw.signedPayload, program: gpgProgram)
        case .x509:
            return .unverifiable("X.509 (gpgsm) signatures are not supported")
        default:
            return .invalid("the gpgsig header holds no known signature format")
        }
    }

    /// The policy that judges a sign-off commit (`SignoffRules.policyInForce`): `.attestconfig`
    /// at its first parent (`parentPolicy`), tightened by its own where stricter, each with `-c`
    /// on top.
    public static func policyInForce(for raw: RawCommit, repository: Repository, overrides: [Policy.Entry]) throws(PolicyFilesError) -> Policy {
        let files = PolicyFiles(repository: repository, overrides: overrides)
        let own = try files.policy(at: raw.id)
        guard let parent = raw.parents.first, repository.contains(parent) else { return own }
        let before = try parentPolicy(at: parent, quarter: SignoffClaim(message: raw.message)?.quarter, files: files)
        return SignoffRules.policyInForce(parent: before, own: own)
    }

    /// The policy at a sign-off's parent, as it applies to the quarter: a change made after the
    /// quarter's window opened applies to it only where it is stricter (issue #15). The
    /// baseline is the newest first-parent ancestor dated before the window opened (a date set
    /// back is refused by the hooks and flagged by audit); `sign` asks the same of HEAD.
    public static func parentPolicy(at parent: ObjectID, quarter: Quarter?, repository: Repository, overrides: [Policy.Entry]) throws(PolicyFilesError) -> Policy {
        try parentPolicy(at: parent, quarter: quarter, files: PolicyFiles(repository: repository, overrides: overrides))
    }

    private static func parentPolicy(at parent: ObjectID, quarter: Quarter?, files: PolicyFiles) throws(PolicyFilesError) -> Policy {
        let repository = files.repository
        let before = try files.policy(at: parent)
        guard let quarter else { return before }
        let opens = Schedule(policy: before).window(for: quarter).opens
        var b = parent, steps = 0
        while steps < 100_000, let c = try? repository.rawCommit(b), c.committer.date >= opens {
            guard let next = c.parents.first, repository.contains(next) else { break }
            b = next; steps += 1
        }
        guard b != parent, let c = try? repository.rawCommit(b), c.committer.date < opens else { return before }
        let baseline = try files.policy(at: b)
        return PolicyChanges.tightened(before, by: baseline)
    }

    /// The OpenPGP program git's configuration names (`gpg.openpgp.program`, else `gpg.program`),
    /// as `git verify-commit` runs it.
    public static func gpgProgram(of repository: Repository) -> String {
        repository.configString("gpg.openpgp.program") ?? repository.configString("gpg.program") ?? "gpg"
    }

    /// The inspector `verify` and `status` judge a sign-off with: the policy in force when it was
    /// signed (`policyInForce`, `-c` on top), the allowed signers of the working tree (else
    /// HEAD's), gpg as git's configuration names it. Its `policy` is the one to judge by.
    /// Throws `PolicyFilesError` (the policy) or `VerificationError` (the allowed signers).
    public static func forVerify(_ raw: RawCommit, repository: Repository, overrides: [Policy.Entry]) throws -> SignoffInspector {
        let policy = try policyInForce(for: raw, repository: repository, overrides: overrides)
        return SignoffInspector(repository: repository, policy: policy, allowedSigners: try allowedSigners(forVerifyIn: repository, policy: policy),
                                gpgProgram: gpgProgram(of: repository))
    }

    /// The inspector that judges evidence commits: the allowed signers at `commit` (the audited
    /// revision), gpg as git's configuration names it.
    public static func forEvidence(_ repo: Repository, policy: Policy, at commit: ObjectID?) throws(VerificationError) -> SignoffInspector {
        SignoffInspector(repository: repo, policy: policy, allowedSigners: try allowedSigners(in: repo, commit: commit, policy: policy),
                         gpgProgram: gpgProgram(of: repo))
    }

    /// The allowed-signers file as committed in `commit` (nil commit: none).
    public static func allowedSigners(in repository: Repository, commit: ObjectID?, policy: Policy) throws(VerificationError) -> AllowedSigners? {
        guard let commit else { return nil }
        let data: Data?
        do { data = try repository.blob(at: policy.allowedSignersFile, inCommit: commit) } catch {
            throw .allowedSignersUnreadable(path: policy.allowedSignersFile, commit: commit, cause: error)
        }
        guard let data else { return nil }
        return try parse(data, path: "\(policy.allowedSignersFile)@\(commit.short)")
    }

    /// The allowed-signers file of the working tree, else of HEAD.
    public static func allowedSigners(forVerifyIn repository: Repository, policy: Policy) throws(VerificationError) -> AllowedSigners? {
        if let root = repository.workdir {
            let path = root + "/" + policy.allowedSignersFile
            let found: Data?
            do { found = try RegularFile.read(path, what: "the allowed-signers file", maxBytes: RegularFile.Limit.text, missingIsNil: true) } catch { throw .workingAllowedSignersUnreadable(error) }
            if let data = found { return try parse(data, path: policy.allowedSignersFile) }
        }
        return try allowedSigners(in: repository, commit: repository.headCommit, policy: policy)
    }

    private static func parse(_ data: Data, path: String) throws(VerificationError) -> AllowedSigners {
        do { return try AllowedSigners(parsing: String(decoding: data, as: UTF8.self), path: path) } catch {
            throw .allowedSignersInvalid(path: path, cause: error)
        }
    }
}

/// OpenPGP signatures through `gpg --verify`, read from its status lines as git reads them.
public enum OpenPGP {
    public static func verify(signature: String, payload: Data, program: String) -> SignatureOutcome {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attest-gpg-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Data(signature.utf8).write(to: dir.appendingPathComponent("sig.asc"))
        } catch { return .unverifiable("cannot write a temporary file for gpg: \(error.localizedDescription)") }
        defer { try? FileManager.default.removeItem(at: dir) }
        let r: Subprocess.Result
        do { r = try Subprocess.run(program, ["--status-fd=1", "--verify", dir.appendingPathComponent("sig.asc").path, "-"], stdin: payload) }
        catch { return .unverifiable(error.description) }
        let status = r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("[GNUPG:] ") }.map { $0.dropFirst(9) }
        func has(_ k: String) -> Substring? { status.first { $0.hasPrefix(k + " ") || $0 == k } }
        for bad in ["BADSIG", "ERRSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG"] {
            if let line = has(bad) {
                return bad == "ERRSIG" && line.split(separator: " ").last == "9"
                    ? .invalid("gpg does not have the signing key (\(line)); import it into the keyring git uses")
                    : .invalid("gpg reports \(line)")
            }
        }
        guard let good = has("GOODSIG"), has("VALIDSIG") != nil, r.status == 0 else {
            return .invalid("gpg did not confirm the signature: \(r.stderrText.split(separator: "\n").first.map(String.init) ?? "exit \(r.status)")")
        }
        return .valid(signer: "OpenPGP " + good.dropFirst(8))
    }
}

/// Recomputes an evidence folder's digests (`verify --evidence DIR`).
public enum EvidenceFolder {
    public static func check(_ folder: String) -> EvidenceCheck {
        let sums = folder + "/SHA256SUMS"
        var manifest: String?
        var mismatches: [String] = []
        let data: Data?
        do { data = try RegularFile.read(sums, what: "the evidence manifest", maxBytes: RegularFile.Limit.manifest, missingIsNil: true) } catch {
            data = nil
            mismatches.append(error.description)
        }
        if let data {
            manifest = try? SHA256.hex(of: data)
            let text = String(decoding: data, as: UTF8.self)
            for (i, line) in text.split(separator: "\n").enumerated() {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, Hex.isSHA256(String(parts[0])) else { mismatches.append("line \(i + 1) is not '<sha256>  <file>'"); continue }
                var name = String(parts[1])
                if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
                guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
                    mismatches.append("line \(i + 1) names '\(name)', not a file of the folder"); continue
                }
                let got: String
                do { got = try SHA256.hex(ofFile: folder + "/" + name) } catch {
                    mismatches.append(FileManager.default.fileExists(atPath: folder + "/" + name) ? error.message : "\(name) is missing"); continue
                }
                if got != String(parts[0]) { mismatches.append("\(name) has SHA-256 \(got), SHA256SUMS says \(parts[0])") }
            }
        }
        mismatches = Listing.bounded(mismatches, noun: "problems of SHA256SUMS")
        var steps: [Int: String] = [:]
        for c in Controls.all {
            if let d = try? SHA256.hex(ofFile: folder + "/" + c.evidenceFile) { steps[c.step] = d }
        }
        var check = EvidenceCheck(folder: folder, manifestSHA256: manifest, stepSHA256: steps, manifestMismatches: mismatches)
        // Steps 8 and on name their files in results.json (schema 2); the digests are recomputed.
        if let results = try? EvidenceResults.load(from: URL(fileURLWithPath: folder + "/" + "results.json")) {
            for s in results.steps where s.step > 7 && !s.evidenceFile.contains("/") {
                check.evidenceFiles[s.step] = s.evidenceFile
                if let d = try? SHA256.hex(ofFile: folder + "/" + s.evidenceFile) { check.stepSHA256[s.step] = d }
                if let sql = s.sqlFile, !sql.contains("/"), let d = try? SHA256.hex(ofFile: folder + "/" + sql) { check.sqlSHA256[s.step] = d }
            }
        }
        return check
    }
}
