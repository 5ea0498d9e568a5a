import Foundation

/// A scratch git repository driven by the real `git` command, with its own HOME so that no
/// user or system configuration leaks in.
public final class ScratchRepository: @unchecked Sendable {
    public let scratch: Scratch
    /// The working tree.
    public let path: String
    /// HOME for every child process (git config, ssh keys).
    public let home: String

    public init(_ label: String = "repo", bare: Bool = false) {
        scratch = Scratch(label)
        home = scratch.path + "/home"
        path = scratch.path + "/work"
        try! FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
        git(["config", "user.name", "Olive Operator"])
        git(["config", "user.email", "olive@example.com"])
        git(["config", "commit.gpgSign", "false"])
    }

    public var environment: [String: String] { testEnvironment(home: home) }

    /// Runs git in the repository; traps (fails loudly) when git fails unless `check` is false.
    @discardableResult
    public func git(_ args: [String], env extra: [String: String] = [:], stdin: Data? = nil, check: Bool = true) -> RunResult {
        let r = run("git", args, cwd: path, environment: testEnvironment(home: home, extra: extra), stdin: stdin)
        if check && r.status != 0 { fatalError("git \(args.joined(separator: " ")) failed: \(r)") }
        return r
    }

    /// `git rev-parse REV`, trimmed.
    public func revParse(_ rev: String) -> String {
        git(["rev-parse", rev]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a file in the working tree.
    @discardableResult
    public func write(_ relative: String, _ contents: String) -> String {
        scratch.write("work/" + relative, contents)
    }

    /// Adds everything and commits with a chosen date for both author and committer
    /// ("2026-01-02T10:00:00Z"); returns the new commit id.
    @discardableResult
    public func commitAll(_ message: String, date: String = "2026-01-02T10:00:00Z", extraEnv: [String: String] = [:]) -> String {
        git(["add", "-A"])
        var env = ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date]
        for (k, v) in extraEnv { env[k] = v }
        git(["commit", "-q", "--allow-empty", "-m", message], env: env)
        return revParse("HEAD")
    }

    /// Runs the built attest binary in this repository.
    @discardableResult
    public func attest(_ args: [String], at fakeTime: String? = nil, env: [String: String] = [:], stdin: Data? = nil) -> RunResult {
        AttestTestSupport.attest(args, cwd: path, home: home, at: fakeTime, environment: env, stdin: stdin)
    }
}
