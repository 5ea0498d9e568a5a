import Foundation
import AttestCore
import AttestSystem
import AttestGit

/// The shim `attest hook install` writes, and how it recognises its own.
///
/// ```
/// #!/bin/sh
/// # installed by 'attest hook install'; 'attest hook uninstall' removes it
/// attest=attest
/// command -v "$attest" >/dev/null 2>&1 || {
///   printf >&2 '%s\n' "error: ... not found ..." "to fix: ..."
///   exit 127
/// }
/// exec "$attest" hook pre-push "$@"
/// ```
///
/// When attest is missing (a GUI git client or a cron job with a PATH of its own), the shim
/// says so and what to do, and the push is refused, as git-lfs's shim does. Shims written by
/// attest before this one (`exec attest hook pre-push "$@" # installed by ...`, two lines) are
/// still recognised, so `--force` and `uninstall` work on them.
enum HookShim {
    static let marker = "# installed by 'attest hook install'; 'attest hook uninstall' removes it"

    static func text(hook: String, attest: String) -> String {
        """
        #!/bin/sh
        \(marker)
        attest=\(shellQuote(attest))
        command -v "$attest" >/dev/null 2>&1 || {
          printf >&2 '%s\\n' "error: the \(hook) hook of $PWD runs '$attest' (the attestation push gate), but '$attest' was not found (PATH=$PATH); the push is refused." \\
            "to fix: install attest or put its folder on the PATH of the program that runs git (a GUI client or a cron job has a PATH of its own)," \\
            "or reinstall this hook with attest's full path: cd '$PWD' && /full/path/to/attest hook install --force"
          exit 127
        }
        exec "$attest" hook \(hook) "$@"

        """
    }

    /// Whether a hook file's text is a shim attest wrote (for any attest path and hook),
    /// byte for byte: a shim someone edited is theirs now and is left alone.
    static func isOurs(_ text: String) -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == "#!/bin/sh" else { return false }
        // Earlier attest versions wrote one exec line ending in the marker.
        if lines.count == 2 { return lines[1].hasPrefix("exec ") && lines[1].hasSuffix(marker) }
        guard lines.count > 3, lines[1] == marker, lines[2].hasPrefix("attest="),
              let attest = shellUnquote(String(lines[2].dropFirst("attest=".count))),
              let last = lines.last, last.hasPrefix("exec \"$attest\" hook "), last.hasSuffix(" \"$@\"") else { return false }
        let hook = String(last.dropFirst("exec \"$attest\" hook ".count).dropLast(" \"$@\"".count))
        return text == Self.text(hook: hook, attest: attest)
    }

    /// The hooks folder git runs hooks from: `core.hooksPath` (relative to the working tree,
    /// or to the repository for a bare one; `~/` expanded) or `$GIT_DIR/hooks`.
    static func hooksFolder(_ repo: Repository, home: String?) -> String {
        guard var p = repo.configString("core.hooksPath"), !p.isEmpty else { return repo.gitDir + "/hooks" }
        if p.hasPrefix("~/"), let home { p = home + String(p.dropFirst(1)) }
        return Paths.resolve(p, against: repo.workdir ?? repo.gitDir)
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

    /// The inverse of `shellQuote` (nil for anything it would not have written).
    static func shellUnquote(_ s: String) -> String? {
        guard s.hasPrefix("'") else { return s.isEmpty || shellQuote(s) != s ? nil : s }
        guard s.count >= 2, s.hasSuffix("'") else { return nil }
        let inner = String(s.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
        return shellQuote(inner) == s ? inner : nil
    }
}
