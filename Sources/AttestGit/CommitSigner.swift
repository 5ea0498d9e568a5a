import Foundation
import AttestCore
import AttestSystem
internal import CGit2

/// How `git commit` would sign, read from the repository's git configuration (local, global,
/// XDG, system) through libgit2: `commit.gpgSign`, `gpg.format`, `user.signingKey`,
/// `gpg.program` / `gpg.openpgp.program`, `gpg.ssh.program`, `gpg.x509.program`,
/// `gpg.ssh.defaultKeyCommand`.
public struct SigningConfig: Sendable, Equatable {
    public enum Format: String, Sendable { case openpgp, ssh, x509 }
    /// `commit.gpgSign`.
    public var enabled: Bool
    public var format: Format
    /// `user.signingKey`, as written; nil when unset.
    public var key: String?
    /// The program git would run for the format.
    public var program: String
    /// `gpg.ssh.defaultKeyCommand`, used for ssh when no key is set.
    public var defaultKeyCommand: String?
}

extension Repository {
    func configBool(_ name: String) throws(GitError) -> Bool? {
        var cfg: OpaquePointer?
        try check(git_repository_config_snapshot(&cfg, pointer), "read the git configuration")
        defer { git_config_free(cfg) }
        var out: Int32 = 0
        let rc = git_config_get_bool(&out, cfg, name)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "read git config \(name)")
        return out != 0
    }

    public func signingConfig() throws(AttestError) -> SigningConfig {
        do {
            let formatText = (configString("gpg.format"))?.lowercased() ?? "openpgp"
            guard let format = SigningConfig.Format(rawValue: formatText) else {
                throw AttestError.config("git config gpg.format is '\(formatText)'; git knows openpgp, ssh and x509")
            }
            let program: String
            switch format {
            case .openpgp: program = configString("gpg.openpgp.program") ?? configString("gpg.program") ?? "gpg"
            case .ssh: program = configString("gpg.ssh.program") ?? "ssh-keygen"
            case .x509: program = configString("gpg.x509.program") ?? "gpgsm"
            }
            let key = configString("user.signingKey").flatMap { $0.isEmpty ? nil : $0 }
            return SigningConfig(enabled: try configBool("commit.gpgSign") ?? false, format: format, key: key,
                                 program: program, defaultKeyCommand: configString("gpg.ssh.defaultKeyCommand"))
        } catch let e as AttestError { throw e } catch {
            throw .environment("cannot read git's signing configuration: \(error)")
        }
    }
}

/// Signs a commit buffer the way `git commit -S` does (git's gpg-interface.c): the same
/// programs with the same arguments, so ssh-agent, gpg-agent and hardware keys work.
public enum CommitSigner {
    /// The armored signature of `payload`, without its trailing newline (libgit2 1.5.1 adds
    /// its own when it writes the `gpgsig` header). `committer` (`Name <email>`) is gpg's key
    /// when `user.signingKey` is unset, as in git. `scratch` is the place for the temporary
    /// folder ssh-keygen signs in (TempFolders; `<git dir>/attest-tmp`), swept by the next run.
    public static func sign(_ payload: Data, config: SigningConfig, committer: String,
                            environment: [String: String]? = nil, scratch: String? = nil) throws(AttestError) -> String {
        let signature: String
        switch config.format {
        case .ssh: signature = try signSSH(payload, config: config, environment: environment, scratch: scratch)
        case .openpgp, .x509: signature = try signGPG(payload, config: config, committer: committer, environment: environment)
        }
        var s = signature
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        guard !s.isEmpty else { throw .environment("\(config.program) produced no signature") }
        return s
    }

    static func signGPG(_ payload: Data, config: SigningConfig, committer: String, environment: [String: String]?) throws(AttestError) -> String {
        let key = config.key ?? committer
        let r: Subprocess.Result
        do { r = try Subprocess.run(config.program, ["--status-fd=2", "-bsau", key], stdin: payload, environment: environment) } catch { throw .environment(error.description) }
        guard r.status == 0, r.stderrText.contains("[GNUPG:] SIG_CREATED ") else {
            throw .environment("signing with \(config.program) failed (key '\(key)'): \(Self.firstLines(r.stderrText)); check user.signingKey and that the key is usable ('git commit -S' fails the same way)")
        }
        return r.stdoutText
    }

    static func signSSH(_ payload: Data, config: SigningConfig, environment: [String: String]?, scratch: String?) throws(AttestError) -> String {
        let home = environment?["HOME"] ?? ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var key = config.key
        if key == nil, let command = config.defaultKeyCommand, !command.isEmpty {
            let r: Subprocess.Result
            do { r = try Subprocess.run("/bin/sh", ["-c", command], environment: environment) } catch { throw .environment(error.description) }
            let first = r.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
            guard r.status == 0, !first.isEmpty else {
                throw .environment("gpg.ssh.defaultKeyCommand '\(command)' gave no key: \(Self.firstLines(r.stderrText))")
            }
            key = "key::" + first
        }
        guard var signingKey = key else {
            throw .environment("commit.gpgSign is true and gpg.format is ssh, but user.signingKey is not set; run 'git config user.signingKey ~/.ssh/id_ed25519.pub'")
        }
        let base = scratch ?? FileManager.default.temporaryDirectory.path + "/attest-tmp-\(getuid())"
        TempFolders.sweep(base)
        let tmp: URL
        do { tmp = URL(fileURLWithPath: try TempFolders.make(in: base, label: "attest-sign")) } catch { throw .environment(error.description) }
        defer { try? FileManager.default.removeItem(at: tmp) }
        var literal = false
        var keyFile: String
        if signingKey.hasPrefix("key::") || signingKey.hasPrefix("ssh-") {
            // A literal public key: the private half is in ssh-agent (or a hardware key).
            if signingKey.hasPrefix("key::") { signingKey.removeFirst(5) }
            keyFile = tmp.appendingPathComponent("key.pub").path
            guard FileManager.default.createFile(atPath: keyFile, contents: Data((signingKey + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw .environment("cannot write the signing key to \(keyFile)")
            }
            literal = true
        } else {
            keyFile = signingKey.hasPrefix("~/") ? home + signingKey.dropFirst(1) : signingKey
        }
        let bufferFile = tmp.appendingPathComponent("commit").path
        guard FileManager.default.createFile(atPath: bufferFile, contents: payload, attributes: [.posixPermissions: 0o600]) else {
            throw .environment("cannot write the commit to sign to \(bufferFile)")
        }
        var args = ["-Y", "sign", "-n", "git", "-f", keyFile]
        if literal { args.append("-U") }
        args.append(bufferFile)
        let r: Subprocess.Result
        do { r = try Subprocess.run(config.program, args, environment: environment) } catch { throw .environment(error.description) }
        guard r.status == 0, let sig = FileManager.default.contents(atPath: bufferFile + ".sig") else {
            throw .environment("signing with \(config.program) failed (user.signingKey '\(config.key ?? keyFile)'): \(Self.firstLines(r.stderrText + r.stdoutText)); check the key (and ssh-agent for a public key), as 'git commit -S' would need")
        }
        return String(decoding: sig, as: UTF8.self)
    }

    static func firstLines(_ s: String) -> String {
        let lines = s.split(separator: "\n").filter { !$0.hasPrefix("[GNUPG:]") }.prefix(3)
        return lines.isEmpty ? "no message" : lines.joined(separator: " / ")
    }
}
