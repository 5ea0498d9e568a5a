import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestEvidence

/// `attest hook`: the push gate as git hooks, and installing it.
struct HookCommand: Command {
    static let name = "hook"
    static let summary = "push gate: pre-push, pre-receive and update hooks; install or remove the shim"
    static let help = """
    Stops pushes that carry a bad attestation, on the client (pre-push) and on the server
    (pre-receive or update). For every pushed commit that touches the attestation folder or
    the policy (.attestconfig, allowed signers, TSA CA, control files), or mentions attest:
      - a new sign-off, or an amendment (Attest-Amends), must pass every rule of 'attest
        verify', and its committer date may not be older than hook.maxSignoffAgeHours
        (default 48) at push time;
      - a change to a file that was already signed (a merge: against a parent on the
        sign-off's line) needs an Attest-Amends trailer naming the sign-off it amends;
        deleting a signed file is always refused;
      - a commit that weakens the policy names it: Attest-Policy-Change: <key>: <why>;
      - no committer date may lie in the future beyond hook.maxSkewMinutes (default 5), or
        before its parent's.
    On the server the policy is the record's before the push (hook.policyRef, else the ref
    updated, else HEAD; never the defaults), and an update that drops a sign-off, an
    amendment or a policy commit from every branch and tag is refused (append-only).
    A push that touches nothing under the folder is accepted after comparing the folder's
    subtree id in each pushed commit with its parents'. Every refusal names the commit, the
    file, the rule and what to do.

    Subcommands (git calls the first three; you run the last two):
      pre-push <remote> <url>   reads '<local ref> <local oid> <remote ref> <remote oid>' lines
      pre-receive               reads '<old oid> <new oid> <ref>' lines
      update <ref> <old> <new>  one ref, from arguments
      install [--force]         writes a short shim into the hooks folder (core.hooksPath
                                respected): pre-push in a working repository, pre-receive in a
                                bare one (there also core.logAllRefUpdates = always, and how
                                to keep the reflog). A hook attest did not write is never
                                replaced; --force rewrites attest's own shim. When attest is not found at push
                                time, the shim says what to do and refuses the push (exit 127).
                                Where pre-commit owns the pre-push hook, install prints the
                                .pre-commit-config.yaml entry for the hook id attest-push-gate.
      uninstall                 removes attest's shim, and nothing else

    Under pre-commit (.pre-commit-hooks.yaml, PRE_COMMIT=1) 'pre-push' takes no arguments and
    checks PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF (revisions resolved to commits), or, with no
    range (pre-commit run --all-files), what 'git push' would send; one line says which.
    """
    static let helpFooter = """
    Exit codes: 0 accepted / done; 1 push refused, or malformed hook input, or a foreign hook
    in the way; 2 usage; 3 repository or object store unreadable.

    Examples:
      attest hook install
      git push origin main        # runs 'attest hook pre-push origin <url>'
    """
    static let force = Flag("force", help: "with install: rewrite attest's own shim (a hook attest did not write is never replaced)")
    static let spec = ArgumentSpec(options: [force], positionals: .subcommands([
        .init("pre-push", arguments: ["<remote>", "<url>"]), .init("pre-receive"), .init("update", arguments: ["<ref>", "<old>", "<new>"]),
        .init("install", options: [force]), .init("uninstall"),
    ]))

