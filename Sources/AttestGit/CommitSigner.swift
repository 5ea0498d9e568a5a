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

    public func signingConfig() throws(CommitSignerError) -> SigningConfig {
        do {
            let formatText = (configString("gpg.format"))?.lowercased() ?? "openpgp"
            guard let format = SigningConfig.Format(rawValue: formatText) else {
                throw CommitSignerError.unknownFormat(formatText)
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
        } catch let e as CommitSignerError { throw e } catch let e as GitError {
            throw .unreadableConfig(e)
        } catch {
            throw .unreadableConfig(GitError(operation: "read the git configuration", code: -1, message: "\(error)"))
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
                            environment: [String: String]? = nil, scratch: String? = nil) throws(CommitSignerError) -> String {
        let signature: String
        switch config.format {
        case .ssh: signature = try signSSH(payload, config: config, environment: environment, scratch: scratch)
        case .openpgp, .x509: signature = try signGPG(payload, config: config, committer: committer, environment: environment)
        }
        var s = signature
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        guard !s.isEmpty else { throw .noSignature(program: config.program) }
        return s
    }

    static func signGPG(_ payload: Data, config: SigningConfig, committer: String, environment: [String: String]?) throws(CommitSignerError) -> String {
        let key = config.key ?? committer
        let r = try run(config.program, ["--status-fd=2", "-bsau", key], stdin: payload, environment: environment)
        guard r.status == 0, r.stderrText.contains("[GNUPG:] SIG_CREATED ") else {
            throw .signerFailed(format: config.format, program: config.program, key: key, output: Self.firstLines(r.stderrText))
        }
        return r.stdoutText
    }

    static func signSSH(_ payload: Data, config: SigningConfig, environment: [String: String]?, scratch: String?) throws(CommitSignerError) -> String {
        let home = environment?["HOME"] ?? ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var key = config.key
        if key == nil, let command = config.defaultKeyCommand, !command.isEmpty {
            let r = try run("/bin/sh", ["-c", command], environment: environment)
            let first = r.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
            guard r.status == 0, !first.isEmpty else {
                throw .defaultKeyCommandFailed(command: command, output: Self.firstLines(r.stderrText))
            }
            key = "key::" + first
        }
        guard var signingKey = key else {
            throw .sshKeyNotSet
        }
        let base = scratch ?? FileManager.default.temporaryDirectory.path + "/attest-tmp-\(getuid())"
        TempFolders.sweep(base)
        let tmp: URL
        do { tmp = URL(fileURLWithPath: try TempFolders.make(in: base, label: "attest-sign")) } catch { throw .scratch(error) }
        defer { try? FileManager.default.removeItem(at: tmp) }
        var literal = false
        var keyFile: String
        if signingKey.hasPrefix("key::") || signingKey.hasPrefix("ssh-") {
            // A literal public key: the private half is in ssh-agent (or a hardware key).
            if signingKey.hasPrefix("key::") { signingKey.removeFirst(5) }
            keyFile = tmp.appendingPathComponent("key.pub").path
            guard FileManager.default.createFile(atPath: keyFile, contents: Data((signingKey + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw .cannotWriteKey(path: keyFile)
            }
            literal = true
        } else {
            keyFile = signingKey.hasPrefix("~/") ? home + signingKey.dropFirst(1) : signingKey
        }
        let bufferFile = tmp.appendingPathComponent("commit").path
        guard FileManager.default.createFile(atPath: bufferFile, contents: payload, attributes: [.posixPermissions: 0o600]) else {
            throw .cannotWriteBuffer(path: bufferFile)
        }
        var args = ["-Y", "sign", "-n", "git", "-f", keyFile]
        if literal { args.append("-U") }
        args.append(bufferFile)
        let r = try run(config.program, args, environment: environment)
        guard r.status == 0, let sig = FileManager.default.contents(atPath: bufferFile + ".sig") else {
            throw .signerFailed(format: config.format, program: config.program, key: config.key ?? keyFile, output: Self.firstLines(r.stderrText + r.stdoutText))
        }
        return String(decoding: sig, as: UTF8.self)
    }

    /// `Subprocess.run`, its failure to start as `.cannotRun`.
    static func run(_ program: String, _ args: [String], stdin: Data? = nil, environment: [String: String]?) throws(CommitSignerError) -> Subprocess.Result {
        do { return try Subprocess.run(program, args, stdin: stdin, environment: environment) } catch { throw .cannotRun(program: program, error) }
    }

    static func firstLines(_ s: String) -> String {
        let lines = s.split(separator: "\n").filter { !$0.hasPrefix("[GNUPG:]") }.prefix(3)
        return lines.isEmpty ? "no message" : lines.joined(separator: " / ")
    }
}
