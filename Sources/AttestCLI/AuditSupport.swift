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
enum AtomicFile {
    static func write(_ text: String, to path: String) throws(AttestError) { try write(Data(text.utf8), to: path) }

    static func write(_ bytes: Data, to path: String) throws(AttestError) {
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
        do {
            try bytes.write(to: URL(fileURLWithPath: tmp))
            guard rename(tmp, path) == 0 else {
                let e = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: tmp)
                throw AttestError.environment("cannot write \(path): \(e)")
            }
        } catch let e as AttestError { throw e } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw .environment("cannot write \(path): \(error.localizedDescription); check the folder exists and is writable")
        }
    }
}