    enum Action { case prePush(remote: String), preReceive, update(HookInput.RefUpdate), install(force: Bool), uninstall }
    let action: Action

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        let p = arguments.positionals
        let force = arguments[Self.force]
        if force && p[0] != "install" { throw .usage("--force goes with 'install' only") }
        func count(_ n: Int, _ form: String) throws(AttestError) {
            guard p.count == n + 1 else { throw .usage("'hook \(p[0])' takes \(form)") }
        }
        switch p[0] {
        case "pre-push":
            // pre-commit's entry 'attest hook pre-push' (.pre-commit-hooks.yaml) passes no
            // arguments; the remote is in PRE_COMMIT_REMOTE_NAME.
            if p.count == 1, context.environment["PRE_COMMIT"] == "1" {
                action = .prePush(remote: context.environment["PRE_COMMIT_REMOTE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "origin")
            } else {
                try count(2, "<remote> <url>"); action = .prePush(remote: p[1])
            }
        case "pre-receive": try count(0, "no arguments"); action = .preReceive
        case "update":
            try count(3, "<ref> <old oid> <new oid>")
            do { action = .update(try HookInput.update(ref: p[1], old: p[2], new: p[3])) } catch { throw .usage(error.description) }
        case "install": try count(0, "no arguments"); action = .install(force: force)
        case "uninstall": try count(0, "no arguments"); action = .uninstall
        default: throw .usage("unknown hook subcommand '\(p[0])'; use pre-push, pre-receive, update, install or uninstall")
        }
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        switch action {
        case .install(let force): return try install(context, force: force)
        case .uninstall: return try uninstall(context)
        case .prePush(let remote):
            let repo = try openRepository()
            var updates = try parse { b throws(HookInputError) in try HookInput.prePush(b) }
            // The remote's tracking refs are what the remote already has, as far as we know.
            let safe = !remote.contains(where: { "*?[\\ ".contains($0) }) && !remote.isEmpty
            let tracking = safe ? ((try? repo.references(glob: "refs/remotes/\(remote)/*")) ?? []).map(\.id) : []
            // Under the pre-commit framework, which keeps git's stdin for itself, the range
            // pushed comes in PRE_COMMIT_* variables, or none at all (pre-commit run --all-files).
            if updates.isEmpty, let u = try preCommitUpdate(context, repo, remote: remote, tracking: tracking) { updates = [u] }
            let policy = try reporting { try repo.loadPolicy(overrides: context.overrides) }
            let signers = try reporting { try SignoffInspector.allowedSigners(forVerifyIn: repo, policy: policy) }
            return try gate(context, repo, policy, signers, updates, hide: tracking, side: "pre-push", trusted: repo.headCommit, remote: remote)
        case .preReceive:
            let repo = try openRepository()
            let updates = try parse { b throws(HookInputError) in try HookInput.preReceive(b) }
            return try serverGate(context, repo, updates, side: "pre-receive")
        case .update(let u):
            return try serverGate(context, try openRepository(), [u], side: "update")
        }
    }

    // MARK: pre-commit

    /// The one ref update pre-commit describes in its variables, its revisions resolved to
    /// commits, and a line on stderr saying which commits are checked. nil outside pre-commit.
    ///
    /// With no range (`pre-commit run --all-files --hook-stage pre-push`, or pre-commit's own
    /// pre-push hook when the push sends a root commit) the commits checked are those of the
    /// local branch pushed (`PRE_COMMIT_LOCAL_BRANCH`), else of HEAD, that are not on the
    /// remote's tracking refs: what `git push` would send.
    private func preCommitUpdate(_ context: Context, _ repo: Repository, remote: String, tracking: [ObjectID]) throws(AttestError) -> HookInput.RefUpdate? {
        let env = context.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard env["PRE_COMMIT"] == "1" || value("PRE_COMMIT_TO_REF") != nil || value("PRE_COMMIT_FROM_REF") != nil else { return nil }
        func resolve(_ name: String, _ rev: String) throws(AttestError) -> ObjectID {
            do { return try repo.resolveCommit(rev) } catch {
                throw .failed("\(name)='\(rev)' does not name a commit in this repository (\(error.message)); give a revision that names a commit (a branch, a tag of a commit, origin/main~3, a commit id) (push refused)")
            }
        }
        let from: ObjectID?, to: ObjectID, what: (String) -> String
        switch (value("PRE_COMMIT_FROM_REF"), value("PRE_COMMIT_TO_REF")) {
        case let (f?, t?):
            // The all-zero id (what git's own hook input says for "nothing there yet").
            let a = ObjectID(hex: f)?.isZero == true ? ObjectID.zero : try resolve("PRE_COMMIT_FROM_REF", f)
            let b = try resolve("PRE_COMMIT_TO_REF", t)
            (from, to) = (a, b)
            what = { "checking the \($0) in PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF (\(f) = \(a.short) .. \(t) = \(b.short))" }
        case (nil, nil):
            let local = value("PRE_COMMIT_LOCAL_BRANCH")
            let tip = try resolve(local == nil ? "HEAD (PRE_COMMIT_LOCAL_BRANCH unset)" : "PRE_COMMIT_LOCAL_BRANCH", local ?? "HEAD")
            (from, to) = (nil, tip)
            what = { "no range given by pre-commit (PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF unset, as under 'pre-commit run --all-files'); checking what 'git push' would send: the \($0) of \(local ?? "HEAD") (\(tip.short))" }
        case let (f, t):
            let (set, unset) = f == nil ? ("PRE_COMMIT_TO_REF", "PRE_COMMIT_FROM_REF") : ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF")
            throw .failed("pre-commit set \(set) ('\(f ?? t ?? "")') without \(unset); give both --from-ref and --to-ref, or neither (push refused)")
        }
        let ref = value("PRE_COMMIT_REMOTE_BRANCH") ?? "refs/heads/pre-commit"
        let update: HookInput.RefUpdate
        do { update = try HookInput.update(ref: ref, old: (from ?? .zero).hex, new: to.hex) } catch {
            throw .failed("PRE_COMMIT_REMOTE_BRANCH: \(error.message) (push refused)")
        }
        var count = 0
        do { try repo.walk(from: [to], hiding: [from ?? .zero] + tracking) { _ throws(GitError) in count += 1; return true } } catch {
            throw .environment("cannot walk the commits pre-commit gave: \(error.message)")
        }
        let onRemote = tracking.isEmpty ? " (there is no refs/remotes/\(remote)/*, so that is the whole history)"
            : " that \(count == 1 ? "is" : "are") not on refs/remotes/\(remote)/*"
        context.err.line("attest pre-push: \(what("\(count) commit\(count == 1 ? "" : "s")"))\(onRemote); for the sign-offs already on the remote, run 'attest audit'")
        return update
    }

    // MARK: gate

    private func openRepository() throws(AttestError) -> Repository {
        do { return try Repository.openFromEnvironment() } catch {
            throw .environment("cannot open the repository: \(error.message); run this from a git hook (git sets GIT_DIR)")
        }
    }

    private func parse(_ f: ([UInt8]) throws(HookInputError) -> [HookInput.RefUpdate]) throws(AttestError) -> [HookInput.RefUpdate] {
        var input: [UInt8] = []
        let limit = HookInput.maxInputBytes
        while input.count <= limit {
            guard let chunk = try? FileHandle.standardInput.read(upToCount: 65536), !chunk.isEmpty else { break }
            input += chunk
        }
        do { return try f(input) } catch {
            if error.message.hasSuffix("smaller pushes") { throw .failed("\(error.description) (push refused)") }
            throw .failed("\(error.description); git writes this input itself, so the hook is being fed something else (push refused)")
        }
    }

    /// On the server, the policy and the allowed signers are those of the record as it stood
    /// before the push (`ServerRecord.policySource`: the policy ref, else the branch being
    /// updated, else HEAD for a new ref), never those of the commits being pushed and never the
    /// built-in defaults; and no update may drop part of the record (`droppedRecord`).
    private func serverGate(_ context: Context, _ repo: Repository, _ updates: [HookInput.RefUpdate], side: String) throws(AttestError) -> Int32 {
        let record = ServerRecord(repository: repo, overrides: context.overrides)
        let err = context.err
        let dropped = try reporting { try record.droppedRecord(updates) }
        var groups: [(source: ServerRecord.PolicySource, updates: [HookInput.RefUpdate])] = []
        for u in updates {
            let source = try reporting { try record.policySource(for: u, in: updates) }
            if let i = groups.firstIndex(where: { $0.source.commit == source.commit }) { groups[i].updates.append(u) } else { groups.append((source, [u])) }
        }
        var existing: [ObjectID] = []
        for glob in ["refs/heads/*", "refs/tags/*"] { existing += ((try? repo.references(glob: glob)) ?? []).map(\.id) }
        var status: Int32 = 0
        for g in groups {
            let policy = try reporting { try record.policy(at: g.source) }
            let signers = try reporting { try SignoffInspector.allowedSigners(in: repo, commit: g.source.commit, policy: policy) }
            status = max(status, try gate(context, repo, policy, signers, g.updates, push: updates, hide: existing, side: side, trusted: g.source.commit))
        }
        if !dropped.isEmpty {
            for line in dropped { err.line("\(err.styled("error:", .red)) \(line)") }
            err.line("\(err.styled("error:", .red)) attest \(side): push refused: the record is append-only (docs/server-hooks.md)")
            return 1
        }
        return status
    }

    private func gate(_ context: Context, _ repo: Repository, _ policy: Policy, _ signers: AllowedSigners?,
                      _ updates: [HookInput.RefUpdate], push: [HookInput.RefUpdate]? = nil, hide: [ObjectID], side: String, trusted: ObjectID?, remote: String? = nil) throws(AttestError) -> Int32 {
        let gpg = SignoffInspector.gpgProgram(of: repo)
        let gate = PushGate(repository: repo, policy: policy, now: context.now, allowedSigners: signers, gpgProgram: gpg)
        let outcome = try reporting { try gate.check(updates, alsoHide: hide) }
        let sealed = try reporting {
            try EvidenceGate(repository: repo, policy: policy, now: context.now, environment: context.environment, inspector: gate.inspector)
                .check(updates, push: push, mentioningAttest: outcome.mentioningAttest, remote: remote)
        }
        guard !outcome.rejections.isEmpty || !sealed.isEmpty else { return 0 }
        let err = context.err
        for line in sealed { err.line("\(err.styled("error:", .red)) \(line)") }
        guard !outcome.rejections.isEmpty else {
            err.line("\(err.styled("error:", .red)) attest \(side): push refused: sealed evidence (docs/evidence.md)")
            return 1
        }
        for r in Listing.bounded(outcome.rejections.map(\.line)) { err.line("\(err.styled("error:", .red)) \(r)") }
        let commits = Set(outcome.rejections.map(\.commit)).count
        err.line("\(err.styled("error:", .red)) attest \(side): push refused: \(outcome.rejections.count) problem\(outcome.rejections.count == 1 ? "" : "s") in \(commits) commit\(commits == 1 ? "" : "s"); see 'attest help hook'")
        return 1
    }

    // MARK: install

    private func install(_ context: Context, force: Bool) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        let hook = repo.isBare ? "pre-receive" : "pre-push"
        let folder = HookShim.hooksFolder(repo, home: context.environment["HOME"])
        let path = folder + "/" + hook
        let shim = HookShim.text(hook: hook, attest: HookShim.attestInvocation(environment: context.environment))
        let fm = FileManager.default
        let existing = try? String(contentsOfFile: path, encoding: .utf8)
        let preCommit = hook == "pre-push" ? try PreCommitFramework.config(in: repo) : nil
        if let stop = try preCommitOwns(context, path: path, existing: existing, config: preCommit) { return stop }
        if let existing {
            guard HookShim.isOurs(existing) else {
                throw .failed("\(path) exists and was not written by attest; it is left alone. Call attest from it by adding the line: attest hook \(hook) \"$@\" || exit 1" + (hook == "pre-push" || hook == "pre-receive" ? " (stdin must reach attest: save it first if the hook reads it too)" : ""))
            }
            if existing == shim && !force {
                context.out.line("attest \(hook) hook already installed at \(path)")
                if repo.isBare { try keepReflog(context, repo) }
                return 0
            }
            if existing != shim && !force {
                throw .failed("\(path) is an attest shim calling another attest; rerun with --force to rewrite it")
            }
        } else if fm.fileExists(atPath: path) {
            throw .failed("\(path) exists and is not a readable text file; it is left alone")
        }
        do { try AtomicFile(mode: 0o755, createsFolder: true).write(shim, to: path) } catch { throw AttestError(error) }
        context.out.line("installed the attest \(hook) hook at \(path)")
        if repo.isBare { try keepReflog(context, repo) }
        if let preCommit {
            context.err.line("note: this repository uses pre-commit (\(preCommit.path)): to give every clone the gate, add this under 'repos:' there, run 'attest hook uninstall' and then 'pre-commit install --hook-type pre-push':\n\(PreCommitFramework.snippet)")
        }
        return 0
    }

