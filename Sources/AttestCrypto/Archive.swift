import Foundation
import AttestSystem

/// A deterministic `.tar.gz`: the same entries always give the same bytes.
///
/// The tar is POSIX ustar: entries sorted by name (folders implied by the files are added),
/// every header with the same mtime, uid/gid 0, no user or group names, mode 0644 for files
/// (0755 for folders and files marked executable). The gzip stream has a fixed header (no file
/// name, mtime 0, OS byte 255 "unknown") and zlib's deflate at level 9, so no byte depends on the
/// machine, the clock or the order the caller added the files in.
///
/// ```swift
/// var tar = TarArchive(mtime: 1767225600)
/// tar.add("packet/VERIFY.md", Data(text.utf8))
/// let bytes = try tar.gzipped()
/// ```
public struct TarArchive: Sendable {
    public struct Entry: Sendable {
        public var path: String
        public var data: Data
        public var executable: Bool
    }

    public let mtime: Int
    public private(set) var entries: [String: Entry] = [:]

    public init(mtime: Int) { self.mtime = max(0, mtime) }

    /// Adds a file; a later file with the same path replaces the earlier one.
    public mutating func add(_ path: String, _ data: Data, executable: Bool = false) {
        entries[path] = Entry(path: path, data: data, executable: executable)
    }

    /// The ustar bytes, padded to a whole 10240-byte record as tar(1) writes them.
    public func tarBytes() throws(ArchiveError) -> Data {
        var folders = Set<String>()
        for path in entries.keys {
            try Self.checkName(path)
            var parts = path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                folders.insert(parts.joined(separator: "/") + "/")
                parts = parts.dropLast()
            }
        }
        let names = (Array(folders) + Array(entries.keys)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var out = Data()
        for name in names {
            if let e = entries[name] {
                out += try header(name: name, size: e.data.count, mode: e.executable ? 0o755 : 0o644, type: "0")
                out += e.data
                let pad = (512 - e.data.count % 512) % 512
                out += Data(count: pad)
            } else {
                out += try header(name: name, size: 0, mode: 0o755, type: "5")
            }
        }
        out += Data(count: 1024)
        out += Data(count: (10240 - out.count % 10240) % 10240)
        return out
    }

    public func gzipped() throws(ArchiveError) -> Data {
        let tar = try tarBytes()
        do { return try Gzip.compress(tar) } catch { throw ArchiveError(error.message) }
    }

    /// A relative path of plain components: no `..`, no empty part, no leading `/`.
    public static func checkName(_ path: String) throws(ArchiveError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }),
              path.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw ArchiveError("'\(path)' is not a plain relative path for an archive entry")
        }
    }

    func header(name: String, size: Int, mode: Int, type: Character) throws(ArchiveError) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, at offset: Int, width: Int) {
            let b = Array(s.utf8)
            for (i, c) in b.prefix(width).enumerated() { h[offset + i] = c }
        }
        func octal(_ v: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(v, radix: 8).count)) + String(v, radix: 8), at: offset, width: width - 1)
        }
        // Names over 100 bytes go into the 155-byte prefix, split at a '/'.
        let bytes = Array(name.utf8)
        var prefix = "", short = name
        if bytes.count > 100 {
            guard let cut = bytes.indices.reversed().first(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 && $0 > 0 }) else {
                throw ArchiveError("'\(name)' is too long for a ustar header")
            }
            prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            short = String(decoding: bytes[(cut + 1)...], as: UTF8.self)
        }
        guard size < 0o77777777777 else { throw ArchiveError("'\(name)' is larger than ustar allows (8 GiB)") }
        put(short, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        for i in 148..<156 { h[i] = 0x20 }
        h[156] = type.asciiValue!
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        h[155] = 0x20
        return Data(h)
    }
}

public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
