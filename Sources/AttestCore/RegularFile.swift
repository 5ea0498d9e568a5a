import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    /// `missingIsNil`; every other failure is an environment error naming `what` and the path.
    public static func open(_ path: String, what: String, maxBytes: Int? = nil, followSymlinks: Bool = true,
                            missingIsNil: Bool = false) throws(AttestError) -> (fd: Int32, size: Int)? {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT && missingIsNil { return nil }
            if e == ELOOP && !followSymlinks {
                throw .environment("\(what) \(path) is a symbolic link; attest reads it only as a regular file: replace the link with the file itself")
            }
            throw .environment("cannot open \(what) \(path): \(String(cString: strerror(e)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno; close(fd)
            throw .environment("cannot read \(what) \(path): \(String(cString: strerror(e)))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .environment("\(what) \(path) is \(kind(st.st_mode)), not a regular file; attest reads only regular files: give the path of a file")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let size = Int(st.st_size)
        if let maxBytes, size > maxBytes {
            close(fd)
            throw tooLarge(what, path, size: size, maxBytes: maxBytes)
        }
        return (fd, size)
    }

    /// The whole file, refused when it is not a regular file or holds more than `maxBytes`
    /// (checked on the size and again while reading, for a file that grows). nil only when the
    /// path does not exist and `missingIsNil`.
    public static func read(_ path: String, what: String, maxBytes: Int, followSymlinks: Bool = true,
                            missingIsNil: Bool = false) throws(AttestError) -> Data? {
        guard let (fd, size) = try open(path, what: what, maxBytes: maxBytes, followSymlinks: followSymlinks, missingIsNil: missingIsNil) else { return nil }
        defer { close(fd) }
        var out = Data(count: min(size, maxBytes) + 1)
        var used = 0
        while true {
            if used == out.count {
                guard out.count <= maxBytes else { throw tooLarge(what, path, size: used, maxBytes: maxBytes) }
                out.count = min(out.count * 2, maxBytes + 1)
            }
            let n = out.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress! + used, b.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .environment("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
        }
        guard used <= maxBytes else { throw tooLarge(what, path, size: used, maxBytes: maxBytes) }
        out.count = used
        return out
    }

    /// `read`, for a file that must exist.
    public static func contents(_ path: String, what: String, maxBytes: Int, followSymlinks: Bool = true) throws(AttestError) -> Data {
        try read(path, what: what, maxBytes: maxBytes, followSymlinks: followSymlinks)!
    }

    static func tooLarge(_ what: String, _ path: String, size: Int, maxBytes: Int) -> AttestError {
        .environment("\(what) \(path) has \(size) bytes, more than the \(bytes(maxBytes)) attest reads of it (docs/limits.md)")
    }

    /// `1 MiB`, `64 KiB`, `512 bytes`.
    public static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }
}

/// Writing to an open file descriptor, as every atomic writer of attest does it (the report
/// writer, the evidence folder, the sign-off's index lock).
public enum Descriptor {
    /// Writes every byte of `bytes` to `fd`, retrying short writes and `EINTR`; false on any other
    /// error (`errno` says which).
    public static func writeAll(_ fd: Int32, _ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
    }
}
