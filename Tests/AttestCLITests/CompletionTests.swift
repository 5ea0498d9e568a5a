import Foundation
import Testing
import AttestTestSupport
@testable import AttestCLI

/// `attest completion`: each shell's script, run by that shell on real command lines: bash's
/// completion function with COMP_WORDS set, fish's `complete -C`, zsh's completion widget in an
/// interactive zsh on a pseudo-terminal; and zsh's `compinit` registers the script for attest.
@Suite struct CompletionTests {
    let scratch = Scratch("completion")

    func script(_ shell: String) throws -> String {
        let r = cli(["completion", shell], in: scratch.path)
        try #require(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let path = scratch.path + "/attest.\(shell)"
        try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The quarters the scripts offer: the previous, the current and the next UTC year's.
    var quarters: [String] {
        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
        return (year - 1...year + 1).flatMap { y in (1...4).map { "\(y)-Q\($0)" } }
    }

    /// Every case's COMPREPLY from one bash run: the words as bash splits a line (at '=' too).
    func bash(_ cases: [[String]], cwd: String? = nil) throws -> [[String]] {
        let file = try script("bash")
        var driver = "source \(file)\n"
        for words in cases {
            let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            driver += "COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMPREPLY=(); _attest; printf '%s\\n' \"${COMPREPLY[@]}\" | sort; echo '--end--'\n"
        }
        let r = run("bash", ["--norc", "--noprofile", "-c", driver], cwd: cwd ?? scratch.path, environment: testEnvironment(home: scratch.path))
        try #require(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let blocks = r.stdout.components(separatedBy: "--end--\n").dropLast()
        try #require(blocks.count == cases.count, "\(r.stdout)")
        return blocks.map { $0.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
    }

    @Test func bashCompletesCommandsOptionsSubcommandsAndValues() throws {
        let commands = CLI.commands.map { $0.name }
        var cases: [[String]] = [["attest", ""], ["attest", "si"], ["attest", "-"], ["attest", "-c", "attest.f"], ["attest", "-c", "x", "=", "y", "sig"],
                                 ["attest", "help", ""], ["attest", "sign", "--quarter", ""], ["attest", "sign", "--quarter", "=", "2026-Q"],
                                 ["attest", "audit", "--format", ""], ["attest", "evidence", "--quarter", "2026-Q1", ""], ["attest", "evidence", "seal", ""],
                                 ["attest", "hook", "in"], ["attest", "sign", "--reason", ""], ["attest", "collect", "--out", ""], ["attest", "render", "--template", "t"]]
        let perCommand = commands.map { ["attest", $0, "--"] }
        cases += perCommand
        try FileManager.default.createDirectory(atPath: scratch.path + "/work/templates", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: scratch.path + "/work/t.mustache"))
        let got = try bash(cases, cwd: scratch.path + "/work")
        #expect(Set(got[0]) == Set(commands + ["help"]), "\(got[0])")
        #expect(got[1] == ["sign"])
        #expect(Set(got[2]) == ["-c", "--version", "--help", "-h"], "\(got[2])")
        #expect(got[3] == ["attest.folder="], "\(got[3])")
        #expect(got[4] == ["sign"], "-c key=value is skipped to find the command: \(got[4])")
        #expect(Set(got[5]) == Set(commands + ["config"]), "\(got[5])")
        #expect(got[6] == quarters.sorted(), "\(got[6])")
        #expect(got[7] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"].filter(quarters.contains), "\(got[7])")
        #expect(got[8] == ["html", "json", "markdown", "text"], "\(got[8])")
        #expect(got[9] == ["dispose", "open", "reseal", "seal"], "the subcommand after an option's value: \(got[9])")
        #expect(got[10].isEmpty, "one subcommand only: \(got[10])")
        #expect(got[11] == ["install"], "\(got[11])")
        #expect(got[12].isEmpty, "free text: \(got[12])")
        #expect(got[13] == ["templates"], "folders only: \(got[13])")
        #expect(got[14] == ["t.mustache", "templates"], "files: \(got[14])")
        for (i, cmd) in CLI.commands.enumerated() {
            let offered = got[15 + i]
            #expect(Set(offered) == Set(cmd.spec.options.map { "--" + $0.name } + ["--help"]), "attest \(cmd.name) --<TAB>: \(offered)")
        }
    }

    @Test func fishCompletesTheSameDeclarations() throws {
        let file = try script("fish")
        let lines = ["attest ", "attest sign --quarter ", "attest audit --format=", "attest evidence --quarter 2026-Q1 ", "attest -c attest.f", "attest help "]
            + CLI.commands.map { "attest \($0.name) --" }
        let driver = "source \(file)\n" + lines.map { "complete -C '\($0)'; echo --end--" }.joined(separator: "\n")
        let r = run("fish", ["--no-config", "-c", driver], cwd: scratch.path, environment: testEnvironment(home: scratch.path))
        try #require(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let got = r.stdout.components(separatedBy: "--end--\n").dropLast().map { block in
            block.split(separator: "\n").map { String($0.split(separator: "\t", maxSplits: 1)[0]) }
        }
        try #require(got.count == lines.count, "\(r.stdout)")
        #expect(Set(got[0]) == Set(CLI.commands.map { $0.name } + ["help"]), "\(got[0])")
        #expect(Set(got[1]) == Set(quarters), "\(got[1])")
        #expect(Set(got[2]) == ["--format=text", "--format=json", "--format=markdown", "--format=html"], "\(got[2])")
        #expect(Set(got[3]) == ["seal", "open", "reseal", "dispose"], "\(got[3])")
        #expect(got[4] == ["attest.folder="], "\(got[4])")
        #expect(Set(got[5]) == Set(CLI.commands.map { $0.name } + ["config"]), "\(got[5])")
        for (i, cmd) in CLI.commands.enumerated() {
            #expect(Set(got[6 + i]) == Set(cmd.spec.options.map { "--" + $0.name } + ["--help"]), "attest \(cmd.name) --<TAB>: \(got[6 + i])")
        }
    }

