import Foundation
internal import CGit2

/// The commits reachable from some tips and not from others, found the way git's own
/// `rev-list A --not B` finds them (newest first by committer date, with git's "slop" of a few
/// extra commits against skewed clocks), reading each commit object exactly once and keeping
/// what the push hook needs from it: tree, parents, and whether the message mentions attest.
///
/// libgit2's revwalk parses every commit into objects the hook then reads again; this walk
/// does one raw read per commit, which is what keeps the hook's fast path near `git rev-list`.
public struct PushWalk {
    public struct Commit: Sendable {
        public let id: ObjectID
        public let tree: ObjectID
        public let parents: [ObjectID]
        public let mentionsAttest: Bool
    }

    private struct Node {
        let id: ObjectID
        let tree: ObjectID
        let parents: [ObjectID]
        let time: Int64
        let mentions: Bool
        var uninteresting: Bool
        var expanded = false
    }

    private let odb: ObjectDatabase
    private var nodes: [Node] = []
    private var index: [ObjectID: Int] = [:]
    private var heap: [(time: Int64, seq: Int)] = []
    /// How many queued (not yet expanded) commits are interesting.
    private var interestingQueued = 0

    public init(repository: Repository) throws(GitError) { odb = try ObjectDatabase(repository) }

    /// Runs the walk. Ids not in the object store, or not commits, are ignored on the hidden
    /// side (a remote tip the client never fetched); a missing tip is an error.
    public mutating func run(tips: [ObjectID], hiding: [ObjectID]) throws(GitError) -> [Commit] {
        for h in hiding where !h.isZero { _ = try add(h, uninteresting: true, required: false) }
        for t in tips where !t.isZero { _ = try add(t, uninteresting: false, required: true) }
        var candidates: [Int] = []
        var slop = 5
        var lastInterestingTime = Int64.max
        while let i = pop() {
            if nodes[i].expanded { continue }
            nodes[i].expanded = true
            let unint = nodes[i].uninteresting
            if !unint { interestingQueued -= 1 }
            for p in nodes[i].parents {
                if let j = index[p] {
                    if unint { markUninteresting(j) }
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
        return candidates.filter { !nodes[$0].uninteresting }.map {
            Commit(id: nodes[$0].id, tree: nodes[$0].tree, parents: nodes[$0].parents, mentionsAttest: nodes[$0].mentions)
        }
    }

    /// The root tree of a commit the walk has read, if it has.
    public func tree(of id: ObjectID) -> ObjectID? { index[id].map { nodes[$0].tree } }

    private mutating func add(_ id: ObjectID, uninteresting: Bool, required: Bool) throws(GitError) -> Int? {
        if let j = index[id] {
            if uninteresting { markUninteresting(j) }
            return j
        }
        let parsed: (tree: ObjectID, parents: [ObjectID], time: Int64, mentions: Bool)?
        do { parsed = try odb.commitHeader(id) } catch {
            if required { throw error }
            return nil
        }
        guard let parsed else {
            if required { throw GitError(operation: "read commit \(id.short)", code: -1, message: "not a commit") }
            return nil
        }
        let j = nodes.count
        nodes.append(Node(id: id, tree: parsed.tree, parents: parsed.parents, time: parsed.time, mentions: parsed.mentions,
                          uninteresting: uninteresting))
        index[id] = j
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
            for p in nodes[j].parents { if let k = index[p], !nodes[k].uninteresting { stack.append(k) } }
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
