import Foundation
import Testing
@testable import AttestGit
import AttestTestSupport

/// The audit walk and the push walk on the shapes real repositories have, with git as the
/// oracle: a commit-graph (one file, then a split chain, then stale), deep delta chains
/// (`git repack -adf --depth=250`), a second pack of recent objects, loose objects and a
/// multi-pack index. At every shape: the commits the audit walk finds touching a folder are
/// `git log --full-history --format=%H -- PATH` for an often-touched, a rarely-touched and an
/// absent folder, and the push walk's commits are `git rev-list` for 20 random ranges.
///
/// `ATTEST_REAL_HISTORY=/path/a.git:/path/b.git` runs the same checks on those repositories as
/// well (bench/real-history-check does, on git/git); without it, the generated ones only.
@Suite struct HistoryShapesTests {
    /// Root entries named so that the looked-up names sit among siblings that share their
    /// prefix (`log-a.txt`, `log.c`, `log/`, `logz`: git sorts a tree as if named `log/`), and
    /// 200 files, so that a root tree is several KiB and a lookup needs more than one prefix.
    static let often = "log"
    static let rarely = "deep/er/folder"
    static let absent = "zz/absent"

    /// A fast-import stream: `count` commits over four branches with merges (one octopus),
    /// committer clocks that sometimes go backwards, marks from `firstMark`.
    static func stream(_ rng: inout SplitMix64, count: Int, firstMark: Int, heads: inout [Int], time: inout Int) -> Data {
        var s = ""
        func data(_ text: String) { s += "data \(text.utf8.count)\n\(text)\n" }
        for n in 0..<count {
            let mark = firstMark + n
            let branch = Int(rng.next() % 4)
            time += rng.next() % 9 == 0 ? -3600 : Int(rng.next() % 5000)
            s += "commit refs/heads/\(branch == 0 ? "main" : "b\(branch)")\nmark :\(mark)\n"
            s += "committer Bench <bench@example.com> \(time) +0000\n"
            data(n % 17 == 0 ? "change \(mark)\n\nAttest-Amends: 01\n" : "change \(mark)")
            if heads[branch] > 0 { s += "from :\(heads[branch])\n" }
            if mark > 30, rng.next() % 8 == 0 {
                let other = (branch + 1 + Int(rng.next() % 3)) % 4
                if heads[other] > 0 && heads[other] != heads[branch] { s += "merge :\(heads[other])\n" }
                let third = (other + 1) % 4
                if rng.next() % 5 == 0, third != branch, heads[third] > 0, heads[third] != heads[other] { s += "merge :\(heads[third])\n" }
            }
            if mark == 1 {
                for f in 0..<200 { s += "M 100644 inline f\(String(format: "%03d", f)).txt\n"; data("file \(f)") }
                for name in ["log-a.txt", "log.c", "logz", "deep/er/other.txt", "deep/er.txt"] { s += "M 100644 inline \(name)\n"; data(name) }
            }
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                s += "M 100644 inline f\(String(format: "%03d", Int(rng.next() % 200))).txt\n"; data("\(mark) \(rng.next())")
            }
            // A file that becomes a symbolic link, then a folder: changes of type.
            if mark == 40 { s += "M 120000 inline \(often)/q0.md\n"; data("q1.md") }
            if mark == 41 { s += "M 100644 inline \(often)/q0.md/inner.md\n"; data("inner") }
            let r = rng.next() % 100
            if r < 30 { s += "M 100644 inline \(often)/q\(rng.next() % 5).md\n"; data("q \(mark)") }
            if r == 30 { s += "D \(often)/q\(rng.next() % 5).md\n" }
            if r > 30 && r < 34 { s += "M 100644 inline \(rarely)/x.md\n"; data("x \(mark)") }
            if r >= 34 && r < 44 { s += "M 100644 inline deep/er/other.txt\n"; data("o \(mark)") }
            if r >= 44 && r < 50 { s += "M 100644 inline log.c\n"; data("c \(mark)") }
            heads[branch] = mark
        }
        return Data(s.utf8)
    }

    static func oracle(_ repo: ScratchRepository, _ args: [String]) -> Set<String> {
        Set(repo.git(["-c", "core.commitGraph=false"] + args).stdout.split(separator: "\n").map(String.init))
    }

    /// The two walks against git, on one repository as it stands.
    static func check(_ repo: ScratchRepository, _ shape: String, _ rng: inout SplitMix64) throws {
        let r = try Repository.discover(from: repo.path)
        for folder in [often, rarely, absent] {
            let walked = try FolderHistory.walk(r, from: "main", folder: folder)
            let want = oracle(repo, ["log", "--full-history", "--format=%H", "main", "--", folder])
            #expect(Set(walked.touching.map(\.id.hex)) == want, "\(shape): \(folder)")
            #expect(walked.commitCount == Int(repo.git(["rev-list", "--count", "main"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        try checkPushes(repo, r, shape, &rng)
    }

    static func checkPushes(_ repo: ScratchRepository, _ r: Repository, _ shape: String, _ rng: inout SplitMix64) throws {
        let all = repo.git(["rev-list", "--all"]).stdout.split(separator: "\n").map(String.init)
        for trial in 0..<20 {
            let tips = (0..<(1 + trial % 2)).map { _ in all[Int(rng.next() % UInt64(all.count))] }
            let hide = (0..<(1 + trial % 3)).map { _ in all[Int(rng.next() % UInt64(all.count))] }
            var walk = try PushWalk(repository: r, folder: often)
            let pushed = try walk.run(tips: tips.map { ObjectID(hex: $0)! }, hiding: hide.map { ObjectID(hex: $0)! })
            #expect(Set(pushed.map(\.id.hex)) == oracle(repo, ["rev-list"] + tips + ["--not"] + hide), "\(shape): \(tips) --not \(hide)")
            let touching = oracle(repo, ["rev-list", "--no-merges", "--full-history"] + tips + ["--not"] + hide + ["--", often])
            #expect(Set(pushed.filter { $0.parents.count < 2 && $0.touchesFolder }.map(\.id.hex)) == touching, "\(shape)")
            let mentioning = oracle(repo, ["log", "--format=%H", "--grep=Attest-", "-F"] + tips + ["--not"] + hide)
            #expect(Set(pushed.filter(\.mentionsAttest).map(\.id.hex)) == mentioning, "\(shape)")
        }
    }

    /// Every commit the graph lists reads from it as from its object; every tree's prefixes are
    /// the first bytes of the tree as libgit2 reads it.
    static func checkReaders(_ repo: ScratchRepository, _ r: Repository, graphExpected: Bool) throws {
        let graph = CommitGraph.open(r)
        #expect((graph != nil) == graphExpected)
        let reader = try ObjectReader(r)
        let multi = try ObjectReader(r, budget: .history)
        let lookups: [[(name: [UInt8], treesOnly: Bool)]] = [
            [(Array(".attestconfig".utf8), false), (Array(often.utf8), true), (Array("f150.txt".utf8), false), (Array("zz".utf8), true)],
            [(Array("deep".utf8), true), (Array("log.c".utf8), false), (Array("log-a.txt".utf8), false)],
        ]
        // Through the mapping and with pread (`Budget.reads`: a tree resolver past its budget).
        let readers = [PackReader(objectsDirectories: r.objectDirectories)!, PackReader(objectsDirectories: r.objectDirectories, budget: .history)!]
        readers[1].startReading()
        #expect(!readers[0].reads && readers[1].reads)
        var listed = 0
        for line in repo.git(["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"]).stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let id = ObjectID(hex: String(parts[0]))!
            let bytes = try r.readObject(id).bytes
            if parts[1] == "commit", let g = graph?.header(id) {
                listed += 1
                let h = bytes.withUnsafeBufferPointer { CommitHeader.parse($0)! }
                #expect(g.tree == h.tree && g.parents == h.parents && g.committerTime == h.committerTime, "graph entry of \(id)")
            }
            if parts[1] == "tree" {
                for length in [1, 100, 2048, 5000] {
                    for packs in readers {
                    guard let p = packs.prefix(id, length) else { continue }
                    #expect(p.type == 2 && p.bytes.count >= min(length, bytes.count) && p.bytes == Array(bytes.prefix(p.bytes.count)) && p.complete == (p.bytes.count == bytes.count),
                            "prefix \(length) of tree \(id)")
                    }
                }
                for name in [often, "deep", "zz", "f100.txt", "log.c"] {
                    let want = TreeLookupTests.everyEntry(Array(name.utf8), in: bytes, treesOnly: false)
                    #expect(try reader.entry(named: Array(name.utf8), inTree: id) == want, "\(name) in \(id)")
                }
                // Several names at once, as the walks ask a root tree: answered from the delta
                // alone where it allows (`TreeParser.inherit`), else from the tree rebuilt.
                for set in lookups {
                    let want = set.map { TreeLookupTests.everyEntry($0.name, in: bytes, treesOnly: $0.treesOnly) }
                    #expect(try multi.entries(named: set, inTree: id) == want, "\(set.map { String(decoding: $0.name, as: UTF8.self) }) in \(id)")
                }
            }
        }
        #expect(!graphExpected || listed > 0)
    }

    /// The files under the folder that a commit changes against each parent, as
    /// `git diff-tree -r --no-renames` lists them (a change of type as a deletion and an addition).
    static func checkChanges(_ repo: ScratchRepository, _ r: Repository) throws {
        let tracker = try FolderTracker(repository: r, folder: often)
        var typeChanges = 0
        for line in repo.git(["rev-list", "--parents", "--all"]).stdout.split(separator: "\n") {
            let ids = line.split(separator: " ").map(String.init)
            for p in ids.dropFirst().prefix(2) {
                var want = Set<String>()
                for row in repo.git(["diff-tree", "-r", "--no-renames", "--name-status", p, ids[0], "--", often]).stdout.split(separator: "\n") {
                    let f = row.split(separator: "\t").map(String.init)
                    switch f[0] {
                    case "T": want.insert("deleted \(f[1])"); want.insert("added \(f[1])"); typeChanges += 1
                    case "A": want.insert("added \(f[1])")
                    case "D": want.insert("deleted \(f[1])")
                    default: want.insert("modified \(f[1])")
                    }
                }
                let got = try tracker.changes(from: ObjectID(hex: p)!, to: ObjectID(hex: ids[0])!)
                #expect(Set(got.map { "\($0.kind.rawValue) \($0.path)" }) == want, "\(p)..\(ids[0])")
            }
        }
        #expect(typeChanges > 0)
    }

    @Test func walksAgreeWithGitOnEveryShape() throws {
        let repo = ScratchRepository("shapes", bare: true)
        var rng = SplitMix64(seed: 17)
        var heads = [0, 0, 0, 0], time = 1_700_000_000
        let marks = repo.scratch.path + "/marks"
        let importArgs = ["fast-import", "--quiet", "--import-marks-if-exists=\(marks)", "--export-marks=\(marks)"]
        repo.git(importArgs, stdin: Self.stream(&rng, count: 700, firstMark: 1, heads: &heads, time: &time))
        #expect(repo.git(["rev-list", "--count", "--merges", "--min-parents=3", "--all"]).stdout != "0\n", "an octopus merge")
        let r0 = try Repository.discover(from: repo.path)
        try Self.check(repo, "one pack", &rng)
        try Self.checkChanges(repo, r0)
        try Self.checkReaders(repo, r0, graphExpected: false)

        repo.git(["commit-graph", "write", "--reachable"])
        try Self.check(repo, "commit-graph", &rng)
        try Self.checkReaders(repo, try Repository.discover(from: repo.path), graphExpected: true)
        repo.git(["config", "core.commitGraph", "false"])
        #expect(CommitGraph.open(try Repository.discover(from: repo.path)) == nil, "core.commitGraph=false is obeyed")
        repo.git(["config", "--unset", "core.commitGraph"])

        repo.git(["-c", "pack.threads=1", "repack", "-adfq", "--depth=250", "--window=250"])
        try Self.check(repo, "deep chains, commit-graph", &rng)
        try Self.checkReaders(repo, try Repository.discover(from: repo.path), graphExpected: true)

        // Recent work: a second pack the graph does not know, then loose objects, a split
        // graph layer over part of it, and a multi-pack index over both packs.
        repo.git(importArgs, stdin: Self.stream(&rng, count: 150, firstMark: 701, heads: &heads, time: &time))
        try Self.check(repo, "second pack, stale commit-graph", &rng)
        repo.git(["commit-graph", "write", "--reachable", "--split=no-merge"])
        #expect(FileManager.default.fileExists(atPath: repo.path + "/objects/info/commit-graphs/commit-graph-chain"))
        let packDir = repo.path + "/objects/pack"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: packDir))
        repo.git(importArgs, stdin: Self.stream(&rng, count: 60, firstMark: 851, heads: &heads, time: &time))
        for name in try FileManager.default.contentsOfDirectory(atPath: packDir) where !before.contains(name) && name.hasSuffix(".pack") {
            let pack = packDir + "/" + name
            let moved = repo.scratch.path + "/" + name
            try FileManager.default.moveItem(atPath: pack, toPath: moved)
            try? FileManager.default.removeItem(atPath: String(pack.dropLast(5)) + ".idx")
            try? FileManager.default.removeItem(atPath: String(pack.dropLast(5)) + ".rev")
            repo.git(["unpack-objects", "-q"], stdin: try Data(contentsOf: URL(fileURLWithPath: moved)))
        }
        #expect(!repo.git(["count-objects", "-v"]).stdout.contains("\ncount: 0\n"), "loose objects")
        repo.git(["multi-pack-index", "write"])
        #expect(FileManager.default.fileExists(atPath: packDir + "/multi-pack-index"))
        try Self.check(repo, "split graph, two packs, loose objects, multi-pack index", &rng)
        try Self.checkReaders(repo, try Repository.discover(from: repo.path), graphExpected: true)
    }

    /// The same checks on repositories named in `ATTEST_REAL_HISTORY` (none by default).
    @Test func walksAgreeWithGitOnNamedRepositories() throws {
        let named = ProcessInfo.processInfo.environment["ATTEST_REAL_HISTORY"]?.split(separator: ":").map(String.init) ?? []
        for path in named {
            let repo = ScratchRepository("real")
            let r = try Repository.discover(from: path)
            var rng = SplitMix64(seed: 5)
            let folders = (ProcessInfo.processInfo.environment["ATTEST_REAL_FOLDERS"] ?? "Documentation/RelNotes,contrib/buildsystems,docs/attestation-log")
                .split(separator: ",").map(String.init)
            func git(_ args: [String]) -> Set<String> {
                Set(run("git", ["-C", path, "-c", "core.commitGraph=false"] + args, environment: repo.environment).stdout
                    .split(separator: "\n").map(String.init))
            }
            for folder in folders {
                let walked = try FolderHistory.walk(r, from: "HEAD", folder: folder)
                let want = git(["log", "--full-history", "--format=%H", "HEAD", "--", folder])
                #expect(Set(walked.touching.map(\.id.hex)) == want, "\(path): \(folder): \(walked.touching.count) vs \(want.count)")
                print("real history \(path): \(folder): \(walked.touching.count) touching commits, git log \(want.count)")
            }
            let all = Array(git(["rev-list", "--max-count=20000", "HEAD"])).sorted()
            for trial in 0..<20 {
                let tip = all[Int(rng.next() % UInt64(all.count))]
                let hide = all[Int(rng.next() % UInt64(all.count))]
                var walk = try PushWalk(repository: r, folder: folders[0])
                let pushed = try walk.run(tips: [ObjectID(hex: tip)!], hiding: [ObjectID(hex: hide)!])
                let want = git(["rev-list", tip, "--not", hide])
                #expect(Set(pushed.map(\.id.hex)) == want, "\(path): \(tip) --not \(hide)")
                print("real history \(path): range \(trial): \(pushed.count) pushed, git rev-list \(want.count)")
            }
        }
    }
}