    @Test func zshParsesTheScriptAndCompinitRegistersItForAttest() throws {
        let file = try script("zsh")
        let parse = run("zsh", ["-n", file])
        #expect(parse.status == 0 && parse.stderr.isEmpty, "\(parse)")
        let folder = scratch.path + "/site-functions"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: folder + "/_attest")
        let r = run("zsh", ["-f", "-c", "fpath=(\(folder) $fpath); autoload -U compinit; compinit -u -D; print -r -- $_comps[attest]; autoload -Uz +X _attest && whence -w _attest"],
                    environment: testEnvironment(home: scratch.path))
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdout == "_attest\n_attest: function\n", "\(r)")
    }

    /// zsh completes in a real interactive zsh on a pseudo-terminal (zsh/zpty): the line is
    /// typed, TAB pressed, and every match completion would offer is printed, then the shell exits.
    @Test func zshCompletesTheSameDeclarationsInAnInteractiveShell() throws {
        let file = try script("zsh")
        let folder = scratch.path + "/zfunc"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: folder + "/_attest")
        // Run in the shell under test: compinit with the script on $fpath; compadd wrapped to
        // print each match ("" first: the typed line has no newline), and an end marker.
        let setup = scratch.path + "/setup.zsh"
        try """
        PS1='' RPROMPT=''
        fpath=(\(folder) $fpath)
        autoload -U compinit && compinit -u -D
        compadd() {
          if (( ${argv[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
          local -a hits
          builtin compadd -O hits "$@"
          (( $#hits )) && print -r -l -- "" "${hits[@]/#/MATCH:}"
          builtin compadd "$@"
        }
        _attest_test_end() { print -r -- ENDOFMATCHES; exit }
        comppostfuncs=(_attest_test_end)
        bindkey '^I' complete-word

        """.write(toFile: setup, atomically: true, encoding: .utf8)
        let lines = ["attest ", "attest sign --quarter ", "attest audit --format=", "attest evidence --quarter 2026-Q1 ", "attest -c attest.f", "attest help "]
            + CLI.commands.map { "attest \($0.name) --" }
        let driver = """
        zmodload zsh/zpty
        for typed in "$@"; do
          zpty z 'zsh -f -i'
          zpty -w z "source \(setup)"
          zpty -wn z "$typed"$'\\t'
          while zpty -r z line; do print -rn -- "$line"; [[ $line == *ENDOFMATCHES* ]] && break; done
          zpty -d z
          print -r -- "--end--"
        done
        """
        // timeout: a completion that never ends the shell fails the test instead of hanging it.
        let r = run("timeout", ["120", "zsh", "-f", "-c", driver, "zsh"] + lines, cwd: scratch.path, environment: testEnvironment(home: scratch.path))
        try #require(r.status == 0, "\(r)")
        let got = r.stdout.replacingOccurrences(of: "\r", with: "").components(separatedBy: "--end--\n").dropLast().map { block in
            Set(block.split(separator: "\n").filter { $0.hasPrefix("MATCH:") }.map { String($0.dropFirst(6)) })
        }
        try #require(got.count == lines.count, "\(r.stdout)")
        #expect(got[0] == Set(CLI.commands.map { $0.name } + ["help"]), "\(got[0])")
        #expect(got[1] == Set(quarters), "\(got[1])")
        #expect(got[2] == ["text", "json", "markdown", "html"], "\(got[2])")
        #expect(got[3] == ["seal", "open", "reseal", "dispose"], "\(got[3])")
        #expect(got[4] == ["attest.folder="], "\(got[4])")
        #expect(got[5] == Set(CLI.commands.map { $0.name } + ["config"]), "\(got[5])")
        for (i, cmd) in CLI.commands.enumerated() {
            #expect(got[6 + i] == Set(cmd.spec.options.map { "--" + $0.name } + ["--help"]), "attest \(cmd.name) --<TAB>: \(got[6 + i].sorted())")
        }
    }

    @Test func anUnknownShellIsAUsageError() {
        let r = cli(["completion", "tcsh"], in: scratch.path)
        #expect(r.status == 2 && r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.hasPrefix("error: 'completion tcsh': attest completes bash, zsh or fish\nusage: attest completion (bash | zsh | fish)\n"), "\(r)")
    }
}