    /// A server keeps a reflog of every ref update (`core.logAllRefUpdates = always`; a bare
    /// repository keeps none by default), so a rewrite refused or not leaves a trace; says how
    /// to keep it for good and what else hardens the server (docs/server-hooks.md).
    private func keepReflog(_ context: Context, _ repo: Repository) throws(AttestError) {
        if repo.configString("core.logAllRefUpdates") != "always" {
            do { try repo.setLocalConfig("core.logAllRefUpdates", "always") } catch {
                throw .environment("cannot set core.logAllRefUpdates in \(repo.gitDir)/config: \(error.message); set it by hand: git --git-dir=\(repo.gitDir) config core.logAllRefUpdates always")
            }
            context.out.line("set core.logAllRefUpdates = always in \(repo.gitDir)/config: every ref update on this server is now kept in its reflog (git --git-dir=\(repo.gitDir) reflog show --date=iso main)")
        }
        if repo.configString("gc.reflogExpire") != "never" || repo.configString("gc.reflogExpireUnreachable") != "never" {
            context.out.line("to keep the reflog for good (git gc expires it after 90 days): git --git-dir=\(repo.gitDir) config gc.reflogExpire never && git --git-dir=\(repo.gitDir) config gc.reflogExpireUnreachable never")
        }
        if repo.configString("receive.denyNonFastForwards") != "true" || repo.configString("receive.fsckObjects") != "true" {
            context.out.line("to harden the server further (docs/server-hooks.md): git --git-dir=\(repo.gitDir) config receive.denyNonFastForwards true && git --git-dir=\(repo.gitDir) config receive.fsckObjects true")
        }
    }

