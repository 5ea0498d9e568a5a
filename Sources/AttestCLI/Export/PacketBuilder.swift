import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestCrypto

/// Assembles the auditor's packet (docs/export.md) from one audit evaluation: the history
/// bundle, the three reports, the trust anchors, the tokens, VERIFY.md and SHA256SUMS, as one
/// deterministic `.tar.gz` (AttestCrypto.TarArchive).
struct PacketBuilder {
    let repository: AttestGit.Repository
    let run: AuditRun
    /// The policy at the audited revision (tsa.url and tsa.caFile for the packet's own token).
    let policy: Policy
    let environment: [String: String]
    /// Where a warning goes (stderr).
    let warn: (String) -> Void

    struct Packet {
        var archive: Data
        var files: Int
        var stamped: Bool
    }

    /// A file the packet carries, by its path inside the packet's folder.
    typealias Files = [String: Data]

    var folder: String { "attest-packet-\(UTC.day(run.report.from))-to-\(UTC.day(run.report.to))" }

    func build() throws(AttestError) -> Packet {
        var files: Files = [:]
        let bundle = try PacketBundle(repository: repository, environment: environment)
            .create(revision: run.report.revision, revisionID: run.report.revisionID, evidenceRefs: run.context.evidenceRefs)
        files["packet.bundle"] = bundle.data
        files["audit.html"] = Data(run.render(.html).utf8)
        files["audit.md"] = Data(run.render(.markdown).utf8)
        files["audit.json"] = Data(run.render(.json).utf8)
        let anchors = try trustAnchors()
        for a in anchors { files[a.packetPath] = a.data }
        let tokens = try self.tokens()
        for t in tokens {
            files[t.tokenPath] = t.token
            files[t.imprintPath] = t.imprint
            for v in t.validation { files[t.packetPath(ofValidation: v.path)] = v.data }
        }
        // The packet's own token covers SHA256SUMS, which covers VERIFY.md, which names the
        // token: so a TSA that fails (when tsa.required is false) means writing both again
        // without it.
        func finish(_ stampCA: Anchor?) throws(AttestError) -> Files {
            var f = files
            if let ca = stampCA { f[ca.packetPath] = ca.data }
            let recipe = VerifyRecipe(run: run, branch: bundle.branch, anchors: anchors, tokens: tokens, stampCA: stampCA)
            f["VERIFY.md"] = Data(recipe.markdown().utf8)
            f["SHA256SUMS"] = try Self.sha256sums(f)
            return f
        }
        var stamped = false
        if let ca = try packetStampCA() {
            var f = try finish(ca)
            do {
                f["SHA256SUMS.tsr"] = try stamp(f["SHA256SUMS"]!, ca: ca)
                files = f
                stamped = true
            } catch {
                guard !policy.tsaRequired else {
                    throw .environment("\(error.description); nothing written: tsa.required is true. Export again when the TSA answers")
                }
                warn("warning: \(error.description); the packet is written without a token over SHA256SUMS (tsa.required is false)")
                files = try finish(nil)
            }
        } else {
            files = try finish(nil)
        }
        var tar = TarArchive(mtime: Int(revisionTime()))
        for (path, data) in files { tar.add(folder + "/" + path, data) }
        do { return Packet(archive: try tar.gzipped(), files: files.count, stamped: stamped) } catch {
            throw .environment("writing the packet archive: \(error.description)")
        }
    }

    /// The audited revision's committer time: the archive's one mtime.
    func revisionTime() -> TimeInterval {
        guard let id = ObjectID(hex: run.report.revisionID), let c = try? repository.rawCommit(id) else { return 0 }
        return c.committer.date.timeIntervalSince1970
    }

