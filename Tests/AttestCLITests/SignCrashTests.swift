import Foundation
import Testing
import AttestTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue #15, case 7: a crash mid-sign. `attest sign` publishes index first, ref second (the
/// index written under a held `index.lock`, the branch moved by compare-and-swap, then the lock
/// committed), so a SIGKILL at any instant leaves the old state or the new commit with a
/// consistent index; a stale lock is named, with the command that mends it, by sign and status.
@Suite(.serialized) struct SignCrashTests {
    static let doc = "docs/attestation-log/2026-Q4.md"
    static let signAt = "2026-10-03 12:00:00"

    /// A rendered quarter on top of a 60,000-file commit (made with git fast-import: one blob,
    /// 240 folders of 250 files; the index is read into place with read-tree, the working tree
    /// holds only the compliance files), signed over SSH through a slow `gpg.ssh.program`.
    static func bigRepo(_ label: String, files: Int = 60_000, whileSigning: String = "") -> (ComplianceRepo, wrapper: String, marker: String) {
        let c = ComplianceRepo(label)
        c.evidence()
        var stream = "blob\nmark :1\ndata 6\nfiller\ncommit refs/heads/main\nmark :2\ncommitter Olive Operator <olive@example.com> 1788000000 +0000\ndata 13\nbulk content\nfrom \(c.head())\n"
        stream.reserveCapacity(files * 40)
        for i in 0..<files { stream += "M 100644 :1 bulk/d\(i / 250)/f\(i).txt\n" }
        c.git(["fast-import", "--quiet"], stdin: stream)
        c.git(["read-tree", "HEAD"])
        #expect(c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        let key = SignoffFixture.sshKey(in: c.repo)
        let marker = c.repo.home + "/signed"
        let wrapper = c.repo.home + "/slow-ssh-keygen"
        _ = FileManager.default.createFile(atPath: wrapper, contents: Data("""
        #!/bin/sh
        # Signs as ssh-keygen does, slowly; touches the marker when the signature is made.
        \(whileSigning)
        sleep 0.05
        ssh-keygen "$@"
        rc=$?
        : > '\(marker)'
        exit $rc

        """.utf8), attributes: [.posixPermissions: 0o755])
        c.git(["config", "gpg.format", "ssh"])
        c.git(["config", "user.signingKey", key])
        c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "gpg.ssh.program", wrapper])
        return (c, wrapper, marker)
    }

    /// Starts `attest sign` with its clock at `signAt` (libfaketime preloaded: a killed faketime
    /// wrapper would leak its semaphore, FakeClock.swift) in a process group of its own; stdout and
    /// stderr go to `log`. Returns the group (attest leads it), attest's pid (the one killed) and
    /// the clock's environment, for `releaseFakeClock` once the group is gone (a pair per sign:
    /// a kill may leave libfaketime's semaphore held).
    static func spawnSign(_ c: ComplianceRepo, log: String) -> (group: pid_t, attest: pid_t, clock: [String: String]) {
        let env = fakeClockEnvironment("@" + signAt, testEnvironment(home: c.repo.home))
        let argv = [attestBinary, "sign", "--quarter", "2026-Q4"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = c.path.withCString { _ in
            // posix_spawn has no cwd: chdir around it (the suite is serialized; nothing else here uses the cwd).
            let old = FileManager.default.currentDirectoryPath
            chdir(c.path)
            defer { chdir(old) }
            return posix_spawn(&pid, attestBinary, &actions, &attr, cargs, cenv)
        }
        precondition(rc == 0, "posix_spawn: \(rc)")
        return (pid, pid, env)
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    static func exists(_ path: String) -> Bool { var st = stat(); return lstat(path, &st) == 0 }
    static func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }

    /// 200 SIGKILLs of `attest sign` at random instants on a 60,000-file repository. Half the
    /// kills fall anywhere in a sign's run (0 .. its measured duration); the other half after
    /// the signature is made (the marker), anywhere in the publishing that follows, where the
    /// index and the branch are written. After each: `git fsck` clean; HEAD unchanged with the
    /// index byte for byte as before, or HEAD the sign-off with the index (or, killed between
    /// the branch's move and the lock's commit, the complete index left in the lock) staging
    /// exactly HEAD's tree; a remaining lock is named by `attest status` (and `attest sign`)
    /// with the one command that mends it (checked for the first kills of each kind), and that
    /// command mends it (every kill). State is restored
    /// cheaply between kills (the index file and the branch put back).
    @Test func killLoop() throws {
        let (c, _, marker) = Self.bigRepo("signcrash-kill")
        let git = c.path + "/.git"
        let old = c.head()
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: git + "/index"))
        let log = c.repo.home + "/sign.log"
        func restore() {
            unlink(git + "/index.lock"); unlink(git + "/refs/heads/main.lock"); unlink(marker)
            c.git(["update-ref", "refs/heads/main", old])
            try! indexBefore.write(to: URL(fileURLWithPath: git + "/index"))
        }

        // Calibration: a whole sign, and the part after the signature.
        var totals: [Double] = [], posts: [Double] = []
        for _ in 0..<3 {
            restore()
            let start = Self.now()
            let (group, _, clock) = Self.spawnSign(c, log: log)
            var signedAt: Double?
            while signedAt == nil, waitpid(group, nil, WNOHANG) == 0 { if Self.exists(marker) { signedAt = Self.now() } else { usleep(200) } }
            if signedAt != nil { _ = Self.wait(group) }
            releaseFakeClock(clock)
            let end = Self.now()
            let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try #require(out.contains("signed off 2026-Q4"), "\(out)")
            totals.append(end - start); posts.append(end - (signedAt ?? end))
        }
        let signed = c.head()
        #expect(c.git(["diff", "--cached", "--quiet", "HEAD"], check: false).status == 0)
        let total = totals.sorted()[1], post = max(posts.sorted()[1], 0.002)
        print("kill loop: one sign takes \(Int(total * 1000)) ms, \(Int(post * 1000)) ms of it after the signature")

        var rng = SplitMix64(seed: 15_007)
        var outcomes: [String: Int] = [:]
        var signRefusalChecked = false
        for i in 0..<200 {
            restore()
            let (group, pid, clock) = Self.spawnSign(c, log: log)
            if i % 2 == 0 {
                usleep(UInt32(Double.random(in: 0..<total, using: &rng) * 1e6))
            } else {
                let deadline = Self.now() + total * 3
                while !Self.exists(marker) && Self.now() < deadline && kill(pid, 0) == 0 { usleep(100) }
                usleep(UInt32(Double.random(in: 0..<post, using: &rng) * 1e6))
            }
            kill(pid, SIGKILL)
            _ = Self.wait(group) // attest leads the group: this reaps it
            kill(-group, SIGKILL) // the slow signer, when it was still running
            releaseFakeClock(clock)
            let fsck = c.git(["fsck", "--no-dangling", "--no-progress"], check: false)
            #expect(fsck.status == 0 && !fsck.stderr.contains("error"), "kill \(i): \(fsck)")

            let head = c.head()
            let indexLock = Self.exists(git + "/index.lock"), refLock = Self.exists(git + "/refs/heads/main.lock")
            var expectedCommand: [String] = []
            if indexLock { expectedCommand.append("rm -f .git/index.lock") }
            if refLock { expectedCommand = ["rm -f " + ([indexLock ? ".git/index.lock" : nil, ".git/refs/heads/main.lock"].compactMap { $0 }).joined(separator: " ")] }
            let outcome: String
            if head == old {
                let now = try Data(contentsOf: URL(fileURLWithPath: git + "/index"))
                #expect(now == indexBefore, "kill \(i): HEAD unchanged but the index changed")
                outcome = indexLock || refLock ? "old, lock left" : "old"
            } else {
                #expect(head == signed || c.git(["rev-parse", "HEAD^"]).stdout.hasPrefix(old), "kill \(i): HEAD is \(head)")
                #expect(c.git(["log", "-1", "--format=%s"]).stdout.contains("2026-Q4") || c.git(["log", "-1", "--format=%s"]).stdout.contains("Q4 2026"), "kill \(i)")
                #expect(c.git(["rev-parse", "HEAD^"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == old, "kill \(i)")
                let committedIndex = c.git(["diff", "--cached", "--quiet", "HEAD"], check: false).status == 0
                if committedIndex {
                    outcome = indexLock ? "new, lock left" : "new"
                } else {
                    // Killed between the branch's move and the lock's commit: the lock holds the new index.
                    #expect(indexLock, "kill \(i): HEAD is the sign-off but the index stages something else and no lock is left")
                    let inLock = c.git(["diff", "--cached", "--quiet", "HEAD"], env: ["GIT_INDEX_FILE": git + "/index.lock"], check: false)
                    #expect(inLock.status == 0, "kill \(i): the index in the lock does not stage the sign-off: \(inLock)")
                    expectedCommand = ["rm -f .git/index.lock", "git reset -q -- \(Self.doc)"]
                    outcome = "new, index in the lock"
                }
            }
            outcomes[outcome, default: 0] += 1

            if indexLock || refLock {
                let command = expectedCommand.joined(separator: " && ")
                // The message, for the first eight kills of each kind (and every kill between the
                // branch's move and the lock's commit); the mend, for every kill.
                if outcomes[outcome, default: 0] <= 8 || outcome == "new, index in the lock" {
                    let status = c.attest(["status"], at: "2026-10-03 12:05:00")
                    #expect(status.stdout.contains("interrupted: ") && status.stdout.contains("mend it with: \(command)\n"), "kill \(i) (\(outcome)): \(status)")
                }
                if !signRefusalChecked, head == old {
                    signRefusalChecked = true
                    let again = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:05:00")
                    #expect(again.status == 1 && again.stderr.contains("mend it with: \(command)"), "\(again)")
                    #expect(!again.stderr.contains("moved while attest sign was working"), "\(again)")
                }
                let mend = run("/bin/sh", ["-c", command], cwd: c.path, environment: c.repo.environment)
                #expect(mend.status == 0, "\(mend)")
                #expect(!Self.exists(git + "/index.lock") && !Self.exists(git + "/refs/heads/main.lock"))
                if head == old {
                    #expect(try Data(contentsOf: URL(fileURLWithPath: git + "/index")) == indexBefore, "kill \(i): mended")
                } else {
                    #expect(c.git(["diff", "--cached", "--quiet", "HEAD"], check: false).status == 0, "kill \(i): mended")
                }
                if outcomes[outcome, default: 0] <= 3 { // status once more, for the first few of each kind
                    let after = c.attest(["status"], at: "2026-10-03 12:05:00")
                    #expect(!after.stdout.contains("interrupted"), "kill \(i): \(after)")
                }
            }
        }
        print("kill loop outcomes: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
        #expect(outcomes.values.reduce(0, +) == 200)
        #expect((outcomes["old"] ?? 0) + (outcomes["old, lock left"] ?? 0) > 0)
        #expect(outcomes.keys.contains { $0.hasPrefix("new") }, "no kill landed after the branch moved: \(outcomes)")

        // A killed run leaves its temporary folder; the next run removes it. Which of the random
        // kills above left one depends on the machine's timing (the runs between kills sweep
        // them), so one more kill is made while the folder exists.
        restore()
        let tmp = git + "/attest-tmp"
        func leftovers() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] }
        if leftovers().isEmpty {
            let (group, pid, clock) = Self.spawnSign(c, log: log)
            let deadline = Self.now() + total * 5
            while leftovers().isEmpty && Self.now() < deadline && kill(pid, 0) == 0 { usleep(100) }
            kill(pid, SIGKILL)
            _ = Self.wait(group)
            kill(-group, SIGKILL)
            releaseFakeClock(clock)
            restore()
        }
        let left = leftovers()
        #expect(!left.isEmpty, "the killed run left no temporary folder")
        let final = c.attest(["sign", "--quarter", "2026-Q4"], at: Self.signAt)
        #expect(final.status == 0, "\(final)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).isEmpty)
        #expect(c.git(["status", "--porcelain", "--", Self.doc]).stdout.isEmpty)
    }

    /// A rendered quarter in a small repository.
    static func rendered(_ label: String) -> ComplianceRepo {
        let c = ComplianceRepo(label)
        c.evidence()
        #expect(c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        return c
    }

    /// A stale `refs/heads/main.lock` is named, with the command, never "main moved (it was X,
    /// it is now X)": found by the preflight, and when it appears while sign works (made by
    /// the signing program), refused at the compare-and-swap with the index lock released.
    @Test func staleRefLockIsNamedWithItsCommand() throws {
        let c = Self.rendered("signcrash-reflock")
        let lock = c.path + "/.git/refs/heads/main.lock"
        _ = FileManager.default.createFile(atPath: lock, contents: Data())
        let head = c.head()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: Self.signAt)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains(".git/refs/heads/main.lock exists") && r.stderr.contains("mend it with: rm -f .git/refs/heads/main.lock\n"), "\(r)")
        #expect(!r.stderr.contains("moved while"), "\(r)")
        let status = c.attest(["status", "--check"], at: Self.signAt)
        #expect(status.status == 1 && status.stdout.contains("interrupted: .git/refs/heads/main.lock exists"), "\(status)")
        unlink(lock)

        let key = SignoffFixture.sshKey(in: c.repo)
        let wrapper = c.repo.home + "/locking-ssh-keygen"
        _ = FileManager.default.createFile(atPath: wrapper, contents: Data("#!/bin/sh\n: > '\(lock)'\nexec ssh-keygen \"$@\"\n".utf8), attributes: [.posixPermissions: 0o755])
        c.git(["config", "gpg.format", "ssh"]); c.git(["config", "user.signingKey", key]); c.git(["config", "commit.gpgSign", "true"])
        c.git(["config", "gpg.ssh.program", wrapper])
        let index = try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index"))
        let during = c.attest(["sign", "--quarter", "2026-Q4"], at: Self.signAt)
        #expect(during.status == 1, "\(during)")
        #expect(during.stderr.contains("refs/heads/main.lock exists: a git command is moving main, or one was killed") && during.stderr.contains("rm -f /"), "\(during)")
        #expect(!during.stderr.contains("moved while"), "\(during)")
        #expect(c.head() == head)
        #expect(!Self.exists(c.path + "/.git/index.lock"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")) == index)
    }

    /// What the old publishing order left after a kill (the branch moved, the index not): the
    /// signed file staged for deletion, or staged at its older version. Status (also --check
    /// and --json), verify and sign say so with the one command; the command mends it.
    @Test func signedFileBehindTheIndexIsNamedWithItsCommand() throws {
        let c = Self.rendered("signcrash-behind")
        #expect(c.attest(["sign", "--quarter", "2026-Q4"], at: Self.signAt).status == 0)
        c.git(["rm", "-q", "--cached", Self.doc])
        let status = c.attest(["status"], at: "2026-10-04 00:00:00")
        #expect(status.stdout.contains("interrupted: the index is behind HEAD for \(Self.doc)") && status.stdout.contains("mend it with: git reset -q -- \(Self.doc)\n"), "\(status)")
        #expect(c.attest(["status", "--check"], at: "2026-10-04 00:00:00").status == 1)
        let json = c.attest(["status", "--json"], at: "2026-10-04 00:00:00")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let interrupted = try #require(obj["interrupted"] as? [String: Any])
        #expect(interrupted["command"] as? String == "git reset -q -- \(Self.doc)")
        #expect(interrupted["behind"] as? [String] == [Self.doc])
        let verify = c.attest(["verify"], at: "2026-10-04 00:00:00")
        #expect(verify.status == 0 && verify.stderr.contains("warning: the index is behind HEAD for \(Self.doc)"), "\(verify)")
        let amend = c.attest(["sign", "--quarter", "2026-Q4", "--amends", "typo"], at: "2026-10-04 00:00:00")
        #expect(amend.status == 1 && amend.stderr.contains("mend it with: git reset -q -- \(Self.doc)"), "\(amend)")

        let mend = run("/bin/sh", ["-c", "git reset -q -- \(Self.doc)"], cwd: c.path, environment: c.repo.environment)
        #expect(mend.status == 0)
        #expect(c.git(["status", "--porcelain", "--", Self.doc]).stdout.isEmpty)
        #expect(!c.attest(["status"], at: "2026-10-04 00:00:00").stdout.contains("interrupted"))

        // Staged at the version before the sign-off, the working file HEAD's: behind as well.
        let signed = try String(contentsOfFile: c.path + "/" + Self.doc, encoding: .utf8)
        c.write(Self.doc, signed + "older\n")
        c.git(["add", Self.doc])
        c.write(Self.doc, signed)
        #expect(c.attest(["status"], at: "2026-10-04 00:00:00").stdout.contains("mend it with: git reset -q -- \(Self.doc)"))
        // An edit staged on purpose (the working file differs too) is not a crash.
        c.write(Self.doc, signed + "an amendment in progress\n")
        c.git(["add", Self.doc])
        #expect(!c.attest(["status"], at: "2026-10-04 00:00:00").stdout.contains("interrupted"))
    }

    /// A `git add` that runs while sign publishes (on a 60,000-file repository, started by the
    /// signing program the moment `index.lock` appears) fails on the lock, loudly, instead of
    /// being read before sign's index update and silently undone by it; run again afterwards,
    /// it succeeds and both the sign-off and the added file are in the index.
    @Test func concurrentGitAddIsNotUndone() throws {
        let (c, _, _) = Self.bigRepo("signcrash-add", whileSigning: """
        ( i=0; while [ ! -e .git/index.lock ] && [ $i -lt 3000000 ]; do i=$((i+1)); done
          git add extra.txt 2> "$HOME/add-error"; echo $? > "$HOME/add-status" ) </dev/null >/dev/null 2>&1 &
        """)
        c.write("extra.txt", "staged while signing\n")
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: Self.signAt)
        #expect(r.status == 0, "\(r)")
        let status = c.repo.home + "/add-status"
        for _ in 0..<500 where !Self.exists(status) { usleep(20_000) }
        let code = (try? String(contentsOfFile: status, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let error = (try? String(contentsOfFile: c.repo.home + "/add-error", encoding: .utf8)) ?? ""
        #expect(code == "128" && error.contains("index.lock': File exists"), "git add while sign held the lock: exit \(code ?? "?"), \(error)")
        #expect(c.git(["diff", "--cached", "--quiet", "HEAD"], check: false).status == 0)
        c.git(["add", "extra.txt"])
        #expect(c.git(["diff", "--cached", "--name-only", "HEAD"]).stdout == "extra.txt\n")
        #expect(c.git(["diff", "--quiet", "HEAD", "--", Self.doc], check: false).status == 0)
    }
}
