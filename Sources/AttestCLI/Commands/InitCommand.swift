import Foundation
import AttestCore

/// `attest init`: the files a compliance repository needs, never overwriting one.
struct InitCommand: Command {
    static let name = "init"
    static let summary = "write .attestconfig, the default template and the file-format page"
    static let help = """
    Sets up the git repository around the working directory for attest. Writes, when missing:

      .attestconfig                          every policy key, commented, at its default
      templates/attestation.md.mustache      the default template 'attest render' fills
      docs/attestation-log/README.md         the attestation file format
      .gitignore                             a line '/evidence/' (evidence holds personal data
                                             and stays out of git; only its digests are committed)

    It also configures git push on the remote 'git push' uses (origin, or remote.pushDefault):
    remote.NAME.push = HEAD and refs/attest/evidence/*:refs/attest/evidence/*, so that a plain
    'git push' sends the sealed evidence refs with the branch (a remote that already has push
    refspecs keeps them and gains the evidence one). With no remote yet it says so: run
    'attest init' again after 'git remote add origin URL'.

    (The template and folder follow attest.template and attest.folder when .attestconfig already
    sets them.) A file that exists is never overwritten: it is listed as skipped.
    """
    static let helpFooter = """
    Exit codes: 0 done (also when everything was skipped); 3 not in a git repository, or a file
    cannot be written.

    Example:
      attest init && git add .attestconfig templates docs .gitignore && git commit -m 'attest init'
    """
    static let spec = ArgumentSpec()

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {}

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let repo = try context.repository()
        guard let root = repo.workdir else { throw .environment("this is a bare repository; run attest init in a working tree") }
        let policy = try context.policy(requireRepository: true)
        let files: [(String, String)] = [
            (".attestconfig", Policy.defaultConfigFile()),
            (policy.templatePath, DefaultTemplate.text),
            (policy.attestationFolder + "/README.md", FormatReadme.text),
        ]
        for (path, text) in files {
            let full = root + "/" + path
            if FileManager.default.fileExists(atPath: full) {
                context.out.line("skipped \(path) (exists; not overwritten)")
                continue
            }
            try QuarterFiles.writeAtomically(text, to: full)
            context.out.line("wrote   \(path)")
        }
        // Evidence stays out of git: add the evidence root to .gitignore unless it is there.
        let ignore = root + "/.gitignore"
        let entry = "/\(policy.evidenceRoot)/"
        let existing = (try? String(contentsOfFile: ignore, encoding: .utf8)) ?? ""
        let lines = existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.contains(entry) || lines.contains(policy.evidenceRoot) || lines.contains(policy.evidenceRoot + "/") || lines.contains("/" + policy.evidenceRoot) {
            context.out.line("skipped .gitignore (already ignores \(policy.evidenceRoot))")
        } else {
            let text = existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "# evidence holds personal data: only its digests are committed (attest)\n\(entry)\n"
            try QuarterFiles.writeAtomically(text, to: ignore)
            context.out.line("\(existing.isEmpty ? "wrote  " : "updated") .gitignore (\(entry))")
        }
        // A plain `git push` sends the sealed evidence with the branch (docs/evidence.md).
        for line in try EvidencePush.configure(root: root, environment: context.environment) { context.out.line(line) }
        context.out.line("next: attest collect, attest render, review the file, attest sign (see 'attest help')")
        return 0
    }
}
