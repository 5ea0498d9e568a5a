import Foundation
import Testing
@testable import AttestGit
import AttestTestSupport

/// The push walk agrees with `git rev-list A --not B`, on merges and on clocks that go backwards.
@Suite struct PushWalkTests {
    @Test func agreesWithGitRevList() throws {
        let repo = ScratchRepository("pushwalk")
        var rng = SplitMix64(seed: 42)
        var commits: [String] = []
        // A history with branches, merges and skewed committer dates.
        for i in 0..<60 {
            let date = "2026-0\(1 + Int(rng.next() % 9))-1\(Int(rng.next() % 9))T10:00:00Z"
            if i > 5 && i % 7 == 0 {
                let side = commits[Int(rng.next() % UInt64(commits.count - 1))]
                repo.git(["merge", "-q", "--no-ff", "-s", "ours", "-m", "merge \(i)", side],
                         env: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date])
                commits.append(repo.revParse("HEAD"))
                continue
            }
            if i > 3 && i % 5 == 0 {
                repo.git(["checkout", "-q", "-B", "b\(i)", commits[Int(rng.next() % UInt64(commits.count))]])
            }
            repo.write("f\(i % 4).txt", "\(i)\n")
            commits.append(repo.commitAll("c\(i)", date: date))
        }
        let r = try Repository.discover(from: repo.path)
        for trial in 0..<40 {
            let tips = (0..<(1 + trial % 2)).map { _ in commits[Int(rng.next() % UInt64(commits.count))] }
            let hide = (0..<(trial % 3)).map { _ in commits[Int(rng.next() % UInt64(commits.count))] }
            var walk = try PushWalk(repository: r)
            let mine = Set(try walk.run(tips: tips.map { ObjectID(hex: $0)! }, hiding: hide.map { ObjectID(hex: $0)! }).map(\.id.hex))
            let git = Set(repo.git(["rev-list"] + tips + (hide.isEmpty ? [] : ["--not"] + hide)).stdout.split(separator: "\n").map(String.init))
            #expect(mine == git, "tips \(tips) hide \(hide)")
        }
        // Unknown ids on the hidden side are ignored; an unknown tip is an error.
        var walk = try PushWalk(repository: r)
        let unknown = ObjectID(hex: String(repeating: "e", count: 40))!
        #expect(try walk.run(tips: [ObjectID(hex: commits.last!)!], hiding: [unknown]).count > 0)
        var walk2 = try PushWalk(repository: r)
        #expect(throws: GitError.self) { try walk2.run(tips: [unknown], hiding: []) }
    }
}
