import Foundation
import AttestCore
import AttestGit

/// What the server holds against someone with push access (issue #15): the record is
/// append-only, and the policy a push is judged by is the record's own, never defaults.
public struct ServerRecord {
    public let repository: Repository
    public let overrides: [Policy.Entry]

    public init(repository: Repository, overrides: [Policy.Entry]) {
        self.repository = repository; self.overrides = overrides
    }

    // MARK: append-only

    /// The refusals for ref updates that drop part of the record: a non-fast-forward update or
    /// a deletion whose old tip reaches a sign-off, an amendment or a policy commit that neither
    /// the new tip nor any other branch or tag of the server reaches. One line per update.
    public func droppedRecord(_ updates: [HookInput.RefUpdate]) throws(VerificationError) -> [String] {
        var out: [String] = []
        var refs: [(name: String, id: ObjectID)] = []
        for glob in ["refs/heads/*", "refs/tags/*"] { refs += (try? repository.references(glob: glob)) ?? [] }
        let files = PolicyFiles(repository: repository, overrides: overrides)
        for u in updates where !u.old.isZero && repository.contains(u.old) {
            guard let old = try? repository.resolveCommit(u.old.hex) else { continue }
            if !u.isDeletion, repository.isAncestor(old, of: u.new) { continue }
            // What stays reachable: the new tip, and every other ref not updated by this push.
            let updated = Set(updates.map(\.ref))
            let kept = (u.isDeletion ? [] : [u.new]) + refs.filter { !updated.contains($0.name) }.map(\.id)
                + updates.filter { $0.ref != u.ref && !$0.isDeletion }.map(\.new)
            var ids: [ObjectID] = []
            do { try repository.walk(from: [old], hiding: kept) { id throws(GitError) in ids.append(id); return true } } catch {
                throw .pushUnreadable(what: "walk what \(u.ref) would drop", cause: error.description)
            }
            var dropped: [String] = []
            var count = 0
            for id in ids {
                let raw: RawCommit
                do { raw = try repository.rawCommit(id) } catch { throw .pushUnreadable(what: "read commit \(id.short)", cause: error.message) }
                let what: String?
                if let claim = SignoffClaim(message: raw.message) {
                    what = "\(claim.isAmendment ? "amendment" : "sign-off") of \(claim.quarter?.description ?? claim.quarterText)"
                } else if SignoffClaim.amends(in: raw.message) != nil {
                    what = "amendment"
                } else {
                    let parent = raw.parents.first.flatMap { repository.contains($0) ? $0 : nil }
                    what = (try? files.changesPolicy(id, parent: parent)) ?? true ? "policy commit" : nil
                }
                guard let what else { continue }
                count += 1
                if dropped.count < 10 { dropped.append("\(id.short) (\(what), \"\(raw.message.prefix { $0 != "\n" })\")") }
            }
            guard count > 0 else { continue }
            let list = dropped.joined(separator: ", ") + (count > dropped.count ? " and \(count - dropped.count) more" : "")
            let how = u.isDeletion ? "deletes \(u.ref) (at \(old.short))" : "moves \(u.ref) from \(old.short) to \(u.new.short), which is not a fast-forward,"
            let fix = u.isDeletion
                ? "merge the branch into one the server keeps before deleting it, or keep it"
                : "keep what was pushed and add to it: fetch, rebase or merge your work on top of \(old.short) (git pull --rebase; git revert to undo a change on the record), and push without --force"
            out.append("\(u.ref): [append-only] this push \(how) and drops \(count) commit\(count == 1 ? "" : "s") of the record that no branch or tag kept on the server reaches: \(list); the record is append-only: a sign-off, an amendment or a policy commit, once on the server, stays reachable; to fix: \(fix)")
        }
        return out
    }

    // MARK: which policy judges a push

    /// Where the server's policy for one ref update comes from.
    public struct PolicySource: Equatable {
        public let commit: ObjectID
        public let what: String
    }

    /// The configured policy ref: `-c hook.policyRef=REF`, else the server's git config.
    public var policyRef: String? {
        let given = overrides.last { $0.name.caseInsensitiveCompare("hook.policyRef") == .orderedSame }?.value
            ?? repository.configString("hook.policyRef")
        return given.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The commit whose `.attestconfig` and allowed signers judge an update: the policy ref
    /// when one is configured; else the ref being updated, as it stood before the push; else,
    /// for a new ref, the server's HEAD; on an empty server, the first push's own tip. With none
    /// of them there is no policy, and the push is refused: the built-in defaults never judge a
    /// server's push.
    /// A branch is judged by its own record before the push; any other ref (an evidence ref,
    /// whose commits hold a sealed archive and no `.attestconfig`; a tag) by the server's HEAD,
    /// or on an empty server by the branch the same push brings.
    public func policySource(for u: HookInput.RefUpdate, in push: [HookInput.RefUpdate] = []) throws(VerificationError) -> PolicySource {
        if let ref = policyRef {
            guard let id = try? repository.resolveCommit(ref) else {
                throw .policyRefMissing(ref: ref, gitDir: repository.gitDir)
            }
            return PolicySource(commit: id, what: "hook.policyRef \(ref) (\(id.short))")
        }
        let isBranch = u.ref.hasPrefix("refs/heads/")
        if isBranch, !u.old.isZero, let id = try? repository.resolveCommit(u.old.hex) {
            return PolicySource(commit: id, what: "\(u.ref) as it stood before the push (\(id.short))")
        }
        if let head = repository.headCommit {
            return PolicySource(commit: head, what: isBranch ? "the server's HEAD (\(head.short)), since \(u.ref) is new" : "the server's HEAD (\(head.short)), the branch that holds the policy for \(u.ref)")
        }
        if !isBranch, isEmpty, let branch = push.first(where: { $0.ref.hasPrefix("refs/heads/") && !$0.isDeletion }) {
            return PolicySource(commit: branch.new, what: "the first push to an empty server: the policy \(branch.ref) brings (\(branch.new.short))")
        }
        // An empty server has no record yet: the first push brings the policy, and is judged
        // by the .attestconfig at its own tip (still never by the built-in defaults).
        if !u.isDeletion, isEmpty {
            return PolicySource(commit: u.new, what: "the first push to an empty server: the policy \(u.ref) brings (\(u.new.short))")
        }
        let headName = (try? String(contentsOfFile: repository.gitDir + "/HEAD", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "ref: ", with: "") ?? "HEAD"
        throw .serverHeadMissing(ref: u.ref, head: headName, gitDir: repository.gitDir)
    }

    /// The server has no branch and no tag.
    public var isEmpty: Bool {
        ["refs/heads/*", "refs/tags/*"].allSatisfy { ((try? repository.references(glob: $0)) ?? []).isEmpty }
    }

    /// The policy committed at a source, then `-c`.
    public func policy(at source: PolicySource) throws(VerificationError) -> Policy {
        do { return try PolicyFiles(repository: repository, overrides: overrides).policy(at: source.commit) } catch {
            throw .serverPolicyUnreadable(source: source.what, cause: error)
        }
    }
}