    /// When the pre-commit framework owns the pre-push hook (it generated the file, or its
    /// configuration already names attest's hook id), the gate belongs in
    /// `.pre-commit-config.yaml`, not in a generated file: says so and returns the exit code;
    /// nil when attest may write its shim.
    private func preCommitOwns(_ context: Context, path: String, existing: String?,
                               config: (path: String, text: String)?) throws(AttestError) -> Int32? {
        let generated = existing.map(PreCommitFramework.generated) ?? false
        let configured = config.map { PreCommitFramework.configuresGate($0.text) } ?? false
        let id = PreCommitFramework.hookID
        switch (generated, configured) {
        case (true, true):
            context.out.line("the attest push gate already runs through pre-commit: \(config!.path) names the hook id \(id) and \(path) is pre-commit's pre-push hook; nothing to install")
            return 0
        case (false, true):
            throw .failed("\(config!.path) already names the hook id \(id): the gate is meant to run through pre-commit, so no attest shim is written; run 'pre-commit install --hook-type pre-push' to install pre-commit's pre-push hook")
        case (true, false):
            throw .failed("\(path) was generated by pre-commit and is left alone (pre-commit rewrites it). Run the gate through pre-commit: add attest's hook id \(id) to \(config?.path ?? ".pre-commit-config.yaml") under 'repos:',\n\(PreCommitFramework.snippet)\nthen run 'pre-commit install --hook-type pre-push' (see 'attest help hook')")
        case (false, false):
            return nil
        }
    }

    private func uninstall(_ context: Context) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        let folder = HookShim.hooksFolder(repo, home: context.environment["HOME"])
        var removed = 0
        for hook in ["pre-push", "pre-receive", "update"] {
            let path = folder + "/" + hook
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            if HookShim.isOurs(text) {
                do { try FileManager.default.removeItem(atPath: path) } catch { throw .environment("cannot remove \(path): \(error.localizedDescription)") }
                context.out.line("removed the attest \(hook) hook at \(path)")
                removed += 1
            } else if text.contains("attest hook") {
                context.err.line("note: \(path) calls attest but was not written by attest; it is left alone")
            }
        }
        if removed == 0 { context.out.line("no attest hook installed in \(folder)") }
        return 0
    }
}
