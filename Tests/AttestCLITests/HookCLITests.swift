import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// A client repository and a bare "server" it pushes to, with attest's shim installed as the
/// client's pre-push hook or as the server's pre-receive hook (never both in one world, so
/// each side is shown to stop bad pushes on its own). Pushes run under faketime, which the
/// hook inherits. `serverPack` is the server with `receive.unpackLimit 1`: the pushed objects
/// reach the hook as a pack in the receive quarantine instead of loose objects, which is what
/// any push of more than 100 objects does.
final class PushWorld: @unchecked Sendable {
    enum Side: String, CaseIterable, Sendable { case client, server, serverPack }
    let side: Side
    let client: ScratchRepository
    let server: String

    init(_ side: Side) {
        self.side = side
        client = ScratchRepository("push-\(side)")
        server = client.scratch.path + "/server.git"
        run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment)
        if side == .serverPack { run("git", ["--git-dir", server, "config", "receive.unpackLimit", "1"], environment: client.environment) }
        client.git(["remote", "add", "origin", server])
        client.write("README.md", "compliance repository\n")
        client.commitAll("init", date: "2026-09-01T10:00:00Z")
        client.git(["push", "-q", "origin", "main"])
        client.git(["fetch", "-q", "origin"])
        let r = side == .client ? client.attest(["hook", "install"])
            : attest(["hook", "install"], cwd: server, home: client.home)
        precondition(r.status == 0, "\(r)")
    }

    /// `git push origin main` at a UTC instant.
    func push(at instant: String) -> RunResult {
        run("faketime", ["-f", "@\(instant)", "git", "push", "origin", "main"], cwd: client.path, environment: client.environment)
    }

    var serverMain: String {
        run("git", ["--git-dir", server, "rev-parse", "main"], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite struct HookCLITests {
    static let inWindow = "2026-10-02T09:30:00Z"
    static let pushTime = "2026-10-03 12:00:00"
    static let file = "docs/attestation-log/2026-Q4.md"

    @Test(arguments: PushWorld.Side.allCases)
    func goodSignoffPasses(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        let r = w.push(at: Self.pushTime)
        #expect(r.status == 0, "\(r)")
        #expect(w.serverMain == id)
    }

    @Test(arguments: PushWorld.Side.allCases)
    func plainCommitOutsideWindowIsRejected(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        let before = w.serverMain
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-08T10:00:00Z")
        let r = w.push(at: "2026-10-08 11:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: commit \(id.prefix(12)) \(Self.file): [window-committer] the committer date 2026-10-08 10:00:00 UTC is after the 2026-Q4 hard close"), "\(r)")
        #expect(r.stderr.contains("to fix: a sign-off after the hard close must be declared late"))
        #expect(r.stderr.contains("push refused"))
        #expect(w.serverMain == before)
    }

    @Test(arguments: PushWorld.Side.allCases)
    func editOfSignedFileNeedsAmends(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        w.client.write(Self.file, SignoffFixture.document(quarter: try! Quarter(parsing: "2026-Q4")) + "\ntypo fixed\n")
        let edit = w.client.commitAll("fix a typo", date: "2026-10-04T08:00:00Z")
        let r = w.push(at: "2026-10-04 09:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: commit \(edit.prefix(12)) \(Self.file): [signed-file-changed] \(Self.file) was signed (\(signed.prefix(12))) and this commit changes it without an Attest-Amends trailer"), "\(r)")
        #expect(r.stderr.contains("Attest-Amends: \(signed)"))
        // A hand-made amendment with Attest-Amends alone is judged like a sign-off (issue #15):
        // refused, it carries none of the other trailers.
        w.client.git(["commit", "-q", "--amend", "-m", "fix a typo\n\nAttest-Amends: \(signed)"], env: ["GIT_COMMITTER_DATE": "2026-10-04T08:00:00Z"])
        let bare = w.push(at: "2026-10-04 09:00:00")
        #expect(bare.status != 0)
        #expect(bare.stderr.contains("[message] the amendment has Attest-Amends but no Attest-Quarter trailer"), "\(bare)")
        // An amendment with every trailer and Attest-Amends naming the sign-off goes through.
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-04T08:00:00Z",
                              text: SignoffFixture.document(quarter: try! Quarter(parsing: "2026-Q4")) + "\ntypo fixed\n", amends: signed)
        let ok = w.push(at: "2026-10-04 09:00:00")
        #expect(ok.status == 0, "\(ok)")
    }

    @Test(arguments: PushWorld.Side.allCases)
    func deletionOfSignedFileIsRejected(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        w.client.git(["rm", "-q", Self.file])
        let del = w.client.commitAll("remove\n\nAttest-Amends: \(signed)", date: "2026-10-04T08:00:00Z")
        let r = w.push(at: "2026-10-04 09:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: commit \(del.prefix(12)) \(Self.file): [signed-file-deleted] \(Self.file) was signed (\(signed.prefix(12))) and this commit deletes it"), "\(r)")
        #expect(w.serverMain == signed)
    }

    @Test(arguments: PushWorld.Side.allCases)
    func pushTouchingNoAttestationFilePasses(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        w.client.write("src/app.txt", "code\n")
        w.client.commitAll("code", date: "2030-01-01T00:00:00Z")  // even a future date: not an attestation commit
        w.client.write("docs/other.md", "other\n")
        let id = w.client.commitAll("docs", date: "2026-11-01T00:00:00Z")
        let r = w.push(at: Self.pushTime)
        #expect(r.status == 0, "\(r)")
        #expect(w.serverMain == id)
    }

    @Test(arguments: PushWorld.Side.allCases)
    func backdatedSignoffPushedLongAfterIsRejected(_ side: PushWorld.Side) {
        let w = PushWorld(side)
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        let r = w.push(at: "2026-11-24 09:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: commit \(id.prefix(12)) \(Self.file): [push-age] the sign-off's committer date 2026-10-02 09:30:00 UTC is 52 days, 23 hours old at push time"), "\(r)")
    }

    @Test func serverUsesItsOwnAllowedSigners() {
        let w = PushWorld(.server)
        let a = SignoffFixture.sshKey(in: w.client, name: "a"), b = SignoffFixture.sshKey(in: w.client, name: "b")
        w.client.write(".attestconfig", "[signing]\n\trequired = true\n")
        w.client.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n")
        w.client.commitAll("signing policy", date: "2026-09-02T10:00:00Z")
        #expect(w.push(at: Self.pushTime).status == 0)
        // A sign-off by b that also adds b to allowed_signers in the same push is refused:
        // the server trusts the keys it already has.
        w.client.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n" + SignoffFixture.allowedSignersLine(key: b) + "\n")
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow, signingKey: b)
        let r = w.push(at: Self.pushTime)
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(id.prefix(12)) \(Self.file): [signature] the signature does not hold: the key ssh-ed25519"), "\(r)")
        // Signed by a: accepted.
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        let ok = w.push(at: Self.pushTime)
        #expect(ok.status == 0, "\(ok)")
    }
}

