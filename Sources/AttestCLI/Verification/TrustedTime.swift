import Foundation
import AttestCore
import AttestGit
import AttestCrypto

/// The trusted time of one sign-off commit: its `Attest-Timestamp` token checked offline
/// against the TSA CA file named by the policy *at that commit* (`tsa.caFile` in its
/// `.attestconfig`, the file read from its tree), for the imprint recomputed from the commit
/// (AttestCore.TimestampImprint). `verify`, the hooks and `audit` all come here.
enum TrustedTime {
    /// The imprint bytes of a sign-off as committed: its document blob, tree, parents.
    static func imprint(of raw: RawCommit, trailers t: SignoffTrailers, repository: Repository) throws(AttestError) -> [UInt8] {
        let blob: ObjectID?
        do { blob = try repository.blobID(at: t.documentPath, inCommit: raw.id) } catch {
            throw .environment("cannot read \(t.documentPath) in \(raw.id.short): \(error.message)")
        }
        guard let blob else { throw .failed("the commit has no file \(t.documentPath) to compute the timestamp imprint from") }
        let imprint = TimestampImprint(quarter: t.quarter, documentPath: t.documentPath, documentBlob: blob.hex,
                                       tree: raw.tree.hex, parents: raw.parents.map(\.hex), evidenceSHA256: t.evidenceSHA256)
        do { return try SHA256.digest(of: try imprint.bytes()) } catch let e as CryptoError {
            throw .environment("SHA-256: \(e)")
        } catch let e as AttestError { throw e } catch { throw .environment("\(error)") }
    }

    /// The policy in the `.attestconfig` of a commit (defaults when it has none).
    static func policy(at commit: ObjectID, repository: Repository) throws(AttestError) -> Policy {
        try Policy(entries: try entries(at: commit, repository: repository))
    }

    /// The settings of the `.attestconfig` of a commit (none when it has none).
    static func entries(at commit: ObjectID, repository: Repository) throws(AttestError) -> [Policy.Entry] {
        let data: Data?
        do { data = try repository.blob(at: ".attestconfig", inCommit: commit) } catch {
            throw .environment("cannot read .attestconfig in \(commit.short): \(error.message)")
        }
        guard let data else { return [] }
        let name = ".attestconfig@\(commit.short)"
        do { return try ConfigFile.entries(contents: data, displayName: name) } catch {
            throw .config("cannot read \(name): \(error.message)")
        }
    }

    /// The outcome for the rules. Never throws: whatever stops the check makes the token
    /// `invalid`, with the cause named.
    static func outcome(of raw: RawCommit, repository: Repository) -> TimestampOutcome {
        guard let trailers = try? SignoffTrailers.parse(message: raw.message),
              let text = trailers.timestamp else { return .absent }
        guard let token = Data(base64Encoded: text), !token.isEmpty else {
            return .invalid("corrupted timestamp token: the Attest-Timestamp trailer is not base64")
        }
        do {
            let policy = try policy(at: raw.id, repository: repository)
            guard !policy.tsaCAFile.isEmpty else {
                return .invalid("cannot check the timestamp token: tsa.caFile is not set in the .attestconfig of \(raw.id.short)")
            }
            let pem: Data?
            do { pem = try repository.blob(at: policy.tsaCAFile, inCommit: raw.id) } catch {
                return .invalid("cannot read the TSA CA file \(policy.tsaCAFile) in \(raw.id.short): \(error.message)")
            }
            guard let pem else {
                return .invalid("cannot check the timestamp token: the TSA CA file \(policy.tsaCAFile) (tsa.caFile) is not in commit \(raw.id.short)")
            }
            // The trust anchor must predate the sign-off: `attest sign` changes only the
            // attestation file, so a sign-off that brings its own CA is not to be trusted.
            if let parent = raw.parents.first {
                let parentPolicy = try? TrustedTime.policy(at: parent, repository: repository)
                let before = try? repository.blob(at: policy.tsaCAFile, inCommit: parent)
                if parentPolicy?.tsaCAFile != policy.tsaCAFile || before != pem {
                    return .invalid("the sign-off commit \(raw.id.short) itself changes the TSA CA file \(policy.tsaCAFile) (or tsa.caFile); a token is trusted only against a CA committed before the sign-off")
                }
            }
            let digest = try imprint(of: raw, trailers: trailers, repository: repository)
            let stamp = try TimeStampVerifier.verify(token: token, imprint: digest, caPEM: pem,
                                                     caName: "\(policy.tsaCAFile)@\(raw.id.short)")
            return .valid(time: stamp.time, authority: stamp.tsaSubject)
        } catch let e as TimeStampError {
            return .invalid(e.description)
        } catch let e as AttestError {
            return .invalid("cannot check the timestamp token: \(e.description)")
        } catch {
            return .invalid("cannot check the timestamp token: \(error)")
        }
    }

    /// "TSA <subject> at <instant>" or "git dates only": which time a verdict rests on.
    static func basis(_ outcome: TimestampOutcome) -> String {
        if case .valid(let time, let authority) = outcome { return "TSA \(authority) at \(UTC.iso(time))" }
        return "git dates only"
    }
}
