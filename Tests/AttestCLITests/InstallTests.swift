import Foundation
import Testing
import AttestTestSupport

/// `make install` as a user runs it, from a fresh clone: the release binary and one man page per
/// command, generated from docs/<command>.md and read back with `man` (man-db).
@Suite struct InstallTests {
    /// The options a docs page's options table lists (`| `--quarter YYYY-QN` | ...` → `--quarter`).
    static func documentedOptions(_ markdown: String) -> [String] {
        markdown.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `--") else { return nil }
            return line.dropFirst(3).split(separator: "`").first?.split(separator: " ").first.map(String.init)
        }
    }

    /// The page's section headings as the generator names them.
    static func headings(_ markdown: String) -> [String] {
        var fenced = false
        return markdown.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("## ") else { return nil }
            let title = String(line.dropFirst(3))
            switch title.lowercased() {
            case "exit codes": return "EXIT STATUS"
            default: return title.uppercased()
            }
        }
    }

    @Test func makeInstallFromAFreshCloneInstallsTheBinaryAndAManPagePerCommand() throws {
        let scratch = Scratch("install")
        let clone = scratch.path + "/attest"
        try cloneOfWorkingTree(to: clone)
        let stage = scratch.path + "/stage"
        // MANWIDTH: man formats for 80 columns whatever the terminal the tests run under; the
        // pages are read in a UTF-8 locale, as a user's terminal is (and checked in C too).
        let env = testEnvironment(home: scratch.path, extra: ["MANWIDTH": "80", "CI": "true", "LC_ALL": "C.UTF-8"])
        var ascii = env
        ascii["LC_ALL"] = "C"
        let make = run("make", ["install", "DESTDIR=\(stage)"], cwd: clone, environment: env)
        try #require(make.status == 0, "\(make)")

        // The binary, under the default PREFIX, runs from the stage.
        let bin = stage + "/usr/local/bin/attest"
        #expect((try FileManager.default.attributesOfItem(atPath: bin)[.posixPermissions] as? Int) == 0o755)
        let version = run(bin, ["--version"], environment: env)
        #expect(version.status == 0 && version.stdout == run(attestBinary, ["--version"]).stdout, "\(version)")
        let help = run(bin, ["help"], environment: env)
        #expect(help.status == 0, "\(help)")
        // libpq and libcurl are opened when first used, not at start (docs/hook.md, "Start-up"):
        // the loader (ldd) lists neither, and the Swift runtime and Foundation are inside.
        let libraries = run("ldd", [bin]).stdout
        #expect(libraries.contains("libgit2") && !libraries.contains("libpq") && !libraries.contains("libcurl")
                && !libraries.contains("libswiftCore") && !libraries.contains("libFoundation"), "\(libraries)")
        let commands = help.stdout.components(separatedBy: "\nCommands:\n")[1].components(separatedBy: "\n\n")[0]
            .split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        // The staged binary knows the same commands as the one the tests built.
        let built = run(attestBinary, ["help"]).stdout.components(separatedBy: "\nCommands:\n")[1].components(separatedBy: "\n\n")[0]
            .split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(commands == built && commands.contains("sign") && commands.contains("hook"), "\(commands)")

        // Every command has a page, and every page formats without a groff warning.
        let man1 = stage + "/usr/local/share/man/man1"
        let pages = Set(try FileManager.default.contentsOfDirectory(atPath: man1))
        #expect(pages == Set(commands.map { "attest-\($0).1" } + ["attest.1"]), "\(pages.sorted())")
        for page in pages.sorted() {
            #expect((try FileManager.default.attributesOfItem(atPath: man1 + "/" + page)[.posixPermissions] as? Int) == 0o644, "\(page)")
            for e in [env, ascii] {
                let shown = run("man", ["--warnings", "-l", man1 + "/" + page], environment: e)
                #expect(shown.status == 0 && shown.stderr.isEmpty && shown.stdout.contains("\nNAME\n"), "\(page) \(e["LC_ALL"]!): \(shown)")
                #expect(!shown.stdout.contains("<section>"), "\(page) \(e["LC_ALL"]!)")
            }
        }

        // The sign page is docs/sign.md: its name line, its synopsis, every option it lists and
        // every section, and the pointer back to the source.
        let sign = run("man", ["-l", man1 + "/attest-sign.1"], environment: env)
        try #require(sign.status == 0, "\(sign)")
        let text = sign.stdout
        let doc = try String(contentsOfFile: clone + "/docs/sign.md", encoding: .utf8)
        #expect(text.hasPrefix("ATTEST-SIGN(1)"), "\(text.prefix(200))")
        #expect(text.contains("NAME\n       attest-sign - commit the quarter's attestation file as the sign-off,"), "\(text.prefix(400))")
        #expect(text.contains("SYNOPSIS\n       attest [-c key=value]... sign [--quarter YYYY-QN] [--evidence DIR]"), "\(text.prefix(600))")
        let options = Self.documentedOptions(doc)
        // docs/sign.md lists exactly the options of sign's usage line, in its order.
        let usage = run(attestBinary, ["help", "sign"]).stdout.split(separator: "\n")[0]
        let accepted = usage.split(whereSeparator: { " []".contains($0) }).map(String.init).filter { $0.hasPrefix("--") }
        #expect(options == accepted && options.contains("--quarter") && options.contains("--tsa"), "\(options) vs \(accepted)")
        for option in options { #expect(text.contains("\n       \(option)"), "\(option) is not an entry of the page") }
        for heading in Self.headings(doc) { #expect(text.contains("\n\(heading)\n"), "section \(heading) is missing") }
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("SEE ALSO attest(1), attest-evidence(1), attest-render(1)") && words.contains("docs/sign.md in the attest sources"), "\(words.suffix(300))")
        // A code block stays verbatim, indented; table cells beyond the second keep their header.
        #expect(text.contains("\n             steps: 6 passed, 1 with a finding\n"), "\(text)")
        #expect(text.contains("Default: the quarter whose window is open now"), "\(text)")

        // Each command page carries its doc's sections and options; attest.1 lists every command.
        for command in commands {
            let page = run("man", ["-l", man1 + "/attest-\(command).1"], environment: env).stdout
            let md = try String(contentsOfFile: clone + "/docs/\(command).md", encoding: .utf8)
            for heading in Self.headings(md) { #expect(page.contains("\n\(heading)\n"), "attest-\(command)(1): section \(heading) is missing") }
            for option in Self.documentedOptions(md) { #expect(page.contains(option), "attest-\(command)(1): \(option) is missing") }
        }
        let main = run("man", ["-l", man1 + "/attest.1"], environment: env).stdout
        for command in commands { #expect(main.contains("attest-\(command)(1)"), "attest(1) does not point at attest-\(command)(1)") }
        #expect(main.contains("signing.required"), "attest(1) lacks the policy keys")

        // `man attest-sign` finds it by name once the stage's man folder is on the manual path.
        let byName = run("man", ["-M", stage + "/usr/local/share/man", "attest-sign"], environment: env)
        #expect(byName.status == 0 && byName.stdout == text, "\(byName)")

        // The completions, where bash-completion, zsh and fish look under PREFIX, each the
        // script the binary prints; the installed bash one completes a command line.
        let share = stage + "/usr/local/share/"
        for (shell, path) in [("bash", "bash-completion/completions/attest"), ("zsh", "zsh/site-functions/_attest"), ("fish", "fish/vendor_completions.d/attest.fish")] {
            let installed = try String(contentsOfFile: share + path, encoding: .utf8)
            #expect(installed == run(bin, ["completion", shell], environment: env).stdout && installed.contains("attest"), "\(path)")
            #expect((try FileManager.default.attributesOfItem(atPath: share + path)[.posixPermissions] as? Int) == 0o644, "\(path)")
        }
        let completed = run("bash", ["--norc", "--noprofile", "-c", "source \(share)bash-completion/completions/attest; COMP_WORDS=(attest sig); COMP_CWORD=1; _attest; echo \"${COMPREPLY[*]}\""], environment: env)
        #expect(completed.status == 0 && completed.stdout == "sign\n", "\(completed)")
        // fish, as a user starts it (HOME is the scratch folder), loads the vendor file by
        // itself for the attest on PATH when PREFIX/share is on XDG_DATA_DIRS.
        var xdg = env
        xdg["XDG_DATA_DIRS"] = share + ":/usr/share"
        xdg["PATH"] = stage + "/usr/local/bin:" + (env["PATH"] ?? "/usr/bin:/bin")
        let fish = run("fish", ["-c", "complete -C 'attest completion '"], cwd: scratch.path, environment: xdg)
        #expect(fish.status == 0 && fish.stdout.split(separator: "\n").sorted() == ["bash", "fish", "zsh"], "\(fish)")
    }

    /// A command without its docs page stops the generator with the page's name, before any
    /// page is written.
    @Test func aCommandWithoutADocsPageIsAnErrorAndWritesNothing() throws {
        let scratch = Scratch("gen-man")
        let copy = scratch.path + "/src"
        for item in ["scripts", "docs", "README.md"] {
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: packageRoot + "/" + item, toPath: copy + "/" + item)
        }
        try FileManager.default.removeItem(atPath: copy + "/docs/status.md")
        let out = scratch.path + "/man1"
        let r = run(copy + "/scripts/gen-man", ["--attest", attestBinary, "--out", out])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("attest help lists 'status' but \(copy)/docs/status.md cannot be read"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
