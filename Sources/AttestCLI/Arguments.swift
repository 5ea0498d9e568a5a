import AttestCore

/// One option of one command, declared once, where the parser reads it. The same declaration
/// gives the usage line, the Options block of `attest help <command>`, the shell completions
/// (`attest completion`) and the typed look-up the command reads it with.
///
/// To add an option to a command, declare it beside the command's other options and list it in
/// the command's `spec`, in the order the usage line shows it:
///
///     static let evidence = Option("evidence", value: "DIR", help: "the evidence folder (default: evidence/YYYY-QN)")
///     static let json = Flag("json", help: "print {commit, quarter, result} instead of the lines")
///     static let spec = ArgumentSpec(options: [evidence, json])
///
/// read it in `init(arguments:context:)` with `arguments[Self.evidence]` (a `String?`),
/// `arguments[Self.json]` (a `Bool`) or, for `repeatable: true`, `arguments.all(Self.issue)`;
/// and add its row to the options table of docs/<command>.md (`CLIDeclarationTests` fails
/// until the page has it). `required:` and `goesWith:` only shape the usage line (`--from DATE`,
/// `[--key KEY [--cert CERT]]`): the command checks them in `init` with its own message, and
/// `CLIDeclarationTests` proves each one is refused with exit 2. The completion of the value
/// follows the value's name (`YYYY-QN` quarters, `DIR` folders, `FILE`, `KEY`, `CERT` files)
/// unless `completion:` says otherwise.
public struct Option: DeclaredOption {
    public let declaration: OptionDeclaration
    public init(_ name: String, value: String, repeatable: Bool = false, required: Bool = false,
                goesWith parent: (any DeclaredOption)? = nil, completion: ValueCompletion? = nil, help: String) {
        declaration = OptionDeclaration(name: name, valueName: value, repeatable: repeatable, required: required,
                                        parent: parent?.declaration.name, completion: completion ?? ValueCompletion(valueName: value), help: help)
    }
}

/// An option without a value (`--json`); see `Option` for how to declare one.
public struct Flag: DeclaredOption {
    public let declaration: OptionDeclaration
    public init(_ name: String, goesWith parent: (any DeclaredOption)? = nil, help: String) {
        declaration = OptionDeclaration(name: name, valueName: nil, repeatable: false, required: false,
                                        parent: parent?.declaration.name, completion: .none, help: help)
    }
}

/// An `Option` or a `Flag`, as a command's `spec` lists them.
public protocol DeclaredOption: Sendable {
    var declaration: OptionDeclaration { get }
}

/// What every generated text reads of an option.
public struct OptionDeclaration: Sendable, Equatable {
    /// Without the dashes: `evidence` for `--evidence`.
    public let name: String
    /// `DIR` in `--evidence DIR`; nil for a flag.
    public let valueName: String?
    public let repeatable: Bool
    /// Shown without brackets in the usage line (`--from DATE`); required of its parent when it has one.
    public let required: Bool
    /// The option this one goes with, nested inside it in the usage line (`[--key KEY [--cert CERT]]`).
    public let parent: String?
    public let completion: ValueCompletion
    /// One line or several sentences; `attest help` wraps it.
    public let help: String

    /// `--evidence DIR`, as the Options block shows it.
    public var tag: String { "--\(name)" + (valueName.map { " \($0)" } ?? "") }
}

/// What a shell offers for an option's value.
public enum ValueCompletion: Sendable, Equatable {
    case none, file, directory, quarter
    case choices([String])

    init(valueName: String) {
        switch valueName {
        case "YYYY-QN": self = .quarter
        case "DIR": self = .directory
        case _ where ["FILE", "KEY", "CERT"].contains(where: { valueName.hasPrefix($0) }): self = .file
        default: self = .none
        }
    }
}

/// What a command accepts: its declared options and its positionals. Parsing is hand-written:
/// `--name value`, `--name=value`, flags, `--`.
public struct ArgumentSpec: Sendable {
    /// A word that starts a form of the command (`hook install`), the positionals after it and
    /// the options that belong to that form only (shown inside it in the usage line).
    public struct Subcommand: Sendable {
        public let name: String
        public let arguments: [String]
        public let options: [String]
        public init(_ name: String, arguments: [String] = [], options: [any DeclaredOption] = []) {
            self.name = name; self.arguments = arguments; self.options = options.map(\.declaration.name)
        }
    }
    public enum Positionals: Sendable {
        case none
        /// One optional positional, by its name in the usage line (`[REV]`).
        case optional(String)
        /// One of these words first, then its arguments.
        case subcommands([Subcommand])
    }

    public let options: [OptionDeclaration]
    public let positionals: Positionals

    public init(options: [any DeclaredOption] = [], positionals: Positionals = .none) {
        self.options = options.map(\.declaration)
        self.positionals = positionals
        precondition(Set(self.options.map(\.name)).count == self.options.count, "an option is declared twice")
    }

    public var subcommands: [Subcommand] {
        if case .subcommands(let s) = positionals { return s }
        return []
    }

    /// `minPositionals...maxPositionals` are allowed.
    var positionalRange: ClosedRange<Int> {
        switch positionals {
        case .none: return 0...0
        case .optional: return 0...1
        case .subcommands(let s): return 1...(1 + (s.map(\.arguments.count).max() ?? 0))
        }
    }

