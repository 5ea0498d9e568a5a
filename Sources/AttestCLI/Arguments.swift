import AttestCore

/// What a command accepts: named options (with or without a value, repeatable or not) and
/// positionals. Parsing is hand-written: `--name value`, `--name=value`, flags, `--`.
public struct ArgumentSpec: Sendable {
    public struct Option: Sendable {
        public let name: String
        public let valueName: String?
        public let repeatable: Bool
        public init(_ name: String, value: String? = nil, repeatable: Bool = false) {
            self.name = name; self.valueName = value; self.repeatable = repeatable
        }
    }
    public var options: [Option]
    /// Names of positionals, for the usage line; `minPositionals...maxPositionals` are allowed.
    public var minPositionals: Int
    public var maxPositionals: Int

    public init(options: [Option] = [], positionals: ClosedRange<Int> = 0...0) {
        self.options = options; self.minPositionals = positionals.lowerBound; self.maxPositionals = positionals.upperBound
    }
}

/// The parsed command line of one command.
public struct ParsedArguments: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positionals: [String] = []
    public private(set) var helpRequested = false

    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    public static func parse(_ args: [String], spec: ArgumentSpec) throws(AttestError) -> ParsedArguments {
        var out = ParsedArguments()
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
            guard let opt = spec.options.first(where: { $0.name == name }) else {
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
        if out.positionals.count > spec.maxPositionals {
            throw .usage("unexpected argument '\(out.positionals[spec.maxPositionals])'")
        }
        if out.positionals.count < spec.minPositionals {
            throw .usage("missing argument")
        }
        return out
    }
}
