import Foundation
import AttestCore
internal import CGit2

extension Repository {
    /// The policy at the repository root: `.attestconfig` in the working tree (when present),
    /// then the `-c` overrides. A bad key or value is `ConfigError.invalid` naming both.
    public func loadPolicy(overrides: [Policy.Entry] = []) throws(ConfigError) -> Policy {
        var entries: [Policy.Entry] = []
        if let root = workdir {
            let path = root + "/.attestconfig"
            // git_config_open_ondisk does not fail on a missing file; check first.
            if FileManager.default.fileExists(atPath: path) {
                do { entries = try ConfigFile.entries(path: path, displayName: ".attestconfig") } catch {
                    throw .unreadable(path: path, reason: error.message)
                }
            }
        }
        do { return try Policy(entries: entries + overrides) } catch { throw .invalid(error) }
    }
}

/// Reads a git-config file through libgit2.
public enum ConfigFile {
    /// Every setting of the file, in order, with its origin as `displayName:line`.
    public static func entries(path: String, displayName: String) throws(GitError) -> [Policy.Entry] {
        _ = libgit2Initialized
        var cfg: OpaquePointer?
        try check(git_config_open_ondisk(&cfg, path), "read \(path)")
        defer { git_config_free(cfg) }
        return try entries(config: cfg!, displayName: displayName, lines: lineIndex(path: path))
    }

    /// Settings from a config blob held in memory (the `.attestconfig` of some commit), read
    /// through a private temporary file because libgit2 1.5 parses config only from disk.
    public static func entries(contents: Data, displayName: String) throws(GitError) -> [Policy.Entry] {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("attestconfig-\(UUID().uuidString)")
        do { try contents.write(to: tmp, options: .atomic) } catch {
            throw GitError(operation: "read \(displayName)", code: -1, message: error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(at: tmp) }
        return try entries(path: tmp.path, displayName: displayName)
    }

    static func entries(config: OpaquePointer, displayName: String, lines: [String: Int]) throws(GitError) -> [Policy.Entry] {
        var iter: OpaquePointer?
        try check(git_config_iterator_new(&iter, config), "iterate \(displayName)")
        defer { git_config_iterator_free(iter) }
        var out: [Policy.Entry] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while true {
            let rc = git_config_next(&entry, iter)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "iterate \(displayName)")
            let name = String(cString: entry!.pointee.name)
            let value = entry!.pointee.value.map { String(cString: $0) } ?? "true"
            let origin = lines[name.lowercased()].map { "\(displayName):\($0)" } ?? displayName
            out.append(Policy.Entry(name: name, value: value, origin: origin))
        }
        return out
    }

    /// Best-effort line numbers for messages: the last line that sets each `section.key`.
    static func lineIndex(path: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var section = ""
        var index: [String: Int] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                section = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces).lowercased()
                continue
            }
            let key = line.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if !key.isEmpty { index["\(section).\(key)"] = i + 1 }
        }
        return index
    }
}
