import Foundation
import AttestCore
import AttestGit
import AttestCrypto

/// `attest sign`'s side of trusted time (docs/tsa.md): before the commit exists, stamp the
/// imprint of the tree it will have and check the token. Whether the token's time fits the
/// window is the judge's (`SignoffRules`, rules `window-timestamp` and `late`), run by sign on the
/// commit it is about to write.
struct TimestampSigning {
    let repository: Repository
    /// The commit the sign-off goes on top of.
    let head: ObjectID
    let policy: Policy
    /// `--tsa URL`, overriding `tsa.url`.
    let urlOverride: String?

    /// The TSA's URL, or nil when none is configured.
    var url: String? {
        let u = (urlOverride ?? policy.tsaURL).trimmingCharacters(in: .whitespaces)
        return u.isEmpty ? nil : u
    }

    /// The token for this sign-off, base64 DER for the `Attest-Timestamp` trailer, with what it
    /// says; nil when no TSA is configured and none is required, or when the TSA fails and none
    /// is required (a warning then goes to `err`). Throws, and nothing is written, when a token
    /// is required (`policy.tsaRequired`, the policy that judges the sign-off) and cannot be had.
    func obtain(quarter: Quarter, documentPath: String, contents: Data, evidenceSHA256: String,
                err: Output) throws(AttestError) -> (trailer: String, stamp: TimeStamp)? {
        let headPolicy = try TrustedTime.policy(at: head, repository: repository)
        let required = policy.tsaRequired
        guard let url else {
            if required {
                throw .failed("[untrusted-time] tsa.required is true but no TSA is configured; to fix: set tsa.url and tsa.caFile in .attestconfig, or pass --tsa URL (docs/tsa.md); nothing was signed")
            }
            return nil
        }
        // Nothing to sign (the file is HEAD's): the commit step refuses; do not ask the TSA.
        if let ids = try? repository.signoffTree(head: head, path: documentPath, contents: contents),
           (try? repository.blobID(at: documentPath, inCommit: head)) == ids.blob { return nil }
        do {
            let tsa = try authority(url: url, headPolicy: headPolicy)
            let stamp = try tsa.stamp(imprint: try imprint(quarter: quarter, documentPath: documentPath, contents: contents,
                                                          evidenceSHA256: evidenceSHA256))
            return (stamp.token.base64EncodedString(), stamp)
        } catch let e as TimeStampError {
            guard required else {
                err.line("warning: \(e.description); signing without a trusted timestamp (tsa.required is false)")
                return nil
            }
            throw .failed("\(e.description); nothing was signed: tsa.required is true (rule untrusted-time). Try again when the TSA answers, or use another TSA with --tsa URL (its CA must be tsa.caFile)")
        } catch let e as AttestError {
            throw e
        } catch {
            throw .environment("trusted time: \(error)")
        }
    }

    /// The TSA with the CA file named by `tsa.caFile`, read from HEAD's tree: the sign-off
    /// commit will carry that same file, and verify reads it from there.
    func authority(url: String, headPolicy: Policy) throws -> TimeStampAuthority {
        let caPath = headPolicy.tsaCAFile.isEmpty ? policy.tsaCAFile : headPolicy.tsaCAFile
        guard !caPath.isEmpty else {
            throw AttestError.failed("tsa.caFile is not set: commit the TSA's CA certificate (PEM) in the repository, name it in .attestconfig (tsa.caFile), and sign again (docs/tsa.md); nothing was signed")
        }
        let pem: Data?
        do { pem = try repository.blob(at: caPath, inCommit: head) } catch {
            throw AttestError.environment("cannot read \(caPath) in HEAD: \(error.message)")
        }
        guard let pem else {
            throw AttestError.failed("the TSA CA file \(caPath) (tsa.caFile) is not committed in HEAD (\(head.short)); commit it before signing, since verify reads it from the sign-off commit; nothing was signed")
        }
        do { return try TimeStampAuthority(url: url, caPEM: pem, caName: "\(caPath)@\(head.short)") } catch {
            throw AttestError.usage("tsa.url / --tsa '\(url)': \(error.description)")
        }
    }

    /// SHA-256 of the imprint bytes of the tree the sign-off commit will have.
    func imprint(quarter: Quarter, documentPath: String, contents: Data, evidenceSHA256: String) throws(AttestError) -> [UInt8] {
        let ids: (tree: ObjectID, blob: ObjectID, executable: Bool)
        do { ids = try repository.signoffTree(head: head, path: documentPath, contents: contents) } catch {
            throw .environment("cannot build the sign-off tree: \(error.message)")
        }
        let imprint = TimestampImprint(quarter: quarter, documentPath: documentPath, documentBlob: ids.blob.hex,
                                       tree: ids.tree.hex, parents: [head.hex], evidenceSHA256: evidenceSHA256)
        do { return try SHA256.digest(of: try imprint.bytes()) } catch let e as AttestError { throw e } catch {
            throw .environment("SHA-256 of the timestamp imprint: \(error)")
        }
    }
}
