import Foundation
internal import CGit2

/// The commits of a push: those reachable from some tips and not from others, found the way
/// git's own `rev-list A --not B` finds them (newest first by committer date, with git's "slop"
/// of a few extra commits against skewed clocks), each with whether it touches a folder (its
/// subtree id differs from that in a parent) and whether its message mentions attest.
///
/// This is the push gate's fast path, so it reads as little as git would: each commit once,
/// straight from the pack files (`PackReader`, libgit2 for anything else), and each root tree
/// once, on a second thread (`TreeResolver`, as the audit's walk does), while this one goes on
/// reading commits. Nothing is hashed again and nothing is cached but the folder lookups.
public struct PushWalk {
    public struct Commit: Sendable {
        public let id: ObjectID
        public let tree: ObjectID
        public let parents: [ObjectID]
        public let mentionsAttest: Bool
        /// The folder's subtree differs from that of some parent (a root commit: the folder exists).
        public let touchesFolder: Bool
        /// `.attestconfig`, or a root entry holding one of the policy paths, differs from that
        /// of some parent (a root commit: false; nothing before it).
        public let touchesPolicy: Bool
        /// The folder's subtree id in this commit (nil: no folder), and in each parent, in
        /// order: what the gate's `FolderTracker` would look up again (`know(commit:folder:)`).
        public let folder: ObjectID?
        public let parentFolders: [ObjectID?]
        /// Each parent's committer time (seconds) as the walk read it from the parent's
        /// object; nil where it came from the commit-graph or the header had none, so the
        /// caller reads that parent itself.
        public let parentTimes: [Int64?]
    }

    private struct Node {
        let id: ObjectID
        let tree: ObjectID
        let parents: [ObjectID]
        let time: Int64
        let mentions: Bool
        /// The time is the commit object's own (not the commit-graph's).
        let timeFromObject: Bool
        var uninteresting: Bool
        var expanded = false
    }

    private let repository: Repository
    private let folder: [[UInt8]]
    private let policyNames: [[UInt8]]
    private let reader: ObjectReader
    private let graph: CommitGraph?
    private var nodes: [Node] = []
    private var index = ObjectIDTable(capacity: 1 << 12)
    private var heap: [(time: Int64, seq: Int)] = []
    /// How many queued (not yet expanded) commits are interesting.
    private var interestingQueued = 0
    private var handoff: TreeHandoff?

    /// A walk over `repository` (opened from the environment in a hook, so a receive
    /// quarantine is seen) that compares the subtree at `folder` (`docs/attestation-log`).
    /// `policyPaths` (the allowed-signers file, the TSA CA, the control-files folder) are
    /// watched by their first component, beside `.attestconfig`.
    public init(repository: Repository, folder: String, policyPaths: [String] = []) throws(GitError) {
        self.repository = repository
        self.folder = folder.split(separator: "/").map { Array($0.utf8) }
        policyNames = TreeResolver.policyNames(policyPaths)
        reader = try ObjectReader(repository, budget: .pushCommits)
        graph = CommitGraph.open(repository)
    }

