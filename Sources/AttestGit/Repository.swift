import Foundation
import AttestSystem
internal import CGit2

/// A git repository opened through libgit2. The handle is owned here and freed in `deinit`.
public final class Repository: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Opened from `GIT_DIR`, `GIT_OBJECT_DIRECTORY`, … (a hook), rather than from a path.
    let fromEnvironment: Bool

    init(pointer: OpaquePointer, fromEnvironment: Bool = false) { self.pointer = pointer; self.fromEnvironment = fromEnvironment }

    private let packLock = NSLock()
    private var mappedPacks: [PackReader.Pack]?
    /// The repository's pack files, mapped once (on first use) and shared by every reader of its
    /// objects, on whichever thread: each `ObjectReader` has its own `PackReader` over them.
    var packFiles: [PackReader.Pack] {
        packLock.lock(); defer { packLock.unlock() }
        if let p = mappedPacks { return p }
        let p = PackReader.open(objectDirectories)
        mappedPacks = p
        return p
    }
    deinit { git_repository_free(pointer) }

    /// Opens the repository that contains `path`, searching upwards as `git` does.
    public static func discover(from path: String = FileManager.default.currentDirectoryPath) throws(GitError) -> Repository {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, path, 0, nil), "open repository at \(path)")
        return Repository(pointer: repo!)
    }

    /// Opens the repository the way a hook must: from `GIT_DIR`, `GIT_OBJECT_DIRECTORY` and
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, so objects in a receive quarantine are seen.
    public static func openFromEnvironment() throws(GitError) -> Repository {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil),
                  "open repository from the environment (GIT_DIR=\(ProcessInfo.processInfo.environment["GIT_DIR"] ?? "unset"))")
        return Repository(pointer: repo!, fromEnvironment: true)
    }

    /// A second handle on the same repository, opened the same way, for another thread:
    /// libgit2 handles are not shared between threads.
    func reopened() throws(GitError) -> Repository {
        let r = fromEnvironment ? try Repository.openFromEnvironment() : try Repository.open(gitDir: gitDir)
        r.mappedPacks = packFiles
        return r
    }

    /// The working tree's root, with a trailing slash removed; nil for a bare repository.
    public var workdir: String? {
        guard let p = git_repository_workdir(pointer) else { return nil }
        var s = String(cString: p)
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// The `.git` folder (or the bare repository itself), without a trailing slash.
    public var gitDir: String {
        var s = String(cString: git_repository_path(pointer))
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }

    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }
}

extension Repository {
    /// libgit2 re-hashes every object it reads unless told otherwise. `git rev-list` does
    /// not; the push hook's fast path turns it off while it only compares ids, and back on
    /// before reading anything it judges. Process-wide.
    public static func setStrictHashVerification(_ enabled: Bool) {
        _ = libgit2Initialized
        _ = attest_git_opt_strict_hash_verification(enabled ? 1 : 0)
    }

    /// libgit2's object cache; the fast path reads each object once, so caching it only costs
    /// memory and the time to free it. Process-wide.
    public static func setObjectCaching(_ enabled: Bool) {
        _ = libgit2Initialized
        _ = attest_git_opt_enable_caching(enabled ? 1 : 0)
    }
}

extension Repository {
    /// Where the repository's objects are, as git finds them: `GIT_OBJECT_DIRECTORY` (for a hook
    /// in a receive quarantine) or `objects` in the common folder, then the directories named in
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES` and in each one's `info/alternates`, five levels deep
    /// as git follows them. The list is only where to look for pack files first: whatever is
    /// not found in them (loose objects, quoted paths) is read through libgit2.
    var objectDirectories: [String] {
        func env(_ name: String) -> String? {
            guard fromEnvironment, let v = getenv(name) else { return nil }
            let s = String(cString: v)
            return s.isEmpty ? nil : s
        }
        return Repository.objectDirectories(primary: env("GIT_OBJECT_DIRECTORY") ?? commonDir + "/objects",
                                            alternates: env("GIT_ALTERNATE_OBJECT_DIRECTORIES"))
    }

    /// The object directories from a primary one and a `GIT_ALTERNATE_OBJECT_DIRECTORIES` value.
    static func objectDirectories(primary: String, alternates: String?) -> [String] {
        var dirs: [String] = []
        var queue: [(path: String, depth: Int)] = [(primary, 0)]
        for alt in alternates?.split(separator: ":") ?? [] where !alt.hasPrefix("\"") {
            queue.append((String(alt), 1))
        }
        while !queue.isEmpty {
            let (path, depth) = queue.removeFirst()
            guard !dirs.contains(path) else { continue }
            dirs.append(path)
            guard depth < 5, let list = try? String(contentsOfFile: path + "/info/alternates", encoding: .utf8) else { continue }
            for line in list.split(separator: "\n") where !line.isEmpty && !line.hasPrefix("#") && !line.hasPrefix("\"") {
                queue.append((Paths.resolve(String(line), against: path), depth + 1))
            }
        }
        return dirs
    }

    /// The folder shared by all worktrees (`.git`, or the bare repository), without a trailing slash.
    var commonDir: String {
        var s = String(cString: git_repository_commondir(pointer))
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }
}

extension Repository {
    /// Opens the repository at a `.git` folder (or a bare repository) exactly, without searching.
    static func open(gitDir: String) throws(GitError) -> Repository {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil), "open repository at \(gitDir)")
        return Repository(pointer: repo!)
    }
}
