import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// The real `pre-commit` from PyPI, in a virtualenv under `.build/pre-commit-venv` that the
/// first test to need it creates (python3 -m venv; Debian's python3-venv comes from
/// scripts/install-deps) and later runs reuse. Pinned so a new release cannot change what
/// the tests see. A lock file keeps two test processes from building it at once.
enum PreCommitTool {
    static let version = "4.7.0"
    static let venv = packageRoot + "/.build/pre-commit-venv"

    /// The path of the `pre-commit` executable, or why it could not be installed.
    static let executable: Result<String, PreCommitSetupError> = {
        let exe = venv + "/bin/pre-commit", done = venv + "/.installed-\(version)"
        let lock = open(venv + ".lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { return .failure(.init("cannot create \(venv).lock")) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN); close(lock) }
        if FileManager.default.fileExists(atPath: done) { return .success(exe) }
        try? FileManager.default.removeItem(atPath: venv)
        // Debian's python3 (scripts/install-deps), not whatever shim comes first on PATH:
        // the tests give every child a HOME of its own, which per-user shims do not survive.
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let v = run(python, ["-m", "venv", venv])
        guard v.status == 0 else { return .failure(.init("\(python) -m venv \(venv) failed (is python3-venv installed? make deps): \(v)")) }
        let p = run(venv + "/bin/pip", ["install", "-q", "--disable-pip-version-check", "pre-commit==\(version)"])
        guard p.status == 0 else { return .failure(.init("pip install pre-commit==\(version) failed: \(p)")) }
        _ = FileManager.default.createFile(atPath: done, contents: Data())
        return .success(exe)
    }()
}

/// The fenced block that follows the first line of docs/hook.md containing `after`, so that a
/// test can hold what the page shows to what attest writes.
func hookDocBlock(after: String) throws -> String {
    let lines = try String(contentsOfFile: packageRoot + "/docs/hook.md", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let at = try #require(lines.firstIndex { $0.contains(after) }, "docs/hook.md has no line with '\(after)'")
    let open = try #require(lines[at...].firstIndex { $0.hasPrefix("```") })
    let close = try #require(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") })
    return lines[(open + 1)..<close].joined(separator: "\n") + "\n"
}

struct PreCommitSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A client repository using pre-commit for its pre-push hook, a bare server, and the hook
/// definition attest ships (`.pre-commit-hooks.yaml` of this working tree, committed into a
/// repository of its own that pre-commit clones by path, offline). `attest` is on PATH
/// through a folder holding a link to the built binary, as pre-commit's `language: system`
/// needs. Two commits are already on the server.
final class PreCommitWorld: @unchecked Sendable {
    let client = ScratchRepository("precommit")
    let hooks = ScratchRepository("precommit-hooks")
    let server: String
    let preCommit: String
    let environment: [String: String]

    init(configure: Bool = true) throws {
        preCommit = try PreCommitTool.executable.get()
        let bin = client.scratch.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/attest", withDestinationPath: attestBinary)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment = testEnvironment(home: client.home, extra: [
            "PATH": bin + ":" + PreCommitTool.venv + "/bin:" + path,
            "PRE_COMMIT_HOME": client.scratch.path + "/pre-commit-cache",
        ])
        server = client.scratch.path + "/server.git"
        run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment)
        client.git(["remote", "add", "origin", server])

        let shipped = try String(contentsOfFile: packageRoot + "/.pre-commit-hooks.yaml", encoding: .utf8)
        hooks.write(".pre-commit-hooks.yaml", shipped)
        let rev = hooks.commitAll("attest hooks")

