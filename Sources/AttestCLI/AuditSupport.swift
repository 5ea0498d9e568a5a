import Foundation
import AttestCore
import AttestCrypto

/// A one-line progress counter on a terminal's stderr, rewritten in place.
final class ProgressLine {
    let out: Output
    init(_ out: Output) { self.out = out }
    func update(_ s: String) { out.write("\r\u{1B}[K" + s) }
    func finish() { out.write("\r\u{1B}[K") }
}

/// Recomputes the digests of evidence folders for `--evidence-root`.
enum EvidenceScan {
    static func digests(root: String, quarters: [Quarter]) throws(AttestError) -> [Quarter: EvidenceDigests] {
        var out: [Quarter: EvidenceDigests] = [:]
        let fm = FileManager.default
        for q in quarters {
            let folder = root + "/" + q.description
            var files: [String: String] = [:]
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
                for name in names.sorted() {
                    let p = folder + "/" + name
                    guard let attrs = try? fm.attributesOfItem(atPath: p), attrs[.type] as? FileAttributeType == .typeRegular else { continue }
                    do { files[name] = try SHA256.hex(ofFile: p) } catch {
                        throw .environment("cannot read evidence file \(p): \(error.description)")
                    }
                }
            }
            out[q] = EvidenceDigests(folder: folder, manifestSHA256: files["SHA256SUMS"], files: files)
        }
        return out
    }
}

/// Writes a file through a temporary file in the same folder and a rename: never half-written.
/// The file is created with `mode` (0644 for a report; 0600 for one holding personal data,
/// docs/audit.md and docs/export.md), whatever the umask lets through beyond it: the umask can
/// only take permissions away (under umask 000 an audit report is 0644, never 0666).
enum AtomicFile {
    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(AttestError) { try write(Data(text.utf8), to: path, mode: mode) }

    static func write(_ bytes: Data, to path: String, mode: mode_t = 0o644) throws(AttestError) {
        // Not a regular file (/dev/null, /dev/stdout, a pipe): write through it, never replace it.
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            guard let h = FileHandle(forWritingAtPath: path) else { throw .environment("cannot write \(path): it is not a regular file and cannot be opened") }
            defer { try? h.close() }
            do { try h.write(contentsOf: bytes) } catch { throw .environment("cannot write \(path): \(error.localizedDescription)") }
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString.prefix(8)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw .environment("cannot write \(path): \(String(cString: strerror(errno))); check the folder exists and is writable")
        }
        let ok: Bool = Descriptor.writeAll(fd, bytes)
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok else {
            unlink(tmp)
            throw .environment("cannot write \(path): \(reason)")
        }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw .environment("cannot write \(path): \(e)")
        }
    }
}
