import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing to an open file descriptor, as every atomic writer of attest does it (AtomicFile, the
/// evidence folder, the sign-off's index lock).
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

    /// Flushes a folder's entries (a file created or renamed in it) to disk; best effort: a
    /// folder that cannot be opened is left as it is.
    public static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
