import Foundation
import AttestCore
import AttestSystem
import AttestGit

/// What `attest init` configures so that a plain `git push` sends the sealed evidence with the
/// branch (docs/evidence.md, "Pushing"; docs/init.md): on the remote `git push` goes to, the
/// push refspecs `HEAD` (the current branch, to the same name) and
/// `refs/attest/evidence/*:refs/attest/evidence/*`. Once a remote has any push refspec, git
/// pushes exactly those (push.default no longer applies), so `HEAD` is added only when the
/// remote has none; a remote that already lists its own keeps them and gains the evidence one.
///
/// Read and written through `git config`, the tool whose configuration it is.
enum EvidencePush {
    static let evidenceRefspec = "refs/attest/evidence/*:refs/attest/evidence/*"

    /// The lines `attest init` prints: what it did, or why not and what to run later.
    static func configure(root: String, environment: [String: String]) throws(AttestError) -> [String] {
        func git(_ args: [String]) throws(AttestError) -> (ok: Bool, out: [String]) {
            let r: Subprocess.Result
            do { r = try Subprocess.run("git", ["-C", root] + args, environment: environment) } catch { throw AttestError(error) }
            return (r.status == 0, r.stdoutText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let remotes = try git(["remote"]).out
        let branch = try git(["symbolic-ref", "--quiet", "--short", "HEAD"]).out.first
        // The remote a plain `git push` uses (git-push(1), "remote.pushDefault", "branch.<name>.remote").
        var chosen: String?
        for key in (branch.map { ["branch.\($0).pushRemote"] } ?? []) + ["remote.pushDefault"] + (branch.map { ["branch.\($0).remote"] } ?? []) {
            if let v = try git(["config", "--get", key]).out.first, remotes.contains(v) { chosen = v; break }
        }
        if chosen == nil { chosen = remotes.contains("origin") ? "origin" : (remotes.count == 1 ? remotes[0] : nil) }
        guard let remote = chosen else {
            let later = "git config --add remote.origin.push HEAD && git config --add remote.origin.push '\(evidenceRefspec)'"
            if remotes.isEmpty {
                return ["skipped git push configuration (no remote yet; git refuses 'git remote add' for a remote that already has settings): after 'git remote add origin URL' run 'attest init' again, or: \(later)"]
            }
            return ["skipped git push configuration (\(remotes.count) remotes, none named origin or set as remote.pushDefault): run 'git config remote.pushDefault NAME' and 'attest init' again, or: \(later.replacingOccurrences(of: "remote.origin.", with: "remote.NAME."))"]
        }
        let key = "remote.\(remote).push"
        let existing = try git(["config", "--get-all", key]).out
        if existing.contains(evidenceRefspec) {
            return ["skipped git push configuration (\(key) already sends \(EvidenceRef.prefix)*)"]
        }
        var added: [String] = []
        if existing.isEmpty { added.append("HEAD") }
        added.append(evidenceRefspec)
        for spec in added {
            guard try git(["config", "--add", key, spec]).ok else {
                throw .environment("cannot set \(key) (git config --add \(key) '\(spec)' failed); run it yourself so that 'git push' sends the evidence refs")
            }
        }
        return ["configured git push: \(key) = \(added.joined(separator: ", ")): a plain 'git push' sends \(existing.isEmpty ? "the current branch and " : "")\(EvidenceRef.prefix)* to \(remote)"]
    }
}
