import Foundation
import Testing
import AttestCore
@testable import AttestGit
import AttestTestSupport

/// The audit's history walk and its pack reader, with the git CLI as the oracle.
@Suite struct FolderHistoryTests {
    /// Branches, merges, a second root (an orphan branch merged in), nested folders, and
    /// changes beside the folder that share its parent tree.
    static func tangledRepository() -> ScratchRepository {
        let repo = ScratchRepository("history")
        repo.write("docs/intro.md", "intro\n")
        repo.commitAll("root", date: "2026-01-01T00:00:00Z")
        repo.write("docs/attestation-log/2026-Q1.md", "q1\n")
        repo.commitAll("q1", date: "2026-01-02T00:00:00Z")
        repo.git(["checkout", "-q", "-b", "side"])
        repo.write("docs/intro.md", "intro 2\n")            // docs/ changes, the folder does not
        repo.commitAll("intro", date: "2026-01-03T00:00:00Z")
        repo.write("docs/attestation-log/sub/notes.md", "n\n")
        repo.commitAll("nested", date: "2026-01-04T00:00:00Z")
        repo.git(["checkout", "-q", "main"])
        repo.write("src/a.txt", "a\n")
        repo.commitAll("src", date: "2026-01-05T00:00:00Z")
        repo.write("docs/attestation-log/2026-Q1.md", "q1 edited\n")
        repo.commitAll("edit", date: "2026-01-06T00:00:00Z")
        repo.git(["merge", "-q", "--no-ff", "-m", "merge side", "side"], env: ["GIT_AUTHOR_DATE": "2026-01-07T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-07T00:00:00Z"])
        repo.git(["checkout", "-q", "--orphan", "other"])
        repo.git(["rm", "-rqf", "."])
        repo.write("docs/attestation-log/2026-Q2.md", "q2 from another root\n")
        repo.commitAll("other root", date: "2026-01-08T00:00:00Z")
        repo.git(["checkout", "-q", "main"])
        repo.git(["merge", "-q", "--allow-unrelated-histories", "-m", "merge other", "other"], env: ["GIT_AUTHOR_DATE": "2026-01-09T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-09T00:00:00Z"])
        repo.git(["rm", "-q", "docs/attestation-log/sub/notes.md"])
        repo.commitAll("drop nested", date: "2026-01-10T00:00:00Z")
        return repo
    }

    static func gitLog(_ repo: ScratchRepository, _ args: [String]) -> Set<String> {
        Set(repo.git(["log", "--full-history", "--format=%H"] + args + ["HEAD", "--", "docs/attestation-log/"]).stdout
            .split(separator: "\n").map(String.init))
    }

    @Test(arguments: [false, true])
    func touchingCommitsEqualGitLog(packed: Bool) throws {
        let repo = Self.tangledRepository()
        if packed { repo.git(["gc", "-q", "--aggressive"]) }
        let h = try FolderHistory.walk(try Repository.discover(from: repo.path), from: "HEAD", folder: "docs/attestation-log")
        #expect(h.commitCount == Int(repo.git(["rev-list", "--count", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let nonMerges = Set(h.touching.filter { !$0.isMerge }.map(\.id.hex))
        #expect(nonMerges == Self.gitLog(repo, ["--no-merges"]))
        // git shows a merge only when it differs from every parent; audit counts a merge that
        // differs from any parent, so git's merges are a subset of audit's.
        let merges = Set(h.touching.filter(\.isMerge).map(\.id.hex))
        #expect(Self.gitLog(repo, ["--merges"]).isSubset(of: merges))
        #expect(merges.count == 2)
        // The files named are the folder's own entries.
        let edit = try #require(h.touching.first { $0.id.hex == repo.revParse(":/^edit") })
        #expect(edit.changedFiles == ["2026-Q1.md"])
        let nested = try #require(h.touching.first { $0.id.hex == repo.revParse(":/^nested") })
        #expect(nested.changedFiles == ["sub"])
        // A commit that changed docs/ but not the folder is not touching.
        #expect(!h.touching.contains { $0.id.hex == repo.revParse(":/^intro") })
    }