    /// `sha256sum` format, sorted by path: `<hex>  <path>`.
    static func sha256sums(_ files: Files) throws(AttestError) -> Data {
        var s = ""
        for path in files.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            guard let hex = try? SHA256.hex(of: files[path]!) else { throw .environment("SHA-256 of \(path) failed") }
            s += "\(hex)  \(path)\n"
        }
        return Data(s.utf8)
    }

    // MARK: trust anchors and tokens

    /// A file as committed at a revision, shipped under `trust/<commit>/<path>`.
    struct Anchor: Equatable {
        var commit: String
        var path: String
        var data: Data
        var packetPath: String { "trust/\(commit)/\(path)" }
    }

    /// The allowed-signers file and the TSA CA at each revision that judged a quarter
    /// (`JudgingPolicy`), each once.
    func trustAnchors() throws(AttestError) -> [Anchor] {
        var out: [Anchor] = []
        for q in run.report.quarters {
            guard let j = run.context.judging[q.quarter] else { continue }
            var wanted = [(j.rulesFrom, j.allowedSignersFile)]
            if let ca = j.tsaCA { wanted.append((ca.commit, ca.path)) }
            for (commit, path) in wanted where !out.contains(where: { $0.commit == commit && $0.path == path }) {
                if let data = try blob(path, at: commit) { out.append(Anchor(commit: commit, path: path, data: data)) }
            }
        }
        return out
    }

    func blob(_ path: String, at commit: String) throws(AttestError) -> Data? {
        guard let id = ObjectID(hex: commit) else { return nil }
        try Self.checkPath(path)
        do { return try repository.blob(at: path, inCommit: id) } catch {
            throw .environment("cannot read \(path) in \(id.short): \(error.message)")
        }
    }

    /// A policy-named path that is safe as a packet path and as a shell word's content.
    static func checkPath(_ path: String) throws(AttestError) {
        do { try TarArchive.checkName(path) } catch {
            throw .config("\(error.description): the policy names it; a packet cannot ship it")
        }
    }

    /// A sign-off's RFC 3161 token and the imprint bytes it stamps.
    struct Token {
        var quarter: Quarter
        var commit: String
        var token: Data
        var imprint: Data
        var documentPath: String
        var evidence: String
        var valid: Bool
        /// The token's validation data as stored at the sign-off (`.ltv/YYYY-QN/<digest>.*`,
        /// docs/tsa.md): the path in the repository and the bytes.
        var validation: [(path: String, data: Data)] = []
        var tokenPath: String { "tokens/\(quarter).tsr" }
        /// Where a stored validation file goes in the packet: `tokens/YYYY-QN/<name>`.
        func packetPath(ofValidation path: String) -> String { "tokens/\(quarter)/" + (path as NSString).lastPathComponent }
        var imprintPath: String { "tokens/\(quarter).imprint" }
    }

    func tokens() throws(AttestError) -> [Token] {
        var out: [Token] = []
        for q in run.report.quarters {
            guard let so = q.signoff, let t = (try? SignoffTrailers.parse(message: so.message)) ?? nil,
                  let text = t.timestamp, let der = Data(base64Encoded: text), !der.isEmpty,
                  let id = ObjectID(hex: so.id) else { continue }
            let raw: RawCommit
            do { raw = try repository.rawCommit(id) } catch { throw .environment("cannot read sign-off \(id.short): \(error.message)") }
            // The imprint as verify computes it (docs/tsa.md: the tree without the sign-off's own
            // validation files, and the files it renews).
            guard let imprint = try? TrustedTime.imprintFields(of: raw, trailers: t, repository: repository),
                  let bytes = try? imprint.bytes() else { continue }
            var valid = false
            if case .valid = so.timestamp { valid = true }
            let folder = ValidationLayout.folder(documentPath: t.documentPath, quarter: q.quarter.description)
            let digest = ValidationLayout.digest(of: der)
            let stored: [String: Data]
            do { stored = try repository.fileContents(under: folder, inCommit: id) } catch {
                throw .environment("cannot read \(folder) in sign-off \(id.short): \(error.message)")
            }
            let validation = stored.filter { $0.key.hasPrefix(digest + ".") }.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
                .map { (path: folder + "/" + $0.key, data: $0.value) }
            out.append(Token(quarter: q.quarter, commit: so.id, token: der, imprint: bytes, documentPath: t.documentPath,
                             evidence: t.evidenceSHA256, valid: valid, validation: validation))
        }
        return out
    }

    // MARK: the packet's own token

    /// The TSA CA at the audited revision, when the policy there names a TSA (`tsa.url`).
    func packetStampCA() throws(AttestError) -> Anchor? {
        let url = policy.tsaURL.trimmingCharacters(in: .whitespaces)
        guard !url.isEmpty else { return nil }
        guard !policy.tsaCAFile.isEmpty, let data = try blob(policy.tsaCAFile, at: run.report.revisionID) else {
            throw .config("tsa.url is set but tsa.caFile is not committed at \(run.report.revisionID.prefix(12)): the packet's token could not be checked; commit the CA (docs/tsa.md) and export again (nothing written)")
        }
        return Anchor(commit: run.report.revisionID, path: policy.tsaCAFile, data: data)
    }

    /// An RFC 3161 token over SHA256SUMS from the configured TSA (TimeStampAuthority, as sign uses it).
    func stamp(_ sums: Data, ca: Anchor) throws(AttestError) -> Data {
        do {
            let tsa = try TimeStampAuthority(url: policy.tsaURL.trimmingCharacters(in: .whitespaces), caPEM: ca.data,
                                             caName: "\(ca.path)@\(ca.commit.prefix(12))")
            return try tsa.stamp(imprint: try SHA256.digest(of: sums)).token
        } catch let e as TimeStampError {
            throw .environment("time-stamping SHA256SUMS with \(policy.tsaURL): \(e.description)")
        } catch {
            throw .environment("time-stamping SHA256SUMS with \(policy.tsaURL): \(error)")
        }
    }
}

