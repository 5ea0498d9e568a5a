import Foundation
import AttestCore
import AttestGit
import AttestCrypto
import AttestVerification

/// `attest sign`'s side of trusted time (docs/tsa.md): before the commit exists, stamp the
/// imprint of the tree it will have, check the token and fetch its validation data. Whether the
/// token's time fits the window is the judge's (`SignoffRules`, rules `window-timestamp` and
/// `late`), run by sign on the commit it is about to write.
struct TimestampSigning {
    let repository: Repository
    /// The commit the sign-off goes on top of.
    let head: ObjectID
    let policy: Policy
    /// `--tsa URL`, overriding `tsa.url`.
    let urlOverride: String?

    /// The TSAs' URLs (`tsa.url` may list several, separated by spaces), or nil when none is
    /// configured.
    var urls: [String]? {
        let u = (urlOverride ?? policy.tsaURL).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        return u.isEmpty ? nil : u
    }

    /// What sign gets from its TSA: the trailer, what the token says, the validation files the
    /// sign-off commit carries (paths in the repository) and which data they hold.
    typealias Stamped = (trailer: String, stamp: TimeStamp, files: [(path: String, contents: Data)], validation: String?)

    /// The token for this sign-off, base64 DER for the `Attest-Timestamp` trailer, with what it
    /// says and its validation data (docs/tsa.md); nil when no TSA is configured and none is
    /// required, or when the TSA fails and none is required (a warning then goes to `err`).
    /// Throws, and nothing is written, when a token is required (`policy.tsaRequired`, the
    /// policy that judges the sign-off) and cannot be had, or its validation data cannot be had.
    func obtain(quarter: Quarter, documentPath: String, contents: Data, evidenceSHA256: String,
                err: Output) throws(AttestError) -> Stamped? {
        let headPolicy = try reporting { try PolicyFiles(repository: repository, overrides: []).policy(at: head) }
        let required = policy.tsaRequired
        guard let urls else {
            if required {
                throw .failed("[untrusted-time] tsa.required is true but no TSA is configured; to fix: set tsa.url and tsa.caFile in .attestconfig, or pass --tsa URL (docs/tsa.md); nothing was signed")
            }
            return nil
        }
        let minTokens = urlOverride != nil ? 1 : min(policy.tsaMinTokens, urls.count)
        // Nothing to sign (the file is HEAD's): the commit step refuses; do not ask the TSA.
        if let ids = try? repository.signoffTree(head: head, path: documentPath, contents: contents),
           (try? repository.blobID(at: documentPath, inCommit: head)) == ids.blob { return nil }
        let digest = try imprint(quarter: quarter, documentPath: documentPath, contents: contents, evidenceSHA256: evidenceSHA256)
        var got: [(stamp: TimeStamp, files: [(path: String, contents: Data)], validation: String?)] = []
        var failures: [TimeStampError] = []
        var anchor: (pem: Data, name: String)?
        for url in urls {
            do {
                let tsa = try authority(url: url, headPolicy: headPolicy)
                anchor = tsa.anchor
                let stamp = try tsa.authority.stamp(imprint: digest)
                let (files, validation) = try validationFiles(stamp, digest: digest, anchor: tsa.anchor, quarter: quarter,
                                                              documentPath: documentPath, required: required, err: err)
                got.append((stamp, files, validation))
            } catch let e as TimeStampError {
                failures.append(e)
            } catch let e as AttestError {
                throw e
            } catch {
                throw .environment("trusted time: \(error)")
            }
        }
        if got.count < minTokens || got.isEmpty {
            let causes = failures.map(\.description).joined(separator: "; ")
            if urls.count == 1 {
                guard required else {
                    err.line("warning: \(causes); signing without a trusted timestamp (tsa.required is false)")
                    return nil
                }
                throw .failed("\(causes); nothing was signed: tsa.required is true (rule untrusted-time). Try again when the TSA answers, or use another TSA with --tsa URL (its CA must be tsa.caFile)")
            }
            let count = "\(got.count) of the \(urls.count) TSAs in tsa.url gave a token, tsa.minTokens is \(minTokens)"
            guard required else {
                err.line("warning: \(count): \(causes); " + (got.isEmpty ? "signing without a trusted timestamp" : "signing with \(got.count)") + " (tsa.required is false)")
                if got.isEmpty { return nil }
                return stamped(got, urls: urls, refreshed: refresh(anchor, quarter: quarter, documentPath: documentPath, err: err))
            }
            throw .failed("\(count): \(causes); nothing was signed: tsa.required is true (rule untrusted-time). Try again when the TSAs answer")
        }
        if !failures.isEmpty {
            err.line("warning: \(got.count) of the \(urls.count) TSAs in tsa.url gave a token (tsa.minTokens is \(minTokens)): " + failures.map(\.description).joined(separator: "; "))
        }
        return stamped(got, urls: urls, refreshed: refresh(anchor, quarter: quarter, documentPath: documentPath, err: err))
    }

    /// Renewal (docs/tsa.md): fresh revocation data for every token stored before, kept in
    /// the sign-off's folder under `refreshed/`.
    private func refresh(_ anchor: (pem: Data, name: String)?, quarter: Quarter, documentPath: String, err: Output) -> [(path: String, contents: Data)] {
        guard let anchor, let tree = try? repository.commitLinks(head).tree else { return [] }
        return Renewal.refreshed(tree: tree, root: ValidationLayout.root(documentPath: documentPath),
                                 folder: ValidationLayout.folder(documentPath: documentPath, quarter: quarter.description),
                                 anchor: anchor, repository: repository, err: err)
    }

