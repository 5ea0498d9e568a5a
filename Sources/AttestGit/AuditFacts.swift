import Foundation
import AttestCore
internal import CGit2

/// Gathers what `Audit.evaluate` judges, from one walk of history.
public struct AuditFacts {
    public var input: AuditInput
    /// The policy as committed at the audited revision, then -c.
    public let policy: Policy
    /// The walked history, for cross-checks and reports that want more.
    public let history: FolderHistory

    /// - Parameters:
    ///   - overrides: `-c key=value` settings, applied on top of `.attestconfig` at every commit.
    ///   - sha256: the SHA-256 of bytes in lowercase hex (AttestCrypto's, passed in so this
    ///     target stays on libgit2 alone).
    public static func gather(repository repo: Repository, revision: String, from: Date, to: Date,
                              overrides: [Policy.Entry], sha256: @escaping (Data) -> String,
                              progress: ((Int) -> Void)? = nil) throws(AttestError) -> AuditFacts {
        let tip: ObjectID
        do { tip = try repo.resolveCommit(revision) } catch {
            throw .usage("cannot resolve --rev '\(revision)': \(error.message)")
        }
        let reader: ObjectReader
        do { reader = try ObjectReader(repo) } catch { throw .environment(error.description) }
        // The policy is the one committed at the audited revision, then -c.
        let tipConfig: ObjectID?
        do { tipConfig = try reader.rootEntry(".attestconfig", ofCommit: tip) } catch { throw .environment(error.description) }
        let base = try policy(blob: tipConfig, reader: reader, overrides: overrides, displayName: ".attestconfig at \(revision)")

        let history: FolderHistory
        do { history = try FolderHistory.walk(repo, from: tip.hex, folder: base.attestationFolder, progress: progress) } catch {
            throw .environment("reading history from \(revision): \(error.description)")
        }
        do {
            var input = try Builder(history: history, base: base, overrides: overrides, sha256: sha256)
                .build(revision: revision, from: from, to: to)
            input.shallow = history.isShallow
            return AuditFacts(input: input, policy: base, history: history)
        } catch let e as GitError {
            throw .environment("reading history from \(revision): \(e.description)")
        } catch let e as AttestError { throw e } catch { throw .environment("\(error)") }
    }

    static func policy(blob: ObjectID?, reader: ObjectReader, overrides: [Policy.Entry], displayName: String) throws(AttestError) -> Policy {
        var entries: [Policy.Entry] = []
        if let blob {
            do { entries = try ConfigFile.entries(contents: try reader.data(blob), displayName: displayName) } catch {
                throw .config("cannot read \(displayName): \(error.message)")
            }
        }
        return try Policy(entries: entries + overrides)
    }

    private final class Builder {
        let history: FolderHistory
        let base: Policy
        let overrides: [Policy.Entry]
        let sha256: (Data) -> String
        var policies: [ObjectID: (Policy, String?)] = [:]
        var details: [Int: CommitDetails] = [:]

        init(history: FolderHistory, base: Policy, overrides: [Policy.Entry], sha256: @escaping (Data) -> String) {
            self.history = history; self.base = base; self.overrides = overrides; self.sha256 = sha256
        }

        func detail(_ i: Int) throws -> CommitDetails {
            if let d = details[i] { return d }
            let d = try history.details(at: i)
            details[i] = d
            return d
        }

        /// The policy at commit `i` (its `.attestconfig`, then -c), and why it could not be read.
        func policy(at i: Int) -> (Policy, String?) {
            guard let blob = history.configID(atCommit: i) else {
                return ((try? Policy(entries: overrides)) ?? base, nil)
            }
            if let p = policies[blob] { return p }
            let r: (Policy, String?)
            do {
                r = (try AuditFacts.policy(blob: blob, reader: history.reader, overrides: overrides,
                                           displayName: ".attestconfig at \(history.id(at: i).hex.prefix(12))"), nil)
            } catch { r = (base, error.description) }
            policies[blob] = r
            return r
        }

