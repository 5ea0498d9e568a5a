import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a file attest reads was refused; `what` names the file as the user knows it ("the
/// attestation file", "--pgaudit-log").
public enum RegularFileError: SystemError, Equatable {
    /// `open` failed (the file is missing, unreadable, …): `strerror`'s reason.
    case cannotOpen(what: String, path: String, reason: String)
    /// `fstat` or `read` failed after the open.
    case cannotRead(what: String, path: String, reason: String)
    /// A symbolic link where the caller reads only the file itself.
    case symbolicLink(what: String, path: String)
    /// A FIFO, a device, a directory, a socket: `kind` says which ("a FIFO (named pipe)").
    case notARegularFile(what: String, path: String, kind: String)
    /// More than `limit` bytes (`size`: as many as were seen).
    case tooLarge(what: String, path: String, size: Int, limit: Int)

    public var path: String {
        switch self {
        case .cannotOpen(_, let p, _), .cannotRead(_, let p, _), .symbolicLink(_, let p),
             .notARegularFile(_, let p, _), .tooLarge(_, let p, _, _): return p
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let what, let path, let reason): return "cannot open \(what) \(path): \(reason)"
        case .cannotRead(let what, let path, let reason): return "cannot read \(what) \(path): \(reason)"
        case .symbolicLink(let what, let path):
            return "\(what) \(path) is a symbolic link; attest reads it only as a regular file: replace the link with the file itself"
        case .notARegularFile(let what, let path, let kind):
            return "\(what) \(path) is \(kind), not a regular file; attest reads only regular files: give the path of a file"
        case .tooLarge(let what, let path, let size, let limit):
            return "\(what) \(path) has \(size) bytes, more than the \(RegularFile.bytes(limit)) attest reads of it (docs/limits.md)"
        }
    }
}

/// The one way attest opens a file it reads: only a regular file, and never more than a cap.
///
/// A FIFO, a device (`/dev/zero`), a directory or a socket given where a file is expected would
/// make a plain `open` + `read` block or run without end; here it is refused at once with a
/// message that says what the path is. The open itself does not block (`O_NONBLOCK`, cleared
/// once the path is known to be a regular file), so a FIFO without a writer cannot hang it.
/// The caps are listed in docs/limits.md.
///
/// ```swift
/// let text = try RegularFile.read(path, what: "the evidence manifest", maxBytes: RegularFile.Limit.manifest)
/// ```
public enum RegularFile {
    /// The caps, one place (docs/limits.md).
    public enum Limit {
        /// The attestation file, `docs/attestation-log/YYYY-QN.md` (on disk and as a committed blob).
        public static let attestationFile = 1 << 20
        /// `SHA256SUMS` of an evidence folder.
        public static let manifest = 1 << 20
        /// Small text inputs: templates, recipients, allowed signers, policy files, results.json.
        public static let text = 4 << 20
    }

    /// What a path is, for messages: "a FIFO (named pipe)", "a directory", ….
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Opens `path` for reading when it is a regular file (a symbolic link to one is followed
    /// unless `followSymlinks` is false) and at most `maxBytes` long. Returns the descriptor,
    /// which the caller closes, and the file's size. nil when the path does not exist and
    /// `missingIsNil`; every other failure is an error naming `what` and the path.
    public static func open(_ path: String, what: String, maxBytes: Int? = nil, followSymlinks: Bool = true,
                            missingIsNil: Bool = false) throws(RegularFileError) -> (fd: Int32, size: Int)? {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT && missingIsNil { return nil }
            if e == ELOOP && !followSymlinks {
                throw .symbolicLink(what: what, path: path)
            }
            throw .cannotOpen(what: what, path: path, reason: reason(e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno; close(fd)
            throw .cannotRead(what: what, path: path, reason: reason(e))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .notARegularFile(what: what, path: path, kind: kind(st.st_mode))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let size = Int(st.st_size)
        if let maxBytes, size > maxBytes {
            close(fd)
            throw .tooLarge(what: what, path: path, size: size, limit: maxBytes)
        }
        return (fd, size)
    }

    /// The whole file, refused when it is not a regular file or holds more than `maxBytes`
    /// (checked on the size and again while reading, for a file that grows). nil only when the
    /// path does not exist and `missingIsNil`.
    public static func read(_ path: String, what: String, maxBytes: Int, followSymlinks: Bool = true,
                            missingIsNil: Bool = false) throws(RegularFileError) -> Data? {
        guard let (fd, size) = try open(path, what: what, maxBytes: maxBytes, followSymlinks: followSymlinks, missingIsNil: missingIsNil) else { return nil }
        defer { close(fd) }
        var out = Data(count: min(size, maxBytes) + 1)
        var used = 0
        while true {
            if used == out.count {
                guard out.count <= maxBytes else { throw .tooLarge(what: what, path: path, size: used, limit: maxBytes) }
                out.count = min(out.count * 2, maxBytes + 1)
            }
            let n = out.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress! + used, b.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(what: what, path: path, reason: reason())
            }
            if n == 0 { break }
            used += n
        }
        guard used <= maxBytes else { throw .tooLarge(what: what, path: path, size: used, limit: maxBytes) }
        out.count = used
        return out
    }

    /// `read`, for a file that must exist.
    public static func contents(_ path: String, what: String, maxBytes: Int, followSymlinks: Bool = true) throws(RegularFileError) -> Data {
        try read(path, what: what, maxBytes: maxBytes, followSymlinks: followSymlinks)!
    }

    /// `1 MiB`, `64 KiB`, `512 bytes`.
    public static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }
}
