import Foundation
import Testing
@testable import AttestGit
import AttestTestSupport

/// The push walk agrees with `git rev-list A --not B` on which commits are pushed, on merges
/// and on clocks that go backwards; and with `git rev-list -- FOLDER` and `git diff` on which
/// of them touch the attestation folder. Checked loose, packed, and with the objects split
/// between a quarantine folder and its alternate, as a server hook sees them.
@Suite struct PushWalkTests {
    static let folder = "docs/attestation-log"

    /// A history with branches, merges (some that bring folder changes in from one side) and
    /// skewed committer dates; every few commits edit the folder, or a file beside it.
    static func history(_ repo: ScratchRepository, _ rng: inout SplitMix64) -> [String] {
        var commits: [String] = []
        repo.write("README", "r\n")
        commits.append(repo.commitAll("root"))
        for i in 1..<70 {
            let date = "2026-0\(1 + Int(rng.next() % 9))-1\(Int(rng.next() % 9))T10:00:00Z"
            if i > 5 && i % 7 == 0 {
                let side = commits[Int(rng.next() % UInt64(commits.count - 1))]
                let strategy = i % 2 == 0 ? ["-s", "ours"] : ["-X", "theirs"]
                let merged = repo.git(["merge", "-q", "--no-ff"] + strategy + ["-m", "merge \(i)", side],
                                      env: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date], check: false)
                if merged.status == 0 { commits.append(repo.revParse("HEAD")); continue }
                repo.git(["merge", "--abort"], check: false)
            }
            if i > 3 && i % 5 == 0 {
                repo.git(["checkout", "-q", "-B", "b\(i)", commits[Int(rng.next() % UInt64(commits.count))]])
            }
            switch rng.next() % 4 {
            case 0: repo.write("\(folder)/2026-Q\(1 + i % 4).md", "q \(i)\n")
            case 1: repo.write("docs/notes-\(i % 3).md", "n \(i)\n")
            default: repo.write("f\(i % 4).txt", "\(i)\n")
            }
            let message = i % 11 == 0 ? "change \(i)\n\nAttest-Amends: 0123\n" : "c\(i)"
            commits.append(repo.commitAll(message, date: date))
        }
        return commits
    }

    static func check(_ repo: ScratchRepository, _ r: Repository, _ commits: [String], _ rng: inout SplitMix64, trials: Int) throws {
        for trial in 0..<trials {
            let tips = (0..<(1 + trial % 2)).map { _ in commits[Int(rng.next() % UInt64(commits.count))] }
            let hide = (0..<(trial % 3)).map { _ in commits[Int(rng.next() % UInt64(commits.count))] }
            var walk = try PushWalk(repository: r, folder: folder)
            let pushed = try walk.run(tips: tips.map { ObjectID(hex: $0)! }, hiding: hide.map { ObjectID(hex: $0)! })
            let range = tips + (hide.isEmpty ? [] : ["--not"] + hide)
            let lines = { (args: [String]) in Set(repo.git(args).stdout.split(separator: "\n").map(String.init)) }
            #expect(Set(pushed.map(\.id.hex)) == lines(["rev-list"] + range), "tips \(tips) hide \(hide)")
            // Non-merge commits that touch the folder, as git's path limiting sees them.
            let touching = lines(["rev-list", "--no-merges", "--full-history"] + range + ["--", folder])
            #expect(Set(pushed.filter { $0.parents.count < 2 && $0.touchesFolder }.map(\.id.hex)) == touching, "tips \(tips) hide \(hide)")
            // A merge touches the folder when it differs from some parent there.
            for m in pushed where m.parents.count > 1 {
                let differs = m.parents.contains { p in
                    repo.git(["diff", "--quiet", p.hex, m.id.hex, "--", folder], check: false).status != 0
                }
                #expect(m.touchesFolder == differs, "merge \(m.id.short)")
            }
            let mentioning = lines(["log", "--format=%H", "--grep=Attest-", "--grep=attestation sign-off", "-F"] + range)
            #expect(Set(pushed.filter(\.mentionsAttest).map(\.id.hex)) == mentioning)
        }
    }

    @Test func agreesWithGitLooseAndPacked() throws {
        let repo = ScratchRepository("pushwalk")
        var rng = SplitMix64(seed: 42)
        let commits = Self.history(repo, &rng)
        try Self.check(repo, try Repository.discover(from: repo.path), commits, &rng, trials: 25)
        repo.git(["gc", "-q", "--aggressive"])
        #expect(!repo.git(["count-objects", "-v"]).stdout.contains("\npacks: 0"))
        try Self.check(repo, try Repository.discover(from: repo.path), commits, &rng, trials: 25)

        // Unknown ids on the hidden side are ignored; an unknown tip is an error.
        let r = try Repository.discover(from: repo.path)
        var walk = try PushWalk(repository: r, folder: Self.folder)
        let unknown = ObjectID(hex: String(repeating: "e", count: 40))!
        #expect(try walk.run(tips: [ObjectID(hex: commits.last!)!], hiding: [unknown]).count > 0)
        var walk2 = try PushWalk(repository: r, folder: Self.folder)
        #expect(throws: GitError.self) { try walk2.run(tips: [unknown], hiding: []) }
    }

    /// A receive quarantine: the pushed objects in a pack folder of their own, the server's
    /// objects (packed) reached as its alternate. Here the folder is named in the server's
    /// `info/alternates` (GIT_OBJECT_DIRECTORY cannot be set for one test among many running
    /// at once); the hook tests push for real with the server keeping the pushed pack.
    @Test func readsPacksInAlternateFolders() throws {
        let repo = ScratchRepository("pushwalk-q")
        var rng = SplitMix64(seed: 7)
        let commits = Self.history(repo, &rng)
        let old = commits[30], new = commits.last!
        let server = repo.path + "/server.git"
        repo.git(["init", "-q", "--bare", server])
        repo.git(["push", "-q", server, "\(old):refs/heads/main"])
        repo.git(["--git-dir", server, "repack", "-adq"])
        let incoming = server + "/objects/incoming-test"
        try FileManager.default.createDirectory(atPath: incoming + "/pack", withIntermediateDirectories: true)
        let name = repo.git(["pack-objects", "-q", "--revs", incoming + "/pack/pack"], stdin: Data("\(new)\n^\(old)\n".utf8)).stdout
        #expect(name.count >= 40)
        try Data("incoming-test\n".utf8).write(to: URL(fileURLWithPath: server + "/objects/info/alternates"))

        let r = try Repository.open(gitDir: server)
        #expect(r.objectDirectories == [server + "/objects", server + "/objects/incoming-test"])
        var walk = try PushWalk(repository: r, folder: Self.folder)
        let pushed = try walk.run(tips: [ObjectID(hex: new)!], hiding: [ObjectID(hex: old)!])
        let lines = { (args: [String]) in Set(repo.git(args).stdout.split(separator: "\n").map(String.init)) }
        #expect(Set(pushed.map(\.id.hex)) == lines(["rev-list", new, "--not", old]))
        #expect(Set(pushed.filter { $0.parents.count < 2 && $0.touchesFolder }.map(\.id.hex))
                == lines(["rev-list", "--no-merges", "--full-history", new, "--not", old, "--", Self.folder]))
    }

    @Test func objectDirectoriesFollowTheEnvironmentAndAlternates() throws {
        let s = Scratch("objdirs")
        let a = s.path + "/a", b = s.path + "/b", c = s.path + "/c"
        for d in [a, b, c] { try FileManager.default.createDirectory(atPath: d + "/info", withIntermediateDirectories: true) }
        try Data("# comment\n../b\n\"quoted\"\n".utf8).write(to: URL(fileURLWithPath: a + "/info/alternates"))
        try Data("\(a)\n".utf8).write(to: URL(fileURLWithPath: b + "/info/alternates"))   // a loop back to a
        #expect(Repository.objectDirectories(primary: c, alternates: nil) == [c])
        #expect(Repository.objectDirectories(primary: c, alternates: "\(a):\"x y\"") == [c, a, a + "/../b"])
        #expect(Repository.objectDirectories(primary: a, alternates: nil) == [a, a + "/../b"])
    }
}