/// Hook input from something other than git: a clear error and a non-zero exit, never a crash.
@Suite struct HookHostileInputTests {
    let repo: ScratchRepository = {
        let r = ScratchRepository("hostile")
        r.commitAll("one")
        return r
    }()

    func hook(_ args: [String], _ stdin: Data) -> RunResult {
        repo.attest(["hook"] + args, env: ["GIT_DIR": repo.path + "/.git"], stdin: stdin)
    }

    @Test(arguments: [
        ("pre-receive", "not a hook line\n", "error: hook input line 1: expected 3 fields separated by single spaces"),
        ("pre-receive", "\(String(repeating: "a", count: 64)) \(String(repeating: "b", count: 64)) refs/heads/main\n", "is a SHA-256 object id; attest supports SHA-1 repositories only"),
        ("pre-push", "refs/heads/main zz refs/heads/main zz\n", "error: hook input line 1: 'zz' is not an object id"),
    ])
    func malformed(_ c: (String, String, String)) {
        let args = c.0 == "pre-push" ? ["pre-push", "origin", "url"] : [c.0]
        let r = hook(args, Data(c.1.utf8))
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains(c.2), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func binaryJunkAndHugeInput() {
        var rng = SystemRandomNumberGenerator()
        let junk = Data((0..<3000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let r = hook(["pre-receive"], junk)
        #expect(r.status == 1 && r.stderr.hasPrefix("error: hook input line 1:"), "\(r)")
        let long = hook(["pre-receive"], Data(repeating: 0x78, count: 5000))
        #expect(long.status == 1 && long.stderr.contains("error: hook input line 1: the line is longer than 4096 bytes"), "\(long)")
        let huge = Data(repeating: 0x61, count: 20_000_000)
        let h = hook(["pre-push", "origin", "url"], huge)
        #expect(h.status == 1 && h.stderr.contains("bytes; at most 16777216 are accepted"), "\(h)")
    }

    @Test func unknownOids() {
        let head = repo.revParse("HEAD")
        let unknown = String(repeating: "e", count: 40)
        // An unknown remote oid (the client never fetched it) is not an error.
        let r = hook(["pre-push", "origin", "url"], Data("refs/heads/main \(head) refs/heads/main \(unknown)\n".utf8))
        #expect(r.status == 0, "\(r)")
        // An unknown pushed oid is: the object store is not what git said.
        let u = hook(["pre-receive"], Data("\(head) \(unknown) refs/heads/main\n".utf8))
        #expect(u.status == 3 && u.stderr.contains("pushed commit eeeeeeeeeeee is not in the object store"), "\(u)")
        let upd = repo.attest(["hook", "update", "refs/heads/main", "xyz", head], env: ["GIT_DIR": repo.path + "/.git"])
        #expect(upd.status == 2 && upd.stderr.contains("'xyz' is not an object id"), "\(upd)")
    }

    /// A pushed commit whose parent is not in the object store (a damaged or shallow clone):
    /// the hook refuses, naming both commits and what to do.
    @Test func missingParentNamesTheCommits() throws {
        let r = ScratchRepository("hostile-parent")
        let parent = r.commitAll("parent")
        r.write("b.txt", "b\n")
        let child = r.commitAll("child")
        try FileManager.default.removeItem(atPath: r.path + "/.git/objects/" + parent.prefix(2) + "/" + parent.dropFirst(2))
        let z = String(repeating: "0", count: 40)
        let h = r.attest(["hook", "pre-push", "origin", "url"], env: ["GIT_DIR": r.path + "/.git"],
                         stdin: Data("refs/heads/main \(child) refs/heads/main \(z)\n".utf8))
        #expect(h.status == 3, "\(h)")
        #expect(h.stderr.contains("read commit \(parent.prefix(12)), parent of \(child.prefix(12)): not in the object store"), "\(h.stderr)")
        #expect(h.stderr.contains("'git fsck'"), "\(h.stderr)")
    }
}

@Suite struct HookInstallTests {
    @Test func installRespectsHooksPathAndForeignHooks() throws {
        let repo = ScratchRepository("install")
        repo.git(["config", "core.hooksPath", "githooks"])
        let r = repo.attest(["hook", "install"])
        #expect(r.status == 0, "\(r)")
        let path = repo.path + "/githooks/pre-push"
        let shim = try String(contentsOfFile: path, encoding: .utf8)
        #expect(shim.hasPrefix("#!/bin/sh\n# installed by 'attest hook install'; 'attest hook uninstall' removes it\nattest="))
        #expect(shim.hasSuffix("\nexec \"$attest\" hook pre-push \"$@\"\n"))
        #expect(shim.split(separator: "\n").count <= 10)
        #expect(run("sh", ["-n", path]).status == 0)
        #expect(FileManager.default.isExecutableFile(atPath: path))
        #expect(repo.attest(["hook", "install"]).stdout.contains("already installed"))
        #expect(repo.attest(["hook", "install", "--force"]).status == 0)
        #expect(repo.attest(["hook", "uninstall"]).stdout.contains("removed the attest pre-push hook"))
        #expect(!FileManager.default.fileExists(atPath: path))

        // A foreign hook is never replaced, not even with --force, and uninstall leaves it.
        let foreign = "#!/bin/sh\necho mine\n"
        repo.write("githooks/pre-push", foreign)
        for args in [["hook", "install"], ["hook", "install", "--force"]] {
            let f = repo.attest(args)
            #expect(f.status == 1)
            #expect(f.stderr.contains("was not written by attest; it is left alone. Call attest from it by adding the line: attest hook pre-push \"$@\""), "\(f)")
        }
        #expect(repo.attest(["hook", "uninstall"]).status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == foreign)
    }

    @Test func bareRepositoryGetsPreReceive() {
        let s = Scratch("bare")
        run("git", ["init", "-q", "--bare", s.path + "/r.git"], environment: testEnvironment(home: s.path))
        let r = attest(["hook", "install"], cwd: s.path + "/r.git", home: s.path)
        #expect(r.status == 0 && r.stdout.contains("pre-receive"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: s.path + "/r.git/hooks/pre-receive"))
    }

    @Test func usageErrors() {
        let s = Scratch("hookusage")
        for (args, message) in [(["hook"], "missing argument"), (["hook", "bogus"], "unknown hook subcommand 'bogus'"),
                                (["hook", "pre-push"], "'hook pre-push' takes <remote> <url>"),
                                (["hook", "uninstall", "--force"], "--force goes with 'install' only")] {
            let r = attest(args, cwd: s.path, home: s.path)
            #expect(r.status == 2 && r.stderr.contains("error: \(message)"), "\(args) \(r)")
        }
    }
}

/// The shim at push time when its attest cannot be found (a GUI git client, a cron job with a
/// PATH of its own, a binary moved away): a real `git push` to a real bare remote is refused
/// with a message naming the hook, the repository and the fix; the remote ref stays put.
@Suite struct HookShimMissingAttestTests {
    /// A client with one commit pushed to a bare server, and a PATH of plain system folders.
    struct World {
        let client = ScratchRepository("shim-missing")
        let server: String
        let bin: String
        init() {
            server = client.scratch.path + "/server.git"
            bin = client.scratch.path + "/bin"
            run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment)
            client.git(["remote", "add", "origin", server])
            client.commitAll("init")
            client.git(["push", "-q", "origin", "main"])
            client.write("notes.txt", "second\n")
            client.commitAll("second")
            try! FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        }
        var serverMain: String {
            run("git", ["--git-dir", server, "rev-parse", "main"], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        /// `git push origin main` with PATH limited to the folders git and sh live in.
        func pushWithoutAttest() -> RunResult {
            run("git", ["push", "origin", "main"], cwd: client.path, environment: testEnvironment(home: client.home, extra: ["PATH": "/usr/bin:/bin"]))
        }
    }

    @Test func attestNotOnPath() throws {
        let w = World()
        // Installed with attest on PATH, so the shim calls plain 'attest'.
        try FileManager.default.createSymbolicLink(atPath: w.bin + "/attest", withDestinationPath: attestBinary)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let i = w.client.attest(["hook", "install"], env: ["PATH": w.bin + ":" + path])
        #expect(i.status == 0, "\(i)")
        let shim = try String(contentsOfFile: w.client.path + "/.git/hooks/pre-push", encoding: .utf8)
        #expect(shim.contains("\nattest=attest\n"))
        #expect(shim == (try hookDocBlock(after: "repository with a working tree, `pre-receive` in a bare one.")), "docs/hook.md shows another shim")
        let before = w.serverMain
        let r = w.pushWithoutAttest()
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("error: the pre-push hook of \(w.client.path) runs 'attest' (the attestation push gate), but 'attest' was not found (PATH="), "\(r)")
        #expect(r.stderr.contains("/usr/bin:/bin); the push is refused."), "\(r)")
        #expect(r.stderr.contains("to fix: install attest or put its folder on the PATH of the program that runs git"), "\(r)")
        #expect(r.stderr.contains("cd '\(w.client.path)' && /full/path/to/attest hook install --force"), "\(r)")
        #expect(r.stderr.contains("failed to push some refs"), "\(r)")
        #expect(w.serverMain == before)
        // With attest back on PATH the same push goes through the gate and is accepted.
        let ok = run("git", ["push", "-q", "origin", "main"], cwd: w.client.path,
                     environment: testEnvironment(home: w.client.home, extra: ["PATH": w.bin + ":/usr/bin:/bin"]))
        #expect(ok.status == 0, "\(ok)")
        #expect(w.serverMain == w.client.revParse("HEAD"))
    }

    /// A shim written with attest's absolute path (attest was not on PATH at install), whose
    /// binary was since removed: the message names that path.
    @Test func attestMovedAway() throws {
        let w = World()
        let copy = w.bin + "/attest-copy"
        try FileManager.default.copyItem(atPath: attestBinary, toPath: copy)
        let i = run(copy, ["hook", "install"], cwd: w.client.path, environment: testEnvironment(home: w.client.home, extra: ["PATH": "/usr/bin:/bin"]))
        #expect(i.status == 0, "\(i)")
        #expect(try String(contentsOfFile: w.client.path + "/.git/hooks/pre-push", encoding: .utf8).contains("\nattest=\(copy)\n"))
        try FileManager.default.removeItem(atPath: copy)
        let before = w.serverMain
        let r = w.pushWithoutAttest()
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("runs '\(copy)' (the attestation push gate), but '\(copy)' was not found"), "\(r)")
        #expect(w.serverMain == before)
    }

    /// Shims written by earlier attest versions (one exec line) are still attest's: --force
    /// rewrites them and uninstall removes them. A shim someone edited is theirs.
    @Test func earlierShimsAreStillOurs() throws {
        let repo = ScratchRepository("shim-old")
        let path = repo.path + "/.git/hooks/pre-push"
        let old = "#!/bin/sh\nexec /opt/attest/bin/attest hook pre-push \"$@\" # installed by 'attest hook install'; 'attest hook uninstall' removes it\n"
        repo.write(".git/hooks/pre-push", old)
        let plain = repo.attest(["hook", "install"])
        #expect(plain.status == 1 && plain.stderr.contains("is an attest shim calling another attest; rerun with --force"), "\(plain)")
        let forced = repo.attest(["hook", "install", "--force"])
        #expect(forced.status == 0, "\(forced)")
        let new = try String(contentsOfFile: path, encoding: .utf8)
        #expect(new != old && new.contains("command -v \"$attest\""))
        repo.write(".git/hooks/pre-push", old)
        #expect(repo.attest(["hook", "uninstall"]).stdout.contains("removed the attest pre-push hook"))
        #expect(!FileManager.default.fileExists(atPath: path))

        // The current shim with a line added is no longer attest's to replace or remove.
        #expect(repo.attest(["hook", "install"]).status == 0)
        let edited = new.replacingOccurrences(of: "exec \"$attest\"", with: "echo checking >&2\nexec \"$attest\"")
        repo.write(".git/hooks/pre-push", edited)
        let f = repo.attest(["hook", "install", "--force"])
        #expect(f.status == 1 && f.stderr.contains("was not written by attest; it is left alone"), "\(f)")
        #expect(repo.attest(["hook", "uninstall"]).stderr.contains("calls attest but was not written by attest; it is left alone"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == edited)
    }
}
