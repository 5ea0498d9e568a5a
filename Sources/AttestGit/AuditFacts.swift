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
                              progress: ((Int) -> Void)? = nil) throws(AuditFactsError) -> AuditFacts {
        let tip: ObjectID
        do { tip = try repo.resolveCommit(revision) } catch {
            throw .unresolvableRevision(revision, reason: error.message)
        }
        let reader: ObjectReader
        do { reader = try ObjectReader(repo) } catch { throw .unreadable(error) }
        // The policy is the one committed at the audited revision, then -c.
        let tipConfig: ObjectID?
        do { tipConfig = try reader.rootEntry(".attestconfig", ofCommit: tip) } catch { throw .unreadable(error) }
        let base = try policy(blob: tipConfig, reader: reader, overrides: overrides, displayName: ".attestconfig at \(revision)")

        let history: FolderHistory
        do {
            history = try FolderHistory.walk(repo, from: tip.hex, folder: base.attestationFolder,
                                             policyPaths: [base.allowedSignersFile, base.tsaCAFile, base.controlsFolder].filter { !$0.isEmpty },
                                             progress: progress)
        } catch {
            throw .history(revision: revision, error)
        }
        do {
            var input = try Builder(history: history, base: base, overrides: overrides, sha256: sha256,
                                    files: PolicyFiles(repository: repo, overrides: overrides))
                .build(revision: revision, from: from, to: to)
            input.shallow = history.isShallow
            return AuditFacts(input: input, policy: base, history: history)
        } catch let e as GitError {
            throw .history(revision: revision, e)
        } catch let e as AuditFactsError { throw e } catch let e as PolicyFilesError {
            throw .policyFiles(e)
        } catch { throw .other("\(error)") }
    }

    static func policy(blob: ObjectID?, reader: ObjectReader, overrides: [Policy.Entry], displayName: String) throws(AuditFactsError) -> Policy {
        var contents: Data?
        if let blob {
            do { contents = try reader.data(blob) } catch { throw .malformedConfig(displayName: displayName, reason: error.message) }
        }
        do { return try PolicyFiles.policy(contents: contents, displayName: displayName, overrides: overrides) }
        catch let e as AttestError { throw .invalidPolicy(e) }
        catch let e as GitError { throw .malformedConfig(displayName: displayName, reason: e.message) }
        catch { throw .malformedConfig(displayName: displayName, reason: "\(error)") }
    }

    private final class Builder {
        let history: FolderHistory
        let base: Policy
        let overrides: [Policy.Entry]
        let sha256: (Data) -> String
        var policies: [ObjectID: (Policy, String?)] = [:]
        var details: [Int: CommitDetails] = [:]

        let files: PolicyFiles
        private var times: [Int64]?

        init(history: FolderHistory, base: Policy, overrides: [Policy.Entry], sha256: @escaping (Data) -> String, files: PolicyFiles) {
            self.history = history; self.base = base; self.overrides = overrides; self.sha256 = sha256; self.files = files
        }

        /// When commit `i` entered history at the earliest (`FolderHistory.historyTimes`).
        func historyTime(_ i: Int) -> Int64 {
            if times == nil { times = history.historyTimes() }
            return times![i]
        }

        /// The policy in force for a commit of quarter `q` made on top of `parent`: the parent's,
        /// but a change that entered history after the quarter's window opened applies only
        /// where it is stricter (issue #15: a rule weakened within the window, or after the
        /// sign-off, never helps that quarter). The baseline is the newest commit on the
        /// parent's first-parent line that entered history before the window opened.
        func inForce(parent: Int?, own: Policy, quarter q: Quarter) -> Policy {
            guard let parent else { return own }
            let atParent = policy(at: parent).0
            let opens = Int64(Schedule(policy: atParent).window(for: q).opens.timeIntervalSince1970)
            var b = parent
            while historyTime(b) >= opens, let next = history.parentIndices(of: b).first { b = next }
            let baseline = historyTime(b) < opens ? policy(at: b).0 : atParent
            return SignoffRules.policyInForce(parent: PolicyChanges.tightened(atParent, by: baseline), own: own)
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
                let inForce = self.inForce(parent: history.parentIndices(of: t.index).first, own: own, quarter: q)
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

        /// Commits that changed the policy: a window key of `.attestconfig`, a rule made weaker,
        /// the allowed signers, the TSA CA, the control files (a merge only where it differs
        /// from every parent: otherwise the change is reported on the commit that made it).
        /// Each is placed by its history time, with its `Attest-Policy-Change` trailers.
        func policyChanges() throws -> [PolicyChange] {
            let candidates = history.policyCandidates().sorted { historyTime($0) != historyTime($1) ? historyTime($0) < historyTime($1) : $0 > $1 }
            var out: [PolicyChange] = []
            for c in candidates {
                let parents = history.parentIndices(of: c)
                var keys: [PolicyChange.KeyChange] = []
                let windowKeysOnly = { [self] () -> [PolicyChange.KeyChange] in
                    let mine = windowValues(at: c), theirs = parents.first.map(windowValues(at:)) ?? windowValues(of: Policy())
                    return Policy.windowKeys.compactMap { k in mine[k] == theirs[k] ? nil : PolicyChange.KeyChange(key: k, old: theirs[k] ?? "", new: mine[k] ?? "") }
                }
                if parents.isEmpty {
                    // A root commit: its window keys against the defaults.
                    keys = windowKeysOnly()
                } else {
                    let changes: [PolicyKeyChange]
                    do { changes = try files.changes(history.id(at: c), parents: parents.map { history.id(at: $0) }) } catch {
                        if error.isUnreadable { throw error }
                        // An .attestconfig of the past that does not parse: its window keys as written
                        // (the sign-offs under it say their policy could not be read).
                        changes = windowKeysOnly().map { PolicyKeyChange(key: $0.key, old: $0.old, new: $0.new, weakens: false) }
                    }
                    // Adding or removing a control file changes the scope: always reported.
                    let reported: Set<String> = ["controls.folder"]
                    keys = changes.filter { Policy.windowKeys.contains($0.key) || $0.weakens || reported.contains($0.key) }.map {
                        PolicyChange.KeyChange(key: $0.key, old: $0.old, new: $0.new, weakens: Policy.windowKeys.contains($0.key) ? nil : $0.weakens)
                    }
                }
                guard !keys.isEmpty else { continue }
                let d = try detail(c)
                var change = PolicyChange(commit: d.id, committer: person(d.committer), author: person(d.author),
                                          subject: String(d.message.split(separator: "\n").first ?? ""), changes: keys)
                change.historyTime = Date(timeIntervalSince1970: TimeInterval(historyTime(c)))
                change.latestParentCommitterTime = parents.map { history.committerTime(at: $0) }.max().map { Date(timeIntervalSince1970: TimeInterval($0)) }
                change.named = PolicyChanges.named(in: d.message)
                out.append(change)
            }
            return out
        }

        /// The window keys as committed at commit `i` (without -c, which is the same on both sides).
        func windowValues(at i: Int) -> [String: String] {
            var out = windowValues(of: Policy())
            guard let blob = history.configID(atCommit: i),
                  let data = try? history.reader.data(blob),
                  let entries = try? PolicyFiles.entries(contents: data, displayName: ".attestconfig") else { return out }
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
