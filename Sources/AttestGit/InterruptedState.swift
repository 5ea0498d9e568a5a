import Foundation
import AttestCore
internal import CGit2

/// What a killed git command (or a killed `attest sign`) leaves behind, as `sign`, `status` and
/// `verify` see it: a stale lock file (`index.lock`, `refs/heads/<branch>.lock`) and signed
/// files whose index entry is behind `HEAD` (a crash between the branch's move and the index's,
/// after which `git commit -a` would undo the sign-off). `command` is the one command that mends
/// all of it (docs/sign.md, "After a crash").
public struct InterruptedState: Sendable, Equatable {
    /// Lock files present, absolute paths.
    public let locks: [String]
    /// Signed files whose index entry is missing, or is an older version while the working
    /// file is `HEAD`'s (relative to the working tree).
    public let behind: [String]
    /// Of `behind`, those missing from the working tree too: `git checkout HEAD -- PATH`.
    public let missing: [String]
    /// The branch HEAD is on and its commit, to name in the message.
    public let branch: String?
    public let head: ObjectID?
    /// The working tree's root, for the command's paths.
    let workdir: String

    public var isEmpty: Bool { locks.isEmpty && behind.isEmpty }

    /// The one command that mends it, with paths relative to `cwd` where they are inside it.
    public func command(cwd: String = FileManager.default.currentDirectoryPath) -> String {
        var parts: [String] = []
        if !locks.isEmpty { parts.append("rm -f " + locks.map { Self.shown($0, cwd: cwd) }.joined(separator: " ")) }
        let git = Self.standardized(cwd) == Self.standardized(workdir) ? "git" : "git -C \(Self.quoted(workdir))"
        let reset = behind.filter { !missing.contains($0) }
        if !reset.isEmpty { parts.append("\(git) reset -q -- " + reset.map(Self.quoted).joined(separator: " ")) }
        if !missing.isEmpty { parts.append("\(git) checkout HEAD -- " + missing.map(Self.quoted).joined(separator: " ")) }
        return parts.joined(separator: " && ")
    }

    /// What is wrong and the command, in one paragraph.
    public func message(cwd: String = FileManager.default.currentDirectoryPath) -> String {
        problem(cwd: cwd) + ". If no git command is running, mend it with: \(command(cwd: cwd))"
    }

    /// What is wrong, without the command.
    public func problem(cwd: String = FileManager.default.currentDirectoryPath) -> String {
        var what: [String] = []
        let at = head.map { " (\(branch.map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 } ?? "HEAD") is at \($0.short))" } ?? ""
        if !locks.isEmpty {
            let names = locks.map { Self.shown($0, cwd: cwd) }
            what.append("\(names.joined(separator: " and ")) \(names.count == 1 ? "exists" : "exist"): a git command is running, or one (or attest sign) was killed\(at)")
        }
        if !behind.isEmpty {
            what.append("the index is behind HEAD for \(behind.joined(separator: ", ")) (a sign-off whose index update was interrupted); 'git commit -a' would undo it")
        }
        return what.joined(separator: "; ")
    }

    static func shown(_ path: String, cwd: String) -> String {
        let c = standardized(cwd)
        let p = standardized(path)
        return quoted(p.hasPrefix(c + "/") ? String(p.dropFirst(c.count + 1)) : p)
    }

    static func standardized(_ path: String) -> String {
        var s = ((path as NSString).resolvingSymlinksInPath as NSString).standardizingPath
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }

    static func quoted(_ s: String) -> String {
        s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+:@".contains($0) }) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Repository {
    /// The locks a crash leaves, and which of `watched` (signed files, relative to the working
    /// tree) have an index entry behind `HEAD`. When `HEAD` changes one of `watched`, every path
    /// it changes is watched (a sign-off's validation files). Nil for a bare repository.
    public func interruptedState(watching watched: [String]) -> InterruptedState? {
        guard !isBare, let workdir else { return nil }
        let branch = headBranch
        var locks = [gitDir + "/index.lock"]
        if let branch { locks.append(commonDir + "/" + branch + ".lock") }
        locks = locks.filter { path in var st = stat(); return lstat(path, &st) == 0 }
        let head = headCommit
        var behind: [String] = [], missing: [String] = []
        if let head {
            var paths = watched
            if let changed = try? changedPaths(of: head), changed.contains(where: watched.contains) {
                paths += changed.filter { !paths.contains($0) }
            }
            for path in paths {
                guard let committed = (try? blobID(at: path, inCommit: head)) ?? nil else { continue }
                switch indexState(path: path, committed: committed, workdir: workdir) {
                case .current: break
                case .behind: behind.append(path)
                case .missing: behind.append(path); missing.append(path)
                }
            }
        }
        return InterruptedState(locks: locks, behind: behind, missing: missing, branch: branch, head: head, workdir: workdir)
    }

    private enum IndexEntryState { case current, behind, missing }

    /// The index entry of `path` against `HEAD`'s blob: current when it is that blob, or when
    /// both the entry and the working file differ from it (an edit staged on purpose).
    private func indexState(path: String, committed: ObjectID, workdir: String) -> IndexEntryState {
        var index: OpaquePointer?
        guard git_repository_index(&index, pointer) == 0 else { return .current }
        defer { git_index_free(index) }
        guard git_index_read(index, 1) == 0 else { return .current }
        let entry = git_index_get_bypath(index, path, 0)
        if let entry, ObjectID(entry.pointee.id) == committed { return .current }
        var st = stat()
        guard lstat(workdir + "/" + path, &st) == 0 else { return entry == nil ? .missing : .current }
        var worked = git_oid()
        guard git_repository_hashfile(&worked, pointer, workdir + "/" + path, GIT_OBJECT_BLOB, nil) == 0 else { return .current }
        if entry == nil { return .behind }
        return ObjectID(worked) == committed ? .behind : .current
    }
}