    /// The first token for the trailer; every token, with its validation data, in the files.
    private func stamped(_ got: [(stamp: TimeStamp, files: [(path: String, contents: Data)], validation: String?)],
                         urls: [String], refreshed: [(path: String, contents: Data)]) -> Stamped {
        var lines = got.compactMap(\.validation)
        if got.count > 1 {
            let times = got.map(\.stamp.time)
            let spread = times.max()!.timeIntervalSince(times.min()!)
            lines.append("\(got.count) tokens: " + got.map { "TSA \($0.stamp.tsaSubject) at \(UTC.iso($0.stamp.time))" }.joined(separator: ", ")
                         + (spread > TrustedTime.maxDisagreement ? "; the TSAs disagree by \(Int(spread)) seconds (more than \(Int(TrustedTime.maxDisagreement)))" : ""))
        } else if urls.count > 1 {
            lines.append("1 token, from TSA \(got[0].stamp.tsaSubject), of the \(urls.count) TSAs in tsa.url")
        }
        if !refreshed.isEmpty {
            lines.append("fresh revocation data stored for \(refreshed.filter { $0.path.hasSuffix(".chain.pem") }.count) earlier token(s), which this token renews")
        }
        return (got[0].stamp.token.base64EncodedString(), got[0].stamp, got.flatMap(\.files) + refreshed,
                lines.isEmpty ? nil : lines.joined(separator: "\n  "))
    }

    /// The token's chain and revocation data, fetched now from the CRL distribution points and
    /// OCSP responders its certificates name, as files under the quarter's `.ltv` folder. A
    /// revoked TSA certificate throws (the token is not good); data that cannot be had throws
    /// when a token is required, and is warned about otherwise (the token is kept without it).
    func validationFiles(_ stamp: TimeStamp, digest: [UInt8], anchor: (pem: Data, name: String), quarter: Quarter,
                         documentPath: String, required: Bool, err: Output) throws -> ([(path: String, contents: Data)], String?) {
        do {
            let fetched = try ValidationFetcher.fetch(token: stamp.token, imprint: digest, caPEM: anchor.pem, caName: anchor.name)
            let folder = ValidationLayout.folder(documentPath: documentPath, quarter: quarter.description)
            let files = ValidationLayout.files(token: stamp.token, data: fetched.data).map { (path: folder + "/" + $0.name, contents: $0.contents) }
            return (files, fetched.check.summary)
        } catch let e where e.cause == "revoked" {
            throw e
        } catch {
            guard required else {
                err.line("warning: \(error.description); the token is kept without validation data, so its TSA certificate's revocation cannot be checked later (tsa.required is false)")
                return ([], nil)
            }
            throw AttestError.failed("the TSA's token is good, but \(error.description); nothing was signed: tsa.required is true and a token is kept only with its validation data (docs/tsa.md). Try again when the CA's CRL or OCSP responder answers")
        }
    }

    /// The TSA with the CA file named by `tsa.caFile`, read from HEAD's tree: the sign-off
    /// commit will carry that same file, and verify reads it from there.
    func authority(url: String, headPolicy: Policy) throws -> (authority: TimeStampAuthority, anchor: (pem: Data, name: String)) {
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
        let name = "\(caPath)@\(head.short)"
        do { return (try TimeStampAuthority(url: url, caPEM: pem, caName: name), (pem, name)) } catch {
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
                                       tree: ids.tree.hex, parents: [head.hex], evidenceSHA256: evidenceSHA256,
                                       renews: try reporting { try TrustedTime.renewed(inTree: ids.tree, documentPath: documentPath, repository: repository) })
        do { return try SHA256.digest(of: try imprint.bytes()) } catch let e as AttestError { throw e } catch {
            throw .environment("SHA-256 of the timestamp imprint: \(error)")
        }
    }
}

extension TimestampSigning {
    /// `--tsa URL` of `sign` and `timestamp renew`: nil when not given; a URL the HTTP client
    /// cannot use is a usage error that says why.
    static func tsaOption(_ given: String?) throws(AttestError) -> String? {
        guard let t = given else { return nil }
        if let problem = TimeStampAuthority.problem(withURL: t) { throw .usage("--tsa '\(t)': \(problem)") }
        return t
    }
}

extension Renewal {
    /// Fresh validation data for every token stored under `root` in `tree`, as files in
    /// `folder/refreshed/`. A token whose data cannot be refreshed is warned about, not refused.
    static func refreshed(tree: ObjectID, root: String, folder: String, anchor: (pem: Data, name: String),
                          repository: Repository, err: Output) -> [(path: String, contents: Data)] {
        guard let all = try? repository.fileContents(inTree: tree, under: root) else { return [] }
        var out: [(path: String, contents: Data)] = []
        for f in all where f.path.hasSuffix(".tst") {
            do {
                let data = try ValidationFetcher.refresh(token: f.contents, caPEM: anchor.pem, caName: anchor.name)
                out += ValidationLayout.files(token: f.contents, data: data).filter { !$0.name.hasSuffix(".tst") }
                    .map { (path: folder + "/refreshed/" + $0.name, contents: $0.contents) }
            } catch {
                err.line("warning: cannot refresh the validation data of \(f.path): \(error.description); it is renewed without fresh revocation data")
            }
        }
        return out
    }
}
