import Foundation
import AttestCore
internal import CGit2

extension FolderHistory {
    /// Walks from `rev` (anything `git rev-parse` accepts) through every parent.
    /// `progress` is called with the number of commits read so far, every few thousand.
    ///
    /// Two threads share the work. This one reads commits breadth-first as raw objects (ids,
    /// parents, committer times) and hands each root tree id on; a second one searches those
    /// trees for the folder's path and `.attestconfig`, with its own pack reader and repository
    /// handle, so nothing is shared but the hand-off. (With libgit2 reading the packs, two
    /// threads were slower than one: its pack windows sit behind one global lock.)
    /// `policyPaths` (the allowed-signers file, the TSA CA, the control-files folder) are
    /// watched by their first component (`policyRootChanges`).
    public static func walk(_ repo: Repository, from rev: String, folder: String, policyPaths: [String] = [],
                            progress: ((Int) -> Void)? = nil) throws(GitError) -> FolderHistory {
        let tip = try repo.resolveCommit(rev)
        let reader = try ObjectReader(repo)
        // Whatever happens here, the resolver thread is told to stop and is waited for.
        let thread = try ResolverThread(repo, components: folder.split(separator: "/").map { Array($0.utf8) },
                                        policyNames: TreeResolver.policyNames(policyPaths), budget: .history)
        let resolver = thread.resolver, handoff = thread.handoff

        // libgit2's object cache would keep every commit and tree read (up to 256 MiB) though
        // the walk reads each once; its hash re-verification would double the work of a read.
        Repository.setObjectCaching(false)
        Repository.setStrictHashVerification(false)
        defer { Repository.setObjectCaching(true); Repository.setStrictHashVerification(true) }

        // A shallow clone lists its cut-off commits in `shallow`: their parents are not there,
        // and, as git log does, the walk treats them as roots.
        let shallow = Set((try? String(contentsOfFile: repo.commonDir + "/shallow", encoding: .utf8))?
            .split(separator: "\n").compactMap { ObjectID(hex: String($0)) } ?? [])
        let graph = shallow.isEmpty ? CommitGraph.open(repo) : nil
        var index = ObjectIDTable()
        index.insert(tip, 0)
        var ids: [ObjectID] = [tip]
        var parentStart: [Int32] = [0]
        var parentList: [Int32] = []
        var times: [Int64] = []
        var i = 0
        while i < ids.count {
            if thread.failed { break }
            let id = ids[i]
            let cut = !shallow.isEmpty && shallow.contains(id)
            // The commit-graph answers without inflating the commit; what it does not list is read.
            let h: CommitHeader
            if let g = graph?.header(id) { h = g } else {
                h = try reader.withObject(id, "commit") { buf, type throws(GitError) in
                    guard type == GIT_OBJECT_COMMIT, let h = CommitHeader.parse(buf) else {
                        throw GitError(operation: "read commit \(id)", code: -1, message: "not a well-formed commit object")
                    }
                    return h
                }
            }
            for p in h.parents where !cut {
                if let pi = index[p] { parentList.append(pi) } else {
                    let pi = Int32(ids.count)
                    index.insert(p, pi)
                    ids.append(p)
                    parentList.append(pi)
                }
            }
            times.append(h.committerTime)
            let tree = h.tree
            handoff.append(tree, at: i)
            parentStart.append(Int32(parentList.count))
            i += 1
            if let progress, i % 5000 == 0 { progress(i) }
        }
        try thread.finish()
        progress?(ids.count)

        let h = FolderHistory(tip: tip, folder: folder, ids: ids, parentStart: parentStart, parentList: parentList,
                              shallow: !shallow.isEmpty,
                              committerTimes: times, folderTree: resolver.folderTree, configBlob: resolver.configBlob,
                              trees: resolver.trees, configBlobs: resolver.blobs, reader: reader, indexByID: index)
        h.policyRoot = resolver.policyRoot
        try h.findTouching()
        return h
    }
}
