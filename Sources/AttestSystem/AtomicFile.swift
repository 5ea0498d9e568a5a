import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be written; the old file, if any, is as it was and no temporary file is left.
public enum AtomicFileError: SystemError, Equatable {
    /// The folder the file goes into could not be created.
    case cannotCreateFolder(path: String, reason: String)
    /// No temporary file could be created beside the target.
    case cannotCreate(path: String, reason: String)
    /// Writing, setting the mode of or syncing the temporary file failed.
    case cannotWrite(path: String, reason: String)
    /// The rename onto the target failed.
    case cannotReplace(path: String, reason: String)
    /// The target is not a regular file (a device, a pipe) and cannot be opened to write through it.
    case cannotOpenSpecialFile(path: String)

    public var path: String {
        switch self {
        case .cannotCreateFolder(let p, _), .cannotCreate(let p, _), .cannotWrite(let p, _), .cannotReplace(let p, _),
             .cannotOpenSpecialFile(let p): return p
        }
    }

    /// `strerror`'s (or Foundation's) reason, without the path.
    public var reason: String {
        switch self {
        case .cannotCreateFolder(_, let r), .cannotCreate(_, let r), .cannotWrite(_, let r), .cannotReplace(_, let r): return r
        case .cannotOpenSpecialFile: return "it is not a regular file and cannot be opened"
        }
    }

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason):
            return "cannot write \(path): \(reason); check the folder exists and is writable"
        case .cannotCreateFolder(let path, let reason), .cannotWrite(let path, let reason), .cannotReplace(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .cannotOpenSpecialFile(let path):
            return "cannot write \(path): it is not a regular file and cannot be opened"
        }
    }
}

/// The one way attest writes a whole file: a temporary file in the same folder
/// (`.<name>.<random>.tmp`, created exclusively, never through a symbolic link), the bytes,
/// the mode, `fsync`, then `rename` onto the target and a sync of the folder. A reader sees the
/// old file or the new one, never half of one; on any error the temporary file is removed and
/// the old file is untouched.
///
/// ```swift
/// try AtomicFile(mode: 0o755, createsFolder: true).write(Data(shim.utf8), to: hookPath)
/// ```
public struct AtomicFile: Sendable {
    /// The permissions of the new file.
    public var mode: mode_t
    /// When true, the umask takes permissions away from `mode`, as `open(2)` does (a report:
    /// 0644 under umask 000, 0600 under umask 077); when false the file gets exactly `mode`.
    public var umasked: Bool
    /// Creates the folder (and its parents) when it does not exist.
    public var createsFolder: Bool
    /// A target that exists and is not a regular file (`/dev/stdout`, a FIFO, a symbolic link)
    /// is written through instead of replaced; such a write is not atomic.
    public var writesThroughSpecialFiles: Bool

    public init(mode: mode_t, umasked: Bool = false, createsFolder: Bool = false, writesThroughSpecialFiles: Bool = false) {
        self.mode = mode
        self.umasked = umasked
        self.createsFolder = createsFolder
        self.writesThroughSpecialFiles = writesThroughSpecialFiles
    }

    public func write(_ text: String, to path: String) throws(AtomicFileError) { try write(Data(text.utf8), to: path) }

    public func write(_ bytes: Data, to path: String) throws(AtomicFileError) {
        if writesThroughSpecialFiles {
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
                guard let h = FileHandle(forWritingAtPath: path) else { throw .cannotOpenSpecialFile(path: path) }
                defer { try? h.close() }
                do { try h.write(contentsOf: bytes) } catch { throw .cannotWrite(path: path, reason: error.localizedDescription) }
                return
            }
        }
        let name = (path as NSString).lastPathComponent
        let parent = (path as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        if createsFolder {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw .cannotCreateFolder(path: path, reason: error.localizedDescription)
            }
        }
        let tmp = dir + "/.\(name).\(UUID().uuidString.prefix(8)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .cannotCreate(path: path, reason: reason()) }
        var failure: String?
        if !Descriptor.writeAll(fd, bytes) { failure = reason() }
        if failure == nil, !umasked, fchmod(fd, mode) != 0 { failure = reason() }
        if failure == nil, fsync(fd) != 0 { failure = reason() }
        if close(fd) != 0, failure == nil { failure = reason() }
        if let failure {
            unlink(tmp)
            throw .cannotWrite(path: path, reason: failure)
        }
        guard rename(tmp, path) == 0 else {
            let e = reason()
            unlink(tmp)
            throw .cannotReplace(path: path, reason: e)
        }
        Descriptor.syncFolder(dir)
    }
}
