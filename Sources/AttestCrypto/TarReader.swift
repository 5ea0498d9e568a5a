import Foundation

/// Reads a ustar archive that came from outside (a sealed evidence blob, once opened), treating
/// every byte as hostile: only regular files and folders, names that are plain relative paths
/// (no leading `/`, no `..` or `.` part, no control character), no links, devices, FIFOs or
/// pax/GNU extension headers, header checksums that match, and declared sizes within both the
/// archive and `maxFileSize`. Nothing is written anywhere: the caller gets the entries in memory
/// and decides where they go.
public enum TarReader {
    public struct File: Sendable, Equatable {
        public let path: String
        public let data: Data
    }

    /// The regular files of `archive`, in archive order; folders are checked and skipped.
    /// The first problem throws, naming the entry and its offset.
    public static func files(_ archive: Data, maxFileSize: Int = 1 << 30, maxFiles: Int = 10_000) throws(ArchiveError) -> [File] {
        let bytes = [UInt8](archive)
        var files: [File] = []
        var seen = Set<String>()
        var offset = 0
        var ended = false
        while offset + 512 <= bytes.count {
            let h = bytes[offset..<offset + 512]
            if h.allSatisfy({ $0 == 0 }) { ended = true; break }
            let at = "the archive entry at byte \(offset)"
            guard let stored = octal(h, 148, 8) else { throw ArchiveError("\(at) has no valid header checksum") }
            var sum = 0
            for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(b) }
            guard sum == stored else { throw ArchiveError("\(at): its header checksum does not match (a damaged or non-tar archive)") }
            guard Array(bytes[offset + 257..<offset + 262]) == Array("ustar".utf8) else {
                throw ArchiveError("\(at) is not a ustar header")
            }
            let name = string(h, 0, 100), prefix = string(h, 345, 155)
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let shown = path.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
            let type = h[h.startIndex + 156]
            guard let size = octal(h, 124, 12) else { throw ArchiveError("\(at) ('\(shown)'): its size field is not an octal number") }
            switch type {
            case UInt8(ascii: "0"), 0: break
            case UInt8(ascii: "5"):
                guard size == 0 else { throw ArchiveError("\(at) ('\(shown)'): a folder with a size") }
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw ArchiveError("'\(shown)' is a link; a sealed evidence archive holds only regular files, refused")
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
                throw ArchiveError("'\(shown)' is a device or FIFO; a sealed evidence archive holds only regular files, refused")
            default:
                throw ArchiveError("'\(shown)' has entry type '\(Character(Unicode.Scalar(type)))' (an extension or special entry); refused")
            }
            let clean = path.hasSuffix("/") && type == UInt8(ascii: "5") ? String(path.dropLast()) : path
            do { try TarArchive.checkName(clean) } catch {
                throw ArchiveError("'\(shown)' is not a plain relative path (absolute, '..', '.' or a control character); refused")
            }
            guard size <= maxFileSize else {
                throw ArchiveError("'\(shown)' declares \(size) bytes, more than the \(maxFileSize)-byte limit; refused")
            }
            let start = offset + 512
            guard size <= bytes.count - start else {
                throw ArchiveError("'\(shown)' declares \(size) bytes but the archive has only \(bytes.count - start) after its header; refused")
            }
            if type != UInt8(ascii: "5") {
                guard seen.insert(clean).inserted else { throw ArchiveError("'\(shown)' appears twice in the archive; refused") }
                guard files.count < maxFiles else { throw ArchiveError("more than \(maxFiles) files in the archive; refused") }
                files.append(File(path: clean, data: Data(bytes[start..<start + size])))
            }
            offset = start + (size + 511) / 512 * 512
        }
        guard ended else { throw ArchiveError("the archive ends without its end-of-archive blocks (truncated)") }
        return files
    }

    static func string(_ h: ArraySlice<UInt8>, _ at: Int, _ width: Int) -> String {
        let field = h[(h.startIndex + at)..<(h.startIndex + at + width)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (spaces and NULs around the digits allowed); nil for anything else,
    /// including the base-256 form, which attest never writes.
    static func octal(_ h: ArraySlice<UInt8>, _ at: Int, _ width: Int) -> Int? {
        let field = h[(h.startIndex + at)..<(h.startIndex + at + width)]
        let digits = field.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ (0x30...0x37).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
    }
}

/// The deterministic archive of one evidence folder: its regular files at the top level of a
/// ustar (the `TarArchive` writer: sorted names, mtime 0, uid/gid 0, mode 0644), so the same
/// folder always gives the same bytes and `tar -x` in an empty folder followed by
/// `sha256sum -c SHA256SUMS` checks it. A subfolder, a link or anything but a regular file in
/// the folder is refused: evidence is flat.
public enum EvidenceArchive {
    public static func pack(folder: String) throws(ArchiveError) -> Data {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw ArchiveError("cannot list the evidence folder \(folder): \(error.localizedDescription)")
        }
        var tar = TarArchive(mtime: 0)
        for name in names.sorted() {
            let path = folder + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))") }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw ArchiveError("\(path) is not a regular file (a folder, link or device); an evidence folder holds only the files collect wrote")
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw ArchiveError("cannot read \(path)") }
            tar.add(name, data)
        }
        guard !tar.entries.isEmpty else { throw ArchiveError("the evidence folder \(folder) is empty") }
        return try tar.tarBytes()
    }
}