        func person(_ s: CommitDetails.Signature) -> AuditPerson {
            AuditPerson(name: s.name, email: s.email, time: s.time, offsetMinutes: s.offsetMinutes)
        }

        func build(revision: String, from: Date, to: Date) throws -> AuditInput {
            let schedule = Schedule(policy: base)
            let required = schedule.requiredQuarters(from: from, to: to)
            var quarters: [QuarterHistory] = []
            for q in required {
                quarters.append(try quarterHistory(q, schedule: schedule))
            }
            return AuditInput(from: from, to: to, revision: revision, revisionID: history.tip.hex, folder: base.attestationFolder,
                              quarters: quarters, policyChanges: try policyChanges(),
                              signatureRequired: base.signatureRequired, maxDateSkewHours: base.auditMaxDateSkewHours,
                              commitsWalked: history.commitCount, commitsTouchingFolder: history.touching.count,
                              folderCommits: history.touching.map { FolderCommit(id: $0.id.hex, isMerge: $0.isMerge, files: $0.changedFiles.sorted()) })
        }

        func quarterHistory(_ q: Quarter, schedule: Schedule) throws -> QuarterHistory {
            let file = "\(q).md"
            let path = base.attestationFolder + "/" + file
            var listed: [(touch: FolderHistory.TouchingCommit, change: FileChange)] = []
            for t in history.touching where t.changedFiles.contains(file) {
                let here = try history.fileID(file, atCommit: t.index)
                let parentIDs = try history.parentIndices(of: t.index).map { p throws(GitError) in try history.fileID(file, atCommit: p) }
                let change: FileChange
                if t.isMerge && parentIDs.contains(where: { $0 == here }) { change = .merged }
                else if here == nil { change = .deleted }
                else if parentIDs.allSatisfy({ $0 == nil }) { change = .added }
                else { change = .modified }
                listed.append((t, change))
            }
            // Oldest first: committer time, then walk order (later discovered is older).
            listed.sort { a, b in
                let ta = history.committerTime(at: a.touch.index), tb = history.committerTime(at: b.touch.index)
                return ta != tb ? ta < tb : a.touch.index > b.touch.index
            }

            var commits: [AuditCommit] = []
            for (t, change) in listed {
                let d = try detail(t.index)
                // The policy in force when it was made: its parent's, tightened by its own.
                let (own, problem) = policy(at: t.index)
                let parentPolicy = history.parentIndices(of: t.index).first.map { policy(at: $0).0 }
                let inForce = SignoffRules.policyInForce(parent: parentPolicy ?? own, own: own)
                var document: Data?
                if change != .deleted, let blob = try history.fileID(file, atCommit: t.index) { document = try history.blob(blob) }
                let parentTimes = history.parentIndices(of: t.index).map { history.committerTime(at: $0) }
                commits.append(AuditCommit(
                    id: t.id.hex, parents: t.parents.map(\.hex), author: person(d.author), committer: person(d.committer),
                    message: d.message, latestParentCommitterTime: parentTimes.max().map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    change: change, document: document, documentSHA256: document.map(sha256),
                    window: Schedule(policy: inForce).window(for: q), policyProblem: problem,
                    signature: d.isSigned ? .present : .none))
                commits[commits.count - 1].policy = inForce
            }

            // Graph facts relative to each sign-off candidate.
            for (k, c) in commits.enumerated() where Audit.isSignoffCandidate(c.message, change: c.change, for: q) {
                let s = listed[k].touch.index
                let desc = history.descendants(of: s)
                for (m, other) in listed.enumerated() where desc[other.touch.index] {
                    commits[m].descendsFrom.insert(c.id)
                    // It changes the file on the sign-off's line when it differs from a parent on
                    // that line and no parent on the line has it as it is (the push hooks' rule).
                    let here = try history.fileID(file, atCommit: other.touch.index)
                    var differs = false, carried = false
                    for p in history.parentIndices(of: other.touch.index) where p == s || desc[p] {
                        if try history.fileID(file, atCommit: p) != here { differs = true } else { carried = true }
                    }
                    if differs && !carried { commits[m].changesLineOf.insert(c.id) }
                }
                var first: Int?
                for i in 0..<desc.count where desc[i] {
                    if first == nil || history.committerTime(at: i) < history.committerTime(at: first!) { first = i }
                }
                if let f = first {
                    let ps = history.parentIndices(of: f)
                    let side = ps.count > 1 && !(ps[0] == s || desc[ps[0]])
                    commits[k].firstDescendant = FirstDescendant(
                        id: history.id(at: f).hex, committerTime: Date(timeIntervalSince1970: TimeInterval(history.committerTime(at: f))),
                        mergedFromSideLine: side)
                }
            }
            let present = try history.fileID(file, atCommit: 0) != nil
            return QuarterHistory(quarter: q, path: path, commits: commits, presentAtRevision: present,
                                  windowAtRevision: schedule.window(for: q))
        }