/// `git bundle create` through the git CLI (libgit2 has no bundle writer), in a throwaway bare
/// repository that borrows the objects by alternates: the user's refs are never touched, and a
/// revision that is no branch tip still gets a branch in the bundle.
struct PacketBundle {
    let repository: AttestGit.Repository
    let environment: [String: String]

    /// Git with no user or system configuration and no inherited repository variables, so the
    /// pack (one thread, default settings) is the same on every machine for the same objects.
    var gitEnvironment: [String: String] {
        var env = environment.filter { !$0.key.hasPrefix("GIT_") }
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["LC_ALL"] = "C"
        return env
    }

    func git(_ args: [String], cwd: String? = nil) throws(AttestError) -> String {
        let r: Subprocess.Result
        do { r = try Subprocess.run("git", ["-c", "pack.threads=1", "-c", "core.bigFileThreshold=512m"] + args, environment: gitEnvironment, cwd: cwd) }
        catch { throw AttestError(error) }
        guard r.status == 0 else {
            throw .environment("git \(args.prefix(2).joined(separator: " ")) failed (\(r.status)): \(r.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)); nothing written")
        }
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func create(revision: String, revisionID: String, evidenceRefs: [Quarter: String]) throws(AttestError) -> (data: Data, branch: String) {
        let source = repository.workdir ?? repository.gitDir
        let objects = try git(["rev-parse", "--path-format=absolute", "--git-common-dir"], cwd: source) + "/objects"
        // The branch the revision names, else "audited".
        var branch = "audited"
        if let full = try? git(["rev-parse", "--symbolic-full-name", revision], cwd: source), full.hasPrefix("refs/heads/"),
           (try? git(["check-ref-format", full], cwd: source)) != nil {
            branch = String(full.dropFirst("refs/heads/".count))
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("attest-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        _ = try git(["init", "-q", "--bare", tmp + "/b.git"])
        do { try Data((objects + "\n").utf8).write(to: URL(fileURLWithPath: tmp + "/b.git/objects/info/alternates")) } catch {
            throw .environment("cannot write a temporary file under \(tmp): \(error.localizedDescription)")
        }
        let bare = tmp + "/b.git"
        _ = try git(["update-ref", "refs/heads/\(branch)", revisionID], cwd: bare)
        _ = try git(["symbolic-ref", "HEAD", "refs/heads/\(branch)"], cwd: bare)
        var refs = ["HEAD", "refs/heads/\(branch)"]
        for (q, id) in evidenceRefs.sorted(by: { $0.key.description < $1.key.description }) {
            _ = try git(["update-ref", "refs/attest/evidence/\(q)", id], cwd: bare)
            refs.append("refs/attest/evidence/\(q)")
        }
        _ = try git(["bundle", "create", "-q", tmp + "/packet.bundle"] + refs, cwd: bare)
        do { return (try Data(contentsOf: URL(fileURLWithPath: tmp + "/packet.bundle")), branch) } catch {
            throw .environment("cannot read the bundle git wrote: \(error.localizedDescription)")
        }
    }
}
