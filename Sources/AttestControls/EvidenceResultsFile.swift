import Foundation
import AttestCore
import AttestSystem

extension EvidenceResults {
    /// Reads `results.json` (a regular file, at most `RegularFile.Limit.text`), naming the file
    /// in every error; the decoding is AttestCore's (`decode(_:path:)`).
    public static func load(from url: URL) throws(AttestError) -> EvidenceResults {
        let data: Data?
        do { data = try RegularFile.read(url.path, what: "the evidence results", maxBytes: RegularFile.Limit.text, missingIsNil: true) } catch {
            throw .environment(error.description)
        }
        guard let data else {
            throw .environment("cannot read \(url.path): it does not exist; run 'attest collect' first or pass --evidence DIR")
        }
        return try decode(data, path: url.path)
    }
}