        /// Commits that changed a window key of `.attestconfig` (a merge only when it differs
        /// from every parent: otherwise the change is reported on the commit that made it).
        func policyChanges() throws -> [PolicyChange] {
            var byCommit: [Int: [Int?]] = [:]
            for (c, p) in history.configChanges() { byCommit[c, default: []].append(p) }
            var out: [PolicyChange] = []
            for (c, parents) in byCommit.sorted(by: { history.committerTime(at: $0.key) < history.committerTime(at: $1.key) }) {
                let all = history.parentIndices(of: c)
                if all.count > 1 && parents.count < all.count { continue }
                let mine = windowValues(at: c)
                let theirs = parents.first.flatMap { $0 }.map(windowValues) ?? windowValues(of: Policy())
                var changes = Policy.windowKeys.compactMap { k -> PolicyChange.KeyChange? in
                    mine[k] == theirs[k] ? nil : PolicyChange.KeyChange(key: k, old: theirs[k] ?? "", new: mine[k] ?? "")
                }
                // A requirement turned off (signing, TSA, the hooks' limits) is reported too.
                let before = parents.first.flatMap { $0 }.map { policy(at: $0).0 } ?? Policy()
                for w in SignoffRules.weakenings(from: before, to: policy(at: c).0) {
                    let parts = w.components(separatedBy: " ")
                    guard parts.count == 4, !Policy.windowKeys.contains(parts[0]) else { continue }
                    changes.append(PolicyChange.KeyChange(key: parts[0], old: parts[1], new: parts[3]))
                }
                guard !changes.isEmpty else { continue }
                let d = try detail(c)
                out.append(PolicyChange(commit: d.id, committer: person(d.committer), author: person(d.author),
                                        subject: String(d.message.split(separator: "\n").first ?? ""), changes: changes))
            }
            return out
        }

        /// The window keys as committed at commit `i` (without -c, which is the same on both sides).
        func windowValues(at i: Int) -> [String: String] {
            var out = windowValues(of: Policy())
            guard let blob = history.configID(atCommit: i),
                  let data = try? history.reader.data(blob),
                  let entries = try? ConfigFile.entries(contents: data, displayName: ".attestconfig") else { return out }
            for e in entries {
                if let k = Policy.windowKeys.first(where: { $0.caseInsensitiveCompare(e.name) == .orderedSame }) {
                    out[k] = e.value.trimmingCharacters(in: .whitespaces)
                }
            }
            return out
        }

        func windowValues(of p: Policy) -> [String: String] {
            var out: [String: String] = [:]
            for k in Policy.windowKeys { if let key = Policy.key(named: k) { out[k] = key.current(p) } }
            return out
        }
    }
}

extension ObjectReader {
    /// The id of an entry at the root of a commit's tree.
    func rootEntry(_ name: String, ofCommit commit: ObjectID) throws(GitError) -> ObjectID? {
        let tree: ObjectID = try withObject(commit, "commit") { buf, _ throws(GitError) in
            guard let h = CommitHeader.parse(buf) else { throw GitError(operation: "read commit \(commit)", code: -1, message: "malformed commit") }
            return h.tree
        }
        return try entry(named: Array(name.utf8), inTree: tree)
    }
}
