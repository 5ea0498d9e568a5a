import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestCrypto

/// Where one quarter's files are, for `render` and `sign`: the repository root, the attestation
/// file (`<attest.folder>/YYYY-QN.md`), the evidence folder (`--evidence` or
/// `<attest.evidenceRoot>/YYYY-QN`), and the window under the policy.
struct QuarterFiles {
    let repository: AttestGit.Repository
    let root: String
    let policy: Policy
    let quarter: Quarter
    let window: Window
    /// The attestation file, relative to the root (the path in trailers and messages).
    let documentPath: String
    let evidenceFolder: String

    var documentFullPath: String { root + "/" + documentPath }

    /// `quarter` when given; otherwise the quarter whose window is open now, or else the last
    /// quarter whose window has closed.
    init(context: Context, quarter: Quarter?, evidence: String?) throws(AttestError) {
        repository = try context.repository()
        guard let root = repository.workdir else { throw .environment("this is a bare repository; run attest in a working tree") }
        self.root = root
        policy = try context.policy(requireRepository: true)
        let schedule = Schedule(policy: policy)
        let q = quarter ?? (schedule.openWindow(at: context.now) ?? schedule.previousWindow(before: context.now)).quarter
        self.quarter = q
        window = schedule.window(for: q)
        documentPath = policy.attestationFolder + "/\(q).md"
        if let evidence {
            evidenceFolder = Paths.resolve(evidence, against: context.workingDirectory)
        } else {
            evidenceFolder = root + "/" + policy.evidenceRoot + "/\(q)"
        }
    }

    /// SHA-256 of a file, lowercase hex; an environment error naming the file when it cannot be read.
    static func sha256(ofFile path: String) throws(AttestError) -> String {
        do { return try SHA256.hex(ofFile: path) } catch {
            throw .environment("cannot read \(path): \(error)")
        }
    }

    static func sha256(_ data: Data) throws(AttestError) -> String {
        do { return try SHA256.hex(of: data) } catch { throw .environment("SHA-256 failed: \(error)") }
    }

    /// Writes a file of the working tree (the attestation file, `.gitignore`, a disposition
    /// record): AtomicFile, mode 0644, its folder created when missing; never half-written.
    static func writeAtomically(_ text: String, to path: String) throws(AttestError) {
        do { try AtomicFile(mode: 0o644, createsFolder: true).write(text, to: path) } catch { throw AttestError(error) }
    }
}

/// Encodes a JSON object for `--json` output, keys sorted.
enum JSONText {
    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
