import Foundation

// The fast path: how the history walks (`FolderHistory.walk`, the audit's) and the push walk
// (`PushWalk`, the hooks') read objects without libgit2's parsed objects.
//
//   PackReader     objects straight from the `*.idx` + `*.pack` files (delta chains, prefixes
//                  of trees, tree lookups), mapped or, for the tree resolvers, read with
//                  `pread` through kept pages, within a `PackReader.Budget` of resident pages
//                  and caches
//   PackFile       one mapped pack and its index (an object's offset by id), the packs of the
//                  object directories, newest first
//   PackBudget     what a reader may hold resident (`PackReader.Budget`) and how it counts
//                  the windows it touched (`Marks`)
//   PackDelta      git's delta format: a whole object, or only the first bytes of one
//   TreeLookup     a few names looked up in a tree in one pass, and the same answers for a
//                  tree made from it by a delta that left the bytes they were decided on in
//                  place (`TreeParser.inherit`), without rebuilding it
//   ObjectCache    recently read objects, prefixes and tree answers by (pack, offset),
//                  bounded in bytes
//   CommitGraph    commit parents, root trees and times from `objects/info/commit-graph`
//   ObjectReader   the one entry point: the pack reader first, libgit2's object database for
//                  anything it does not answer (loose objects, a quarantine, a malformed entry)
//   TreeParser     lookups and differences in raw tree bytes
//   ObjectIDTable  object id to walk index
//   TreeResolver   the folder's subtree and `.attestconfig` of each root tree, on a second
//                  thread (`ResolverThread`), fed through `TreeHandoff`
//
// Contract: every byte this path returns for an object is the byte libgit2 returns for it, and
// every answer derived from them (a commit's header, a tree entry, a walk's commit set, the
// commits touching a folder) is git's. The differential tests prove it on every shape of
// repository the fast path reads (one pack, commit-graph, depth-250 chains, a second pack, a
// split graph, loose objects, a multi-pack index): `HistoryShapesTests` (walks against
// `git log`/`git rev-list`, tree prefixes and graph entries against libgit2's objects) and
// `FolderHistoryTests` (every object of a repository read by `PackReader` equals libgit2's),
// and `bench/real-history-check` runs the same on a real history. What this path cannot read it
// leaves to libgit2, which reports the error; it never guesses.
// Nothing here re-hashes an object: what a judge decides on is read again through libgit2 with
// hash verification on (`PushGate`, `SignoffInspector`).

/// The tree resolver on its own thread, as both walks run it: the caller hands root tree ids
/// to `handoff` in walk order, then `finish()` waits for the resolver and rethrows what it could
/// not read. Dropped without `finish()` (the walk failed), it still stops and joins the thread.
final class ResolverThread {
    let resolver: TreeResolver
    let handoff = TreeHandoff()
    private let done = DispatchSemaphore(value: 0)
    private var joined = false

    /// Starts a resolver for `components` (the folder's path) with its own repository handle
    /// and pack reader: nothing is shared between the threads but the hand-off.
    init(_ repository: Repository, components: [[UInt8]], policyNames: [[UInt8]] = [], budget: PackReader.Budget) throws(GitError) {
        resolver = TreeResolver(reader: try ObjectReader(try repository.reopened(), budget: budget), components: components, policyNames: policyNames)
        let r = resolver, h = handoff, d = done
        Thread.detachNewThread { r.run(h); d.signal() }
    }

    /// The resolver could not read a tree (the walk stops early; `finish` throws it).
    var failed: Bool { resolver.failure != nil }

    /// Tells the resolver that no more trees come, waits until it has resolved every one, and
    /// throws what it could not read.
    func finish() throws(GitError) {
        join()
        if let e = resolver.failure { throw e }
    }

    private func join() {
        guard !joined else { return }
        joined = true
        handoff.finish()
        done.wait()
    }

    deinit { join() }
}
