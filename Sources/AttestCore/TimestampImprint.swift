import Foundation

/// The exact bytes whose SHA-256 is the message imprint of a sign-off's timestamp token.
///
/// `attest sign` computes them before it creates the commit; `verify`, the hooks and `audit`
/// compute them again from the commit, so the four must agree byte for byte. They bind the
/// token to this sign-off and nothing else: the attestation file's content (its blob id), the
/// whole tree being signed, the history it extends (the parents) and the evidence digest.
///
/// The byte string is UTF-8, one field per line, each line ending in a single `\n`, no
/// trailing spaces, object ids in lowercase hex as git prints them (40 digits, or 64 in a
/// SHA-256 repository):
///
/// ```
/// attest-timestamp-imprint v1
/// quarter 2026-Q4
/// document docs/attestation-log/2026-Q4.md
/// blob 5e1c309dae7f45e0f39b1bf3ac3cd9db12e7d689
/// tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
/// parent 1f2e3d4c5b6a79881726354453627180a9b8c7d6
/// evidence 9c21…(64 hex: the Attest-Evidence trailer)
/// ```
///
/// One `parent` line per parent in commit order; a root commit has none. `document` is the
/// path exactly as in the `Attest-Document` trailer. Then, renewal (docs/tsa.md), one line
/// per file stored under the attestation folder's `.ltv` folder in that tree (the tokens and
/// validation data of earlier sign-offs), sorted by path byte for byte:
///
/// ```
/// renews 3f9a…(64 hex: SHA-256 of the file) docs/attestation-log/.ltv/2026-Q1/5b0c….tst
/// ```
///
/// A sign-off with nothing stored before it has no `renews` line. docs/tsa.md repeats this definition for
/// auditors, with a shell line that rebuilds the bytes from a commit.
public struct TimestampImprint: Sendable, Equatable {
    public static let header = "attest-timestamp-imprint v1"

    public var quarter: Quarter
    public var documentPath: String
    public var documentBlob: String
    public var tree: String
    public var parents: [String]
    public var evidenceSHA256: String
    /// Earlier tokens and validation data this sign-off's token renews.
    public var renews: [Renewed]

    /// One file a token renews: its path in the tree and the SHA-256 (hex) of its content.
    public struct Renewed: Sendable, Equatable {
        public let path: String
        public let sha256: String
        public init(path: String, sha256: String) { self.path = path; self.sha256 = sha256 }
    }

    public init(quarter: Quarter, documentPath: String, documentBlob: String, tree: String, parents: [String],
                evidenceSHA256: String, renews: [Renewed] = []) {
        self.quarter = quarter; self.documentPath = documentPath; self.documentBlob = documentBlob
        self.tree = tree; self.parents = parents; self.evidenceSHA256 = evidenceSHA256
        self.renews = renews.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// The fields as lines, in order (each without its `\n`).
    public var lines: [String] {
        var out = [TimestampImprint.header, "quarter \(quarter)", "document \(documentPath)",
                   "blob \(documentBlob)", "tree \(tree)"]
        for p in parents { out.append("parent \(p)") }
        out.append("evidence \(evidenceSHA256)")
        for r in renews { out.append("renews \(r.sha256) \(r.path)") }
        return out
    }

    /// The bytes to hash with SHA-256. Throws when a field would break the one-line format
    /// (a newline in the path, an object id that is not lowercase hex).
    public func bytes() throws(AttestError) -> Data {
        func isHexID(_ s: String) -> Bool {
            (s.utf8.count == 40 || s.utf8.count == 64) && s.utf8.allSatisfy(Hex.isLowerHex)
        }
        guard !documentPath.isEmpty, !documentPath.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .failed("timestamp imprint: the document path '\(Trailers.oneLine(documentPath))' is empty or holds control characters")
        }
        for (name, id) in [("blob", documentBlob), ("tree", tree)] + parents.map({ ("parent", $0) }) where !isHexID(id) {
            throw .failed("timestamp imprint: \(name) '\(Trailers.oneLine(id))' is not a lowercase hex object id")
        }
        guard Hex.isSHA256(evidenceSHA256) else {
            throw .failed("timestamp imprint: evidence '\(Trailers.oneLine(evidenceSHA256))' is not a SHA-256 in lowercase hex")
        }
        for r in renews {
            guard Hex.isSHA256(r.sha256), !r.path.isEmpty,
                  !r.path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw .failed("timestamp imprint: renewed file '\(Trailers.oneLine(r.path))' has an unusable path or digest")
            }
        }
        return Data(lines.map { $0 + "\n" }.joined().utf8)
    }
}
