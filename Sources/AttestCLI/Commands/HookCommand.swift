import Foundation
import AttestCore
import AttestGit

/// `attest hook`: the push gate as git hooks, and installing it.
struct HookCommand: Command {
    static let name = "hook"
    static let summary = "push gate: pre-push, pre-receive and update hooks; install or remove the shim"
    static let usage = "hook (pre-push <remote> <url> | pre-receive | update <ref> <old> <new> | install [--force] | uninstall)"
    static let help = """
    Stops pushes that carry a bad attestation, on the client (pre-push) and on the server
    (pre-receive or update). For every pushed commit that touches the attestation folder or
    mentions attest in its message:
      - a new sign-off must pass every rule of 'attest verify', and its committer date may not
        be older than hook.maxSignoffAgeHours (default 48) at push time;
      - a change to a file that was already signed needs an Attest-Amends trailer naming the
        sign-off it amends; deleting a signed file is always refused;
      - no committer date may lie in the future beyond hook.maxSkewMinutes (default 5).
    A push that touches nothing under the folder is accepted after comparing the folder's
    subtree id in each pushed commit with its parents'. Every refusal names the commit, the
    file, the rule and what to do.

    Subcommands (git calls the first three; you run the last two):
      pre-push <remote> <url>   reads '<local ref> <local oid> <remote ref> <remote oid>' lines
      pre-receive               reads '<old oid> <new oid> <ref>' lines
      update <ref> <old> <new>  one ref, from arguments
      install [--force]         writes a one-line shim into the hooks folder (core.hooksPath
                                respected): pre-push in a working repository, pre-receive in a
                                bare one. A hook attest did not write is never replaced; --force
                                rewrites attest's own shim.
      uninstall                 removes attest's shim, and nothing else

    Exit codes: 0 accepted / done; 1 push refused, or malformed hook input, or a foreign hook
    in the way; 2 usage; 3 repository or object store unreadable.

    Examples:
      attest hook install
      git push origin main        # runs 'attest hook pre-push origin <url>'
    """
    static let spec = ArgumentSpec(options: [.init("force")], positionals: 1...4)

    enum Action { case prePush(remote: String), preReceive, update(HookInput.RefUpdate), install(force: Bool), uninstall }
    let action: Action

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        let p = arguments.positionals
        let force = arguments.flag("force")
        if force && p[0] != "install" { throw .usage("--force goes with 'install' only") }
        func count(_ n: Int, _ form: String) throws(AttestError) {
            guard p.count == n + 1 else { throw .usage("'hook \(p[0])' takes \(form)") }
        }
        switch p[0] {
        case "pre-push": try count(2, "<remote> <url>"); action = .prePush(remote: p[1])
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
            // Under the pre-commit framework, which keeps git's stdin for itself, the one ref
            // pushed comes in PRE_COMMIT_* variables (.pre-commit-hooks.yaml).
            if updates.isEmpty, let to = context.environment["PRE_COMMIT_TO_REF"] {
                let from = context.environment["PRE_COMMIT_FROM_REF"].flatMap { $0.isEmpty ? nil : $0 } ?? String(repeating: "0", count: 40)
                let ref = context.environment["PRE_COMMIT_REMOTE_BRANCH"].flatMap { $0.isEmpty ? nil : $0 } ?? "refs/heads/pre-commit"
                do { updates = [try HookInput.update(ref: ref, old: from, new: to)] } catch {
                    throw .failed("PRE_COMMIT_* variables: \(error.message)")
                }
            }
            // The remote's tracking refs are what the remote already has, as far as we know.
            let safe = !remote.contains(where: { "*?[\\ ".contains($0) }) && !remote.isEmpty
            let tracking = safe ? ((try? repo.references(glob: "refs/remotes/\(remote)/*")) ?? []).map(\.id) : []
            let policy = try repo.loadPolicy(overrides: context.overrides)
            let signers = try SignoffInspector.allowedSigners(forVerifyIn: repo, policy: policy)
            return try gate(context, repo, policy, signers, updates, hide: tracking, side: "pre-push", trusted: repo.headCommit)
        case .preReceive:
            let repo = try openRepository()
            let updates = try parse { b throws(HookInputError) in try HookInput.preReceive(b) }
            return try serverGate(context, repo, updates, side: "pre-receive")
        case .update(let u):
            return try serverGate(context, try openRepository(), [u], side: "update")
        }
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
            throw .failed("\(error.description); git writes this input itself, so the hook is being fed something else (push refused)")
        }
    }

    /// On the server, the policy and the allowed signers are those of the default branch (HEAD)
    /// as already accepted, never those of the commits being pushed.
    private func serverGate(_ context: Context, _ repo: Repository, _ updates: [HookInput.RefUpdate], side: String) throws(AttestError) -> Int32 {
        let head = repo.headCommit
        var entries: [Policy.Entry] = []
        if let head {
            do {
                if let data = try repo.blob(at: ".attestconfig", inCommit: head) {
                    entries = try ConfigFile.entries(contents: data, displayName: ".attestconfig@\(head.short)")
                }
            } catch { throw .config("cannot read .attestconfig at HEAD: \(error.message)") }
        }
        let policy = try Policy(entries: entries + context.overrides)
        let signers = try SignoffInspector.allowedSigners(in: repo, commit: head, policy: policy)
        var existing: [ObjectID] = []
        for glob in ["refs/heads/*", "refs/tags/*"] { existing += ((try? repo.references(glob: glob)) ?? []).map(\.id) }
        return try gate(context, repo, policy, signers, updates, hide: existing, side: side, trusted: head)
    }

    private func gate(_ context: Context, _ repo: Repository, _ policy: Policy, _ signers: AllowedSigners?,
                      _ updates: [HookInput.RefUpdate], hide: [ObjectID], side: String, trusted: ObjectID?) throws(AttestError) -> Int32 {
        let gpg = repo.configString("gpg.openpgp.program") ?? repo.configString("gpg.program") ?? "gpg"
        let gate = PushGate(repository: repo, policy: policy, now: context.now, allowedSigners: signers, gpgProgram: gpg)
        let outcome = try gate.check(updates, alsoHide: hide)
        guard !outcome.rejections.isEmpty else { return 0 }
        let err = context.err
        for r in outcome.rejections { err.line("\(err.styled("error:", .red)) \(r.line)") }
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
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            guard HookShim.isOurs(existing) else {
                throw .failed("\(path) exists and was not written by attest; it is left alone. Call attest from it by adding the line: attest hook \(hook) \"$@\" || exit 1" + (hook == "pre-push" || hook == "pre-receive" ? " (stdin must reach attest: save it first if the hook reads it too)" : ""))
            }
            if existing == shim && !force { context.out.line("attest \(hook) hook already installed at \(path)"); return 0 }
            if existing != shim && !force {
                throw .failed("\(path) is an attest shim calling another attest; rerun with --force to rewrite it")
            }
        } else if fm.fileExists(atPath: path) {
            throw .failed("\(path) exists and is not a readable text file; it is left alone")
        }
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let tmp = folder + "/.\(hook).attest-\(getpid())"
            try Data(shim.utf8).write(to: URL(fileURLWithPath: tmp))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tmp)
            guard rename(tmp, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch { throw .environment("cannot write \(path): \(error.localizedDescription)") }
        context.out.line("installed the attest \(hook) hook at \(path)")
        return 0
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
