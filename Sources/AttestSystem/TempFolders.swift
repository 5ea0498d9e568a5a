import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder that could not be made.
public enum TempFolderError: SystemError, Equatable {
    /// The place (`base`) itself could not be created.
    case cannotCreatePlace(base: String, reason: String)
    /// No folder could be made inside it.
    case cannotCreateFolder(base: String, reason: String)

    public var description: String {
        switch self {
        case .cannotCreatePlace(let base, let reason): return "cannot create the temporary folder \(base): \(reason)"
        case .cannotCreateFolder(let base, let reason): return "cannot create a temporary folder in \(base): \(reason)"
        }
    }
}

/// Where attest keeps the temporary folders a run needs (the commit buffer and key for
/// `ssh-keygen -Y sign`, the index being written, an evidence folder being assembled): one
/// folder per place, `<base>/<label>.<pid>.<XXXXXX>`, mode 0700. A run that is killed leaves
/// its folder behind; the next run removes every folder whose process is gone (`sweep`), so
/// leftovers never accumulate. The places (docs/sign.md, docs/collect.md):
///   - `<git dir>/attest-tmp/` for sign (the index must be written on the git dir's filesystem);
///   - `<evidence root>/.attest-tmp/` for collect (renamed into place, so the same filesystem).
public enum TempFolders {
    /// The repository's place: `<git dir>/attest-tmp`.
    public static func repositoryBase(gitDir: String) -> String { gitDir + "/attest-tmp" }
    /// The evidence root's place: `<root>/.attest-tmp`.
    public static func evidenceBase(root: String) -> String { root + "/.attest-tmp" }

    /// Creates `<base>/<label>.<pid>.<XXXXXX>` (0700), creating `base` (0700) when needed.
    /// `label` must not contain a dot.
    public static func make(in base: String, label: String) throws(TempFolderError) -> String {
        if mkdir(base, 0o700) != 0 && errno != EEXIST {
            throw .cannotCreatePlace(base: base, reason: reason())
        }
        var template = Array("\(base)/\(label).\(getpid()).XXXXXX".utf8CString)
        var made = mkdtemp(&template)
        if made == nil && errno == ENOENT { // another run removed the empty base meanwhile
            mkdir(base, 0o700)
            template = Array("\(base)/\(label).\(getpid()).XXXXXX".utf8CString)
            made = mkdtemp(&template)
        }
        guard let made else {
            throw .cannotCreateFolder(base: base, reason: reason())
        }
        let path = String(cString: made)
        chmod(path, 0o700)
        return path
    }

    /// Removes the folders in `base` left by runs that are no longer running (their pid is
    /// gone). Returns the names removed.
    @discardableResult
    public static func sweep(_ base: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
        var removed: [String] = []
        for name in names {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let pid = pid_t(parts[1]), pid > 0 else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            if (try? FileManager.default.removeItem(atPath: base + "/" + name)) != nil { removed.append(name) }
        }
        return removed
    }
}