    public func option(named name: String) -> OptionDeclaration? { options.first { $0.name == name } }

    /// The synopsis after `attest <command> `: positionals, then the options, each in brackets
    /// unless required, an option's companions nested inside it.
    public var synopsis: String {
        let inSubcommand = Set(subcommands.flatMap(\.options))
        func render(_ o: OptionDeclaration) -> String {
            var core = "--\(o.name)"
            if let v = o.valueName {
                if case .choices(let c) = o.completion { core += " " + c.joined(separator: "|") } else { core += " " + v }
            }
            for child in options where child.parent == o.name {
                core += child.required ? " " + render(child) : " [" + render(child) + "]"
            }
            return core
        }
        func top(_ o: OptionDeclaration) -> String {
            let r = render(o)
            let shown = o.required ? r : "[\(r)]"
            return o.repeatable ? shown + "..." : shown
        }
        var parts: [String] = []
        switch positionals {
        case .none: break
        case .optional(let name): parts.append("[\(name)]")
        case .subcommands(let s):
            let forms = s.map { sub in
                ([sub.name] + sub.arguments + sub.options.compactMap { option(named: $0) }.map(top)).joined(separator: " ")
            }
            parts.append(forms.count == 1 ? forms[0] : "(" + forms.joined(separator: " | ") + ")")
        }
        parts += options.filter { $0.parent == nil && !inSubcommand.contains($0.name) }.map(top)
        return parts.joined(separator: " ")
    }

    /// The Options block of `attest help <command>`: one entry per declared option, in the
    /// spec's order, its help wrapped to `width` columns (the width of the prose around it)
    /// three spaces after the widest tag.
    public func optionsBlock(width: Int = 96) -> String {
        guard !options.isEmpty else { return "" }
        let column = 2 + (options.map(\.tag.count).max() ?? 0) + 3
        var s = "Options:\n"
        for o in options {
            let lines = TextWrap.lines(o.help, width: width - column)
            s += "  " + o.tag.padding(toLength: column - 2, withPad: " ", startingAt: 0) + (lines.first ?? "") + "\n"
            for l in lines.dropFirst() { s += String(repeating: " ", count: column) + l + "\n" }
        }
        return s
    }
}

/// Greedy word wrap for help text: words are never split, a word longer than the width gets a
/// line of its own.
enum TextWrap {
    static func lines(_ text: String, width: Int) -> [String] {
        var out: [String] = []
        var line = ""
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if line.isEmpty { line = String(word) } else if line.count + 1 + word.count <= width { line += " " + word } else {
                out.append(line); line = String(word)
            }
        }
        if !line.isEmpty { out.append(line) }
        return out
    }
}

/// The parsed command line of one command, read with the command's declarations:
/// `arguments[Self.evidence]`, `arguments[Self.json]`, `arguments.all(Self.issue)`.
public struct ParsedArguments: Sendable {
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []
    public private(set) var positionals: [String] = []
    public private(set) var helpRequested = false
    /// The names the spec declared: reading anything else is a programming error.
    private var declared: Set<String> = []

    /// The option's value, the last one given; nil when it was not given.
    public subscript(_ option: Option) -> String? { values[checked(option)]?.last }
    /// Whether the flag was given.
    public subscript(_ flag: Flag) -> Bool { flags.contains(checked(flag)) }
    /// Every value of a repeatable option, in the order given.
    public func all(_ option: Option) -> [String] { values[checked(option)] ?? [] }
    /// Whether the option or flag was given at all.
    public func given(_ option: any DeclaredOption) -> Bool {
        let n = checked(option)
        return values[n] != nil || flags.contains(n)
    }

    private func checked(_ option: any DeclaredOption) -> String {
        let n = option.declaration.name
        assert(declared.contains(n), "--\(n) is read but not declared in this command's spec")
        return n
    }

    public static func parse(_ args: [String], spec: ArgumentSpec) throws(AttestError) -> ParsedArguments {
        var out = ParsedArguments()
        out.declared = Set(spec.options.map(\.name))
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" {
                out.positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            if a == "-h" || a == "--help" { out.helpRequested = true; continue }
            guard a.hasPrefix("--") else { throw .usage("unknown option '\(a)'") }
            var name = String(a.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let opt = spec.option(named: name) else {
                throw .usage("unknown option '--\(name)'")
            }
            if let valueName = opt.valueName {
                let v: String
                if let inline { v = inline } else {
                    guard i < args.count else { throw .usage("option '--\(name)' needs a value (\(valueName))") }
                    v = args[i]; i += 1
                }
                if !opt.repeatable, out.values[name] != nil { throw .usage("option '--\(name)' given more than once") }
                out.values[name, default: []].append(v)
            } else {
                if inline != nil { throw .usage("option '--\(name)' takes no value") }
                out.flags.insert(name)
            }
        }
        if out.helpRequested { return out }
        let range = spec.positionalRange
        if out.positionals.count > range.upperBound {
            throw .usage("unexpected argument '\(out.positionals[range.upperBound])'")
        }
        if out.positionals.count < range.lowerBound {
            throw .usage("missing argument")
        }
        return out
    }
}