        client.write("README.md", "compliance repository\n")
        client.commitAll("init", date: "2026-09-01T10:00:00Z")
        client.write(".pre-commit-config.yaml", configure ? Self.config(hooksRepo: hooks.path, rev: rev) : "repos: []\n")
        client.commitAll("pre-commit configuration", date: "2026-09-01T11:00:00Z")
        client.git(["push", "-q", "origin", "main"])
        client.git(["fetch", "-q", "origin"])
        let i = preCommit(["install", "--hook-type", "pre-push"])
        precondition(i.status == 0, "\(i)")
    }

    static func config(hooksRepo: String, rev: String) -> String {
        "repos:\n  - repo: \(hooksRepo)\n    rev: \(rev)\n    hooks:\n      - id: attest-push-gate\n"
    }

    /// Runs pre-commit in the client, under faketime at a UTC instant when given.
    func preCommit(_ args: [String], at instant: String? = nil) -> RunResult {
        let argv = instant.map { ["-f", "@\($0)", preCommit] + args } ?? args
        return run(instant == nil ? preCommit : "faketime", argv, cwd: client.path, environment: environment)
    }

    /// A real `git push origin main` (through pre-commit's pre-push hook) at a UTC instant.
    func push(at instant: String) -> RunResult {
        run("faketime", ["-f", "@\(instant)", "git", "push", "origin", "main"], cwd: client.path, environment: environment)
    }

    func attest(_ args: [String]) -> RunResult {
        run(attestBinary, args, cwd: client.path, environment: environment)
    }

    var serverMain: String {
        run("git", ["--git-dir", server, "rev-parse", "main"], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var hookPath: String { client.path + "/.git/hooks/pre-push" }
}

@Suite struct PreCommitTests {
    static let file = "docs/attestation-log/2026-Q4.md"
    /// A sign-off committed after the 2026-Q4 hard close, without a late declaration.
    static let lateDate = "2026-10-08T10:00:00Z", lateNow = "2026-10-08 11:00:00"
    static let inWindow = "2026-10-02T09:30:00Z", pushTime = "2026-10-03 12:00:00"

    /// (a) pre-commit owns the pre-push hook: install points to the hook id (with the exact
    /// YAML to add) and leaves pre-commit's file alone; the `repo: local` snippet it prints,
    /// pasted into the configuration, runs the gate under the real pre-commit.
    @Test func installPointsToTheHookID() throws {
        let w = try PreCommitWorld(configure: false)
        let generated = try String(contentsOfFile: w.hookPath, encoding: .utf8)
        #expect(generated.contains("File generated by pre-commit"))
        for args in [["hook", "install"], ["hook", "install", "--force"]] {
            let r = w.attest(args)
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("error: \(w.hookPath) was generated by pre-commit and is left alone (pre-commit rewrites it). Run the gate through pre-commit: add attest's hook id attest-push-gate to \(w.client.path)/.pre-commit-config.yaml under 'repos:'"), "\(r)")
            #expect(r.stderr.contains("      - id: attest-push-gate\n"), "\(r)")
            #expect(r.stderr.contains("then run 'pre-commit install --hook-type pre-push'"), "\(r)")
            #expect(try String(contentsOfFile: w.hookPath, encoding: .utf8) == generated)
        }
        // The snippet printed is the one docs/hook.md shows, and its `repo: local` entry, as
        // printed, is a working configuration.
        let printed = w.attest(["hook", "install"]).stderr.split(separator: "\n", omittingEmptySubsequences: false)
        let shown = try #require(printed.firstIndex { $0.hasPrefix("  # attest installed") })
        let idLines = printed.indices.filter { printed[$0].hasSuffix("- id: attest-push-gate") }
        #expect(printed[shown...(idLines.last ?? shown)].joined(separator: "\n") + "\n" == (try hookDocBlock(after: "Add one of these under `repos:`")))
        let start = try #require(printed.firstIndex { $0.hasSuffix("- repo: local") })
        let end = try #require(printed[start...].firstIndex { $0.contains("# or,") })
        w.client.write(".pre-commit-config.yaml", "repos:\n" + printed[start..<end].joined(separator: "\n") + "\n")
        w.client.commitAll("the attest gate through pre-commit", date: "2026-09-02T10:00:00Z")
        let run = w.preCommit(["run", "--all-files", "--hook-stage", "pre-push"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("attest push gate....") && run.stdout.contains("Passed"), "\(run)")
        #expect(run.stdout.contains("attest pre-push: no range given by pre-commit"), "\(run)")
        // Now that the configuration names the id, install has nothing to do.
        let again = w.attest(["hook", "install"])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("the attest push gate already runs through pre-commit: \(w.client.path)/.pre-commit-config.yaml names the hook id attest-push-gate"), "\(again)")
        #expect(try String(contentsOfFile: w.hookPath, encoding: .utf8) == generated)
        // Without pre-commit's hook file, the configuration alone still keeps the shim out.
        try FileManager.default.removeItem(atPath: w.hookPath)
        let noHook = w.attest(["hook", "install"])
        #expect(noHook.status == 1 && noHook.stderr.contains("run 'pre-commit install --hook-type pre-push'"), "\(noHook)")
        #expect(!FileManager.default.fileExists(atPath: w.hookPath))
    }

    /// A repository with a pre-commit configuration that does not name the gate, and no
    /// pre-push hook: the shim is installed, with a note on how to share it through pre-commit.
    @Test func configWithoutTheGateGetsTheShimAndANote() throws {
        let w = try PreCommitWorld(configure: false)
        try FileManager.default.removeItem(atPath: w.hookPath)
        let r = w.attest(["hook", "install"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("installed the attest pre-push hook at \(w.hookPath)"))
        #expect(r.stderr.contains("note: this repository uses pre-commit (\(w.client.path)/.pre-commit-config.yaml)"), "\(r)")
        #expect(r.stderr.contains("- id: attest-push-gate"))
    }

    /// (b) The range pre-commit passes, given as revisions, is resolved to commits; a bad
    /// sign-off in it is refused, both through a real `git push` and `pre-commit run`.
    @Test func revisionsAreResolvedAndABadSignoffRefused() throws {
        let w = try PreCommitWorld()
        let base = w.client.revParse("origin/main~1"), remote = w.client.revParse("origin/main")
        let bad = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.lateDate)
        let rejection = "error: commit \(bad.prefix(12)) \(Self.file): [window-committer] the committer date 2026-10-08 10:00:00 UTC is after the 2026-Q4 hard close"
        w.client.git(["tag", "-a", "-m", "to check", "v-bad", "HEAD"])
        w.client.git(["tag", "tree-only", "HEAD^{tree}"])

        for (from, to, shown) in [("origin/main~1", "HEAD", base), ("origin/main", "v-bad", remote), (String(base.prefix(7)), String(bad.prefix(9)), base)] {
            let r = w.preCommit(["run", "--hook-stage", "pre-push", "--from-ref", from, "--to-ref", to], at: Self.lateNow)
            #expect(r.status == 1, "\(from) \(to): \(r)")
            #expect(r.stdout.contains("attest pre-push: checking the 1 commit in PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF (\(from) = \(shown.prefix(12)) .. \(to) = \(bad.prefix(12))) that is not on refs/remotes/origin/*"), "\(r)")
            #expect(r.stdout.contains(rejection), "\(r)")
            #expect(r.stdout.contains("error: attest pre-push: push refused: "), "\(r)")
        }
        // A revision git accepts but that names no commit (a tag of a tree): a clear refusal.
        let tree = w.preCommit(["run", "--hook-stage", "pre-push", "--from-ref", "tree-only", "--to-ref", "HEAD"], at: Self.lateNow)
        #expect(tree.status == 1, "\(tree)")
        #expect(tree.stdout.contains("error: PRE_COMMIT_FROM_REF='tree-only' does not name a commit in this repository"), "\(tree)")
        #expect(tree.stdout.contains("give a revision that names a commit (a branch, a tag of a commit, origin/main~3, a commit id) (push refused)"), "\(tree)")

        // The real push: pre-commit's hook passes the remote's id and ours.
        let push = w.push(at: Self.lateNow)
        #expect(push.status != 0, "\(push)")
        #expect(push.stdout.contains("(\(remote) = \(remote.prefix(12)) .. \(bad) = \(bad.prefix(12)))"), "\(push)")
        #expect(push.stdout.contains(rejection), "\(push)")
        #expect(w.serverMain == remote)
        // A sign-off inside the window goes through pre-commit and reaches the server.
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        let good = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        let ok = w.push(at: Self.pushTime)
        #expect(ok.status == 0, "\(ok)")
        #expect(w.serverMain == good)
    }

    /// (c) `pre-commit run --all-files --hook-stage pre-push` gives no range: the gate says it
    /// checked what `git push` would send (the commits not on the remote-tracking refs, counted
    /// as `git rev-list` counts them) and does check them.
    @Test func allFilesSaysWhatItChecked() throws {
        let w = try PreCommitWorld()
        w.client.write("src/app.txt", "code\n")
        w.client.commitAll("code", date: "2026-09-03T10:00:00Z")
        w.client.write("src/app.txt", "more code\n")
        let head = w.client.commitAll("more code", date: "2026-09-04T10:00:00Z")
        let count = w.client.git(["rev-list", "--count", "HEAD", "--not", "--remotes=origin"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count == "2")
        let said = "attest pre-push: no range given by pre-commit (PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF unset, as under 'pre-commit run --all-files'); checking what 'git push' would send: the \(count) commits of HEAD (\(head.prefix(12))) that are not on refs/remotes/origin/*"
        let r = w.preCommit(["run", "--all-files", "--hook-stage", "pre-push"], at: Self.pushTime)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains(said), "\(r)")
        let bad = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.lateDate)
        let refused = w.preCommit(["run", "--all-files", "--hook-stage", "pre-push"], at: Self.lateNow)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stdout.contains("the 3 commits of HEAD (\(bad.prefix(12))) that are not on refs/remotes/origin/*"), "\(refused)")
        #expect(refused.stdout.contains("error: commit \(bad.prefix(12)) \(Self.file): [window-committer]"), "\(refused)")
        // With no remote-tracking refs at all, that is the whole history, and it says so.
        w.client.git(["update-ref", "-d", "refs/remotes/origin/main"])
        let all = w.preCommit(["run", "--all-files", "--hook-stage", "pre-push"], at: Self.lateNow)
        #expect(all.stdout.contains("the 5 commits of HEAD (\(bad.prefix(12))) (there is no refs/remotes/origin/*, so that is the whole history)"), "\(all)")
    }
}

