import Foundation
import AttestCore
import AttestGit

/// The one-line shim `attest hook install` writes, and how it recognises its own.
///
/// ```
/// #!/bin/sh
/// exec attest hook pre-push "$@" # installed by 'attest hook install'; 'attest hook uninstall' removes it
/// ```
enum HookShim {
    static let marker = "# installed by 'attest hook install'; 'attest hook uninstall' removes it"

    static func text(hook: String, attest: String) -> String {
        "#!/bin/sh\nexec \(shellQuote(attest)) hook \(hook) \"$@\" \(marker)\n"
    }

    /// Whether a hook file's text is a shim attest wrote (for any attest path).
    static func isOurs(_ text: String) -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.count == 2 && lines[0] == "#!/bin/sh" && lines[1].hasPrefix("exec ") && lines[1].hasSuffix(marker)
    }

    /// The hooks folder git runs hooks from: `core.hooksPath` (relative to the working tree,
    /// or to the repository for a bare one; `~/` expanded) or `$GIT_DIR/hooks`.
    static func hooksFolder(_ repo: Repository, home: String?) -> String {
        guard var p = repo.configString("core.hooksPath"), !p.isEmpty else { return repo.gitDir + "/hooks" }
        if p.hasPrefix("~/"), let home { p = home + String(p.dropFirst(1)) }
        if p.hasPrefix("/") { return p }
        return (repo.workdir ?? repo.gitDir) + "/" + p
    }

    /// How the shim calls attest: plain `attest` when that is this binary on PATH, otherwise
    /// this binary's absolute path.
    static func attestInvocation(environment: [String: String]) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = String(dir) + "/attest"
            if FileManager.default.isExecutableFile(atPath: candidate),
               URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path == URL(fileURLWithPath: me).resolvingSymlinksInPath().path {
                return "attest"
            }
        }
        return me
    }

    static func shellQuote(_ s: String) -> String {
        if s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
