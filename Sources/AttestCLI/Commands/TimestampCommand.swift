import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestCrypto

/// `attest timestamp renew`: a renewal commit with a token over every token stored before
/// (docs/tsa.md, "Renewal"), for a year with no new sign-off.
struct TimestampCommand: Command {
    static let name = "timestamp"
    static let summary = "renew the trusted time of every earlier sign-off with a new token (timestamp renew)"
    static let help = """
    Makes a renewal commit on the current branch: a new RFC 3161 token from each TSA in tsa.url
    (or --tsa URL) whose imprint lists every file stored under the attestation folder's .ltv
    folder (the earlier sign-offs' tokens and their validation data, docs/tsa.md "Renewal"),
    with its own validation data and fresh revocation data for every earlier token. An earlier
    token whose TSA certificate later expires or is revoked for a compromised key is then still
    proven, as stored, by the renewal's time. A sign-off renews in the same way; use this in a
    year with no sign-off, before a TSA certificate expires or its algorithm weakens.

    The commit adds files under .ltv/renewals/ only, carries the token in the Attest-Renewal
    trailer, and is signed as 'git commit -S' would when commit.gpgSign is true. Refused, with
    nothing written, when fewer than tsa.minTokens tokens can be had with their validation
    data, or when nothing is stored under .ltv yet (the first sign-off with a TSA stores it).
    """
    static let helpFooter = """
    Exit codes: 0 renewed; 1 refused; 2 usage error; 3 repository or signing problem.

    Example:
      attest timestamp renew
    """
    static let tsa = Option("tsa", value: "URL", help: "the time-stamping authority for this renewal (default: tsa.url)")
    static let json = Flag("json", help: "{commit, tokens: [{tsa, time}], renews}")
    static let spec = ArgumentSpec(options: [tsa, json], positionals: .subcommands([.init("renew")]))

    let tsa: String?
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        guard arguments.positionals.first == "renew" else {
            throw .usage("'timestamp \(arguments.positionals.first ?? "")': the only action is 'renew' (attest timestamp renew)")
        }
        json = arguments[Self.json]
        tsa = try TimestampSigning.tsaOption(arguments[Self.tsa])
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let now = Date(timeIntervalSince1970: context.now.timeIntervalSince1970.rounded(.down))
        let repo = try context.repository()
        let policy = try context.policy(requireRepository: true)
        let preflight = try reporting { try repo.signoffPreflight() }
        let root = Renewal.root(policy: policy), folder = Renewal.folder(policy: policy)
        let headTree: ObjectID
        let renews: [TimestampImprint.Renewed]
        do { headTree = try repo.commitLinks(preflight.head).tree } catch { throw .environment("cannot read HEAD: \(error.message)") }
        renews = try reporting { try TrustedTime.renewed(inTree: headTree, root: root, repository: repo) }
        guard renews.contains(where: { $0.path.hasSuffix(".tst") }) else {
            throw .failed("nothing is stored under \(root) at HEAD (\(preflight.head.short)): there is no token to renew yet; a sign-off with a TSA (tsa.url) stores the first")
        }
        let imprint: [UInt8]
        do { imprint = try SHA256.digest(of: Renewal.imprintBytes(tree: headTree, parents: [preflight.head], renews: renews)) } catch {
            throw .environment("SHA-256 of the renewal imprint: \(error)")
        }
        let signing = TimestampSigning(repository: repo, head: preflight.head, policy: policy, urlOverride: tsa)
        guard let urls = signing.urls else {
            throw .failed("no TSA is configured: set tsa.url and tsa.caFile in .attestconfig, or pass --tsa URL (docs/tsa.md); nothing was renewed")
        }
        let headPolicy = try reporting { try PolicyFiles(repository: repo, overrides: []).policy(at: preflight.head) }
        let minTokens = tsa != nil ? 1 : min(max(policy.tsaMinTokens, headPolicy.tsaMinTokens), urls.count)
        var stamps: [TimeStamp] = [], files: [(path: String, contents: Data)] = [], failures: [String] = []
        var anchor: (pem: Data, name: String)?
        for url in urls {
            do {
                let a = try signing.authority(url: url, headPolicy: headPolicy)
                anchor = a.anchor
                let stamp = try a.authority.stamp(imprint: imprint)
                let fetched = try ValidationFetcher.fetch(token: stamp.token, imprint: imprint, caPEM: a.anchor.pem, caName: a.anchor.name)
                stamps.append(stamp)
                files += ValidationLayout.files(token: stamp.token, data: fetched.data).map { (path: folder + "/" + $0.name, contents: $0.contents) }
            } catch let e as TimeStampError {
                failures.append(e.description)
            } catch let e as AttestError { throw e } catch { throw .environment("trusted time: \(error)") }
        }
        guard stamps.count >= minTokens, let first = stamps.first, let anchor else {
            throw .failed("\(stamps.count) of the \(urls.count) TSAs gave a token with its validation data, tsa.minTokens is \(minTokens): \(failures.joined(separator: "; ")); nothing was renewed")
        }
        if !failures.isEmpty { context.err.line("warning: " + failures.joined(separator: "; ")) }
        files += Renewal.refreshed(tree: headTree, root: root, folder: folder, anchor: anchor, repository: repo, err: context.err)

        let tokens = renews.filter { $0.path.hasSuffix(".tst") }.count
        let message = "attest: timestamp renewal of \(tokens) token\(tokens == 1 ? "" : "s")\n\n\(Renewal.trailer): \(first.token.base64EncodedString())\n"
        let signingConfig = try reporting { try repo.signingConfig() }
        let who = try reporting { try repo.committerIdentity() }
        let env = context.environment
        let signer: ((Data) throws(CommitSignerError) -> String)? = signingConfig.enabled
            ? { (payload: Data) throws(CommitSignerError) -> String in
                try CommitSigner.sign(payload, config: signingConfig, committer: "\(who.name) <\(who.email)>", environment: env,
                                      scratch: TempFolders.repositoryBase(gitDir: repo.gitDir))
            } : nil
        // The renewal's imprint text is its own record, beside its token (left out of the imprint like every file it adds).
        let record = folder + "/" + ValidationLayout.digest(of: first.token) + ".imprint.txt"
        let unpublished = try reporting {
            try repo.writeSignoffObject(preflight, path: record,
                                        contents: Renewal.imprintBytes(tree: headTree, parents: [preflight.head], renews: renews),
                                        message: message, at: now, validationFiles: files, sign: signer)
        }
        try reporting { try repo.publishSignoff(unpublished) }
        let id = unpublished.id
        if json {
            context.out.line(JSONText.encode(["commit": id.hex, "renews": tokens,
                                              "tokens": stamps.map { ["tsa": $0.tsaSubject, "time": UTC.iso($0.time)] }]))
            return 0
        }
        context.out.line("renewed \(tokens) token\(tokens == 1 ? "" : "s"): commit \(id.hex) on \(preflight.branchName)")
        for s in stamps { context.out.line("  trusted time: TSA \(s.tsaSubject) at \(UTC.iso(s.time))") }
        context.out.line("next: git push; attest audit reports which renewal covers each quarter")
        return 0
    }
}