    /// Runs the walk, newest first. Ids not in the object store, or not commits, are ignored
    /// on the hidden side (a remote tip the client never fetched); a missing tip, or a missing
    /// parent of a pushed commit, is an error.
    public mutating func run(tips: [ObjectID], hiding: [ObjectID]) throws(GitError) -> [Commit] {
        // The resolver gets its own repository handle and pack reader: nothing is shared
        // between the threads but the hand-off of root tree ids.
        let thread = try ResolverThread(repository, components: folder, policyNames: policyNames, budget: .push)
        let resolver = thread.resolver
        handoff = thread.handoff
        defer { handoff = nil }

        for h in hiding where !h.isZero { _ = try add(h, uninteresting: true, required: false) }
        for t in tips where !t.isZero { _ = try add(t, uninteresting: false, required: true) }
        var candidates: [Int] = []
        var slop = 5
        var lastInterestingTime = Int64.max
        while let i = pop() {
            if nodes[i].expanded { continue }
            if thread.failed { break }
            nodes[i].expanded = true
            let unint = nodes[i].uninteresting
            if !unint { interestingQueued -= 1 }
            for p in nodes[i].parents {
                if let j = index[p] {
                    if unint { markUninteresting(Int(j)) }
                } else {
                    _ = try add(p, uninteresting: unint, required: false)
                }
            }
            if unint {
                // git's still_interesting(): keep going while anything queued is interesting,
                // or newer than the last interesting commit; otherwise a few more (slop).
                if interestingQueued > 0 || (heap.first?.time ?? Int64.min) >= lastInterestingTime {
                    slop = 5
                } else {
                    slop -= 1
                    if slop == 0 { break }
                }
                continue
            }
            lastInterestingTime = nodes[i].time
            candidates.append(i)
        }
        try thread.finish()

        var out: [Commit] = []
        for i in candidates where !nodes[i].uninteresting {
            let n = nodes[i]
            let mine = resolver.folderTree[i]
            var touches = n.parents.isEmpty && mine >= 0
            var policy = false
            var parentFolders: [ObjectID?] = [], parentTimes: [Int64?] = []
            for p in n.parents {
                guard let j = index[p] else {
                    throw GitError(operation: "read commit \(p.short), parent of \(n.id.short)", code: GIT_ENOTFOUND.rawValue,
                                   message: "not in the object store")
                }
                let theirs = resolver.folderTree[Int(j)]
                touches = touches || theirs != mine
                policy = policy || resolver.configBlob[Int(j)] != resolver.configBlob[i]
                    || (!policyNames.isEmpty && resolver.policyRoot[Int(j)] != resolver.policyRoot[i])
                parentFolders.append(theirs >= 0 ? resolver.trees[Int(theirs)] : nil)
                let pn = nodes[Int(j)]
                parentTimes.append(pn.timeFromObject && pn.time > 0 ? pn.time : nil)
            }
            out.append(Commit(id: n.id, tree: n.tree, parents: n.parents, mentionsAttest: n.mentions, touchesFolder: touches, touchesPolicy: policy,
                              folder: mine >= 0 ? resolver.trees[Int(mine)] : nil, parentFolders: parentFolders, parentTimes: parentTimes))
        }
        return out
    }

    private mutating func add(_ id: ObjectID, uninteresting: Bool, required: Bool) throws(GitError) -> Int? {
        if let j = index[id] {
            if uninteresting { markUninteresting(Int(j)) }
            return Int(j)
        }
        // A commit on the hidden side is only a boundary: the commit-graph's entry is enough.
        // A pushed commit is always read whole, for its message.
        let parsed: (header: CommitHeader, mentionsAttest: Bool)
        var fromObject = false
        if uninteresting, let g = graph?.header(id) { parsed = (g, false) } else {
            do { parsed = try reader.commitHeader(id); fromObject = true } catch {
                if required { throw error }
                return nil
            }
        }
        let j = nodes.count
        nodes.append(Node(id: id, tree: parsed.header.tree, parents: parsed.header.parents, time: parsed.header.committerTime,
                          mentions: parsed.mentionsAttest, timeFromObject: fromObject, uninteresting: uninteresting))
        index.insert(id, Int32(j))
        handoff!.append(parsed.header.tree, at: j)
        if !uninteresting { interestingQueued += 1 }
        push(j)
        return j
    }

    /// Marks a commit and everything already known below it uninteresting (git's
    /// mark_parents_uninteresting); commits not yet read inherit the mark when added.
    private mutating func markUninteresting(_ start: Int) {
        var stack = [start]
        while let j = stack.popLast() {
            if nodes[j].uninteresting && j != start { continue }
            if !nodes[j].uninteresting && !nodes[j].expanded { interestingQueued -= 1 }
            nodes[j].uninteresting = true
            for p in nodes[j].parents { if let k = index[p], !nodes[Int(k)].uninteresting { stack.append(Int(k)) } }
        }
    }

    // A binary max-heap on (time, -seq): newest first, ties in insertion order.
    private mutating func push(_ j: Int) {
        heap.append((nodes[j].time, j))
        var c = heap.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard before(heap[c], heap[p]) else { break }
            heap.swapAt(c, p); c = p
        }
    }
    private mutating func pop() -> Int? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < heap.count && before(heap[l], heap[m]) { m = l }
                if r < heap.count && before(heap[r], heap[m]) { m = r }
                if m == p { break }
                heap.swapAt(p, m); p = m
            }
        }
        return top.seq
    }
    private func before(_ a: (time: Int64, seq: Int), _ b: (time: Int64, seq: Int)) -> Bool {
        a.time != b.time ? a.time > b.time : a.seq < b.seq
    }
}
