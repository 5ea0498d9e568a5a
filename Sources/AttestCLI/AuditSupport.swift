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