/// PRE_COMMIT_* variables that pre-commit itself would not set, as another tool or a person
/// might: each is a clear refusal naming the variable and its value, or a documented reading.
@Suite struct PreCommitVariablesTests {
    let repo: ScratchRepository = {
        let r = ScratchRepository("precommit-vars")
        r.commitAll("one")
        r.commitAll("two")
        return r
    }()

    func hook(_ env: [String: String]) -> RunResult {
        repo.attest(["hook", "pre-push"], env: ["GIT_DIR": repo.path + "/.git", "PRE_COMMIT": "1"].merging(env) { $1 }, stdin: Data())
    }

    @Test func badAndPartialRanges() {
        let unknown = hook(["PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": "origin/nope"])
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stderr.contains("error: PRE_COMMIT_TO_REF='origin/nope' does not name a commit in this repository"), "\(unknown)")
        let half = hook(["PRE_COMMIT_TO_REF": "HEAD"])
        #expect(half.status == 1 && half.stderr.contains("error: pre-commit set PRE_COMMIT_TO_REF ('HEAD') without PRE_COMMIT_FROM_REF; give both --from-ref and --to-ref, or neither"), "\(half)")
        // The all-zero id git uses for "nothing there yet" means the whole of TO's history.
        let zero = hook(["PRE_COMMIT_FROM_REF": String(repeating: "0", count: 40), "PRE_COMMIT_TO_REF": "HEAD"])
        #expect(zero.status == 0, "\(zero)")
        #expect(zero.stderr.contains("checking the 2 commits in PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF"), "\(zero)")
        // Outside pre-commit, 'pre-push' still needs its two arguments.
        let plain = repo.attest(["hook", "pre-push"], env: ["GIT_DIR": repo.path + "/.git"])
        #expect(plain.status == 2 && plain.stderr.contains("'hook pre-push' takes <remote> <url>"), "\(plain)")
    }
}