    @Test func everyPackedObjectReadsAsLibgit2ReadsIt() throws {
        let repo = Self.tangledRepository()
        for n in 0..<30 { repo.write("docs/attestation-log/2026-Q1.md", "q1 edited\n" + (0..<(n * 20 + 40)).map { "line \($0) of the quarter's attestation\n" }.joined()); repo.commitAll("grow \(n)", date: "2026-02-01T00:00:00Z") }
        repo.git(["gc", "-q", "--aggressive"])
        let r = try Repository.discover(from: repo.path)
        let libgit2 = try ObjectReader(r, directPacks: false)
        let listing = repo.git(["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(objectsize) %(deltabase)"]).stdout
        var deltas = 0, count = 0
        // Through the mapping, with pread (a tree resolver past its first release), and with
        // pread through a page cache of two pages (every read evicts one; each object is read
        // twice, so the second often comes from a kept page).
        var tiny = PackReader.Budget.history
        tiny.pageCache = 2 << PackReader.pageShift
        for (reading, budget, times) in [(false, PackReader.Budget.history, 1), (true, .history, 1), (true, tiny, 2)] {
        let packs = try #require(PackReader(objectsDirectories: [r.commonDir + "/objects"], budget: budget))
        if reading { packs.startReading() }
        #expect(packs.reads == reading)
        for _ in 0..<times {
        for line in listing.split(separator: "\n") {
            let f = line.split(separator: " ")
            let id = try #require(ObjectID(hex: String(f[0])))
            let got = try #require(packs.read(id), "pack reader could not read \(f[0])")
            #expect(got.bytes.count == Int(f[2]))
            #expect(["", "commit", "tree", "blob", "tag"][Int(got.type)] == String(f[1]))
            let want = try libgit2.data(id)
            #expect(Data(got.bytes) == want)
            if f[3] != String(repeating: "0", count: 40) { deltas += 1 }
            count += 1
            for length in [1, 300, 4096] {
                if let p = packs.prefix(id, length) { #expect(Array(want.prefix(p.bytes.count)) == p.bytes && p.bytes.count >= min(length, want.count), "prefix \(length) of \(f[0])") }
            }
        }
        }
        #expect(packs.read(ObjectID(hex: String(repeating: "ab", count: 20))!) == nil)
        }
        #expect(count > 100 && deltas > 10, "\(count) objects, \(deltas) deltas: the test must cover deltified objects")
    }

    /// The walk's hex parser agrees with libgit2's, and refuses every non-hex byte.
    @Test func hexParsingAgreesWithLibgit2() {
        var rng = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdefABCDEF".utf8)
        for _ in 0..<2000 {
            let hex = String(decoding: (0..<40).map { _ in digits[Int(rng.next() % UInt64(digits.count))] }, as: UTF8.self)
            let mine = Array(hex.utf8).withUnsafeBufferPointer { ObjectID(hexAt: $0.baseAddress!) }
            #expect(mine == ObjectID(hex: hex), "\(hex)")
        }
        for byte in UInt8(0)...UInt8(255) where !digits.contains(byte) {
            var bytes = Array(String(repeating: "a", count: 40).utf8)
            bytes[Int(byte) % 40] = byte
            #expect(bytes.withUnsafeBufferPointer { ObjectID(hexAt: $0.baseAddress!) } == nil, "byte \(byte)")
        }
    }

    /// A damaged pack never crashes the reader: each object reads correctly or not at all.
    @Test func damagedPackReadsNothingWrong() throws {
        let repo = Self.tangledRepository()
        repo.git(["gc", "-q"])
        let objects = repo.path + "/.git/objects"
        let listing = repo.git(["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).stdout.split(separator: "\n")
        let r = try Repository.discover(from: repo.path)
        let libgit2 = try ObjectReader(r, directPacks: false)
        var truth: [String: Data] = [:]
        for l in listing { truth[String(l)] = try libgit2.data(ObjectID(hex: String(l))!) }
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: objects + "/pack").first { $0.hasSuffix(".pack") })
        let path = objects + "/pack/" + pack
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var damaged = 0
        for k in stride(from: 40, to: bytes.count - 30, by: 97) { bytes[k] ^= 0x5a; damaged += 1 }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try bytes.write(to: URL(fileURLWithPath: path))
        for reading in [false, true] {
            let packs = try #require(PackReader(objectsDirectories: [objects], budget: .history))
            if reading { packs.startReading() }
            var unreadable = 0
            for (hex, want) in truth {
                if let got = packs.read(ObjectID(hex: hex)!) { #expect(Data(got.bytes) == want, "\(hex) read wrong") } else { unreadable += 1 }
                for length in [1, 300, 4096] {
                    if let got = packs.prefix(ObjectID(hex: hex)!, length) { #expect(Array(want.prefix(got.bytes.count)) == got.bytes, "prefix of \(hex) read wrong") }
                }
            }
            #expect(damaged > 0 && unreadable > 0)
        }
    }
}
