import Foundation
internal import CZlib

/// A failure reading a gzip stream (zlib's own message, the file, and how far it got), or
/// compressing one in memory (no file: `path` is nil).
public struct GzipError: SystemError {
    public let path: String?
    public let message: String
    public init(path: String?, message: String) { self.path = path; self.message = message }
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}

/// Reads a file that may be gzip-compressed, streaming: `read(into:)` fills a caller's buffer
/// with decompressed bytes, so a large export never sits in memory whole.
///
/// Foundation on Linux cannot inflate, so this wraps zlib (`inflate` with automatic gzip
/// header detection). Concatenated gzip members (`cat a.gz b.gz`) are read as one stream, as
/// `gzip -d` does. A stream that ends before its trailer is an error naming the file and the
/// bytes decompressed so far: a truncated export must never pass for a short one.
/// A file that does not start with the gzip magic is passed through unchanged.
public final class GzipReader {
    private let fd: Int32
    public let path: String
    public let isCompressed: Bool
    private var stream = z_stream()
    private var input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 20
    private var inflating = false
    private var finished = false
    /// Decompressed bytes handed out so far.
    public private(set) var produced: UInt64 = 0
    /// Raw input not yet consumed, for a plain (uncompressed) file's first bytes.
    private var pending = 0

    public init(path: String) throws(GzipError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GzipError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        input = .allocate(capacity: inputCapacity)
        // Peek the first two bytes for the gzip magic 1f 8b.
        var n = 0
        while n < 2 {
            let r = Glibc.read(fd, input + n, 2 - n)
            if r < 0 { if errno == EINTR { continue }; break }
            if r == 0 { break }
            n += r
        }
        pending = n
        isCompressed = n == 2 && input[0] == 0x1f && input[1] == 0x8b
        if isCompressed {
            // 15 + 32: the largest window, gzip or zlib header detected automatically.
            let rc = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                Glibc.close(fd); input.deallocate()
                throw GzipError(path: path, message: "zlib inflateInit failed (\(rc))")
            }
            inflating = true
            stream.next_in = input
            stream.avail_in = UInt32(n)
            pending = 0
        }
    }

    deinit {
        if inflating { inflateEnd(&stream) }
        Glibc.close(fd)
        input.deallocate()
    }

    /// Fills up to `buffer.count` bytes; returns 0 at the end of the data.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(GzipError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if !isCompressed {
            var off = 0
            if pending > 0 {
                let k = min(pending, buffer.count)
                base.copyMemory(from: input, byteCount: k)
                if k < pending { memmove(input, input + k, pending - k) }
                pending -= k; off = k
                if off == buffer.count { produced += UInt64(off); return off }
            }
            while true {
                let r = Glibc.read(fd, base + off, buffer.count - off)
                if r < 0 { if errno == EINTR { continue }; throw GzipError(path: path, message: "read failed: \(String(cString: strerror(errno)))") }
                produced += UInt64(off + r)
                return off + r
            }
        }
        if finished { return 0 }
        stream.next_out = base.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let want = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let r = Glibc.read(fd, input, inputCapacity)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw GzipError(path: path, message: "read failed: \(String(cString: strerror(errno)))")
                }
                if r == 0 {
                    // End of file: clean only between members.
                    if stream.total_in == 0 && stream.total_out == 0 && producedInMember == 0 { finished = true; break }
                    throw GzipError(path: path, message: "truncated gzip data: the file ends inside a compressed stream after \(produced + UInt64(want - Int(stream.avail_out))) decompressed bytes; the export is incomplete, fetch it again")
                }
                stream.next_in = input
                stream.avail_in = UInt32(r)
            }
            let before = stream.avail_out
            let rc = inflate(&stream, Z_NO_FLUSH)
            producedInMember += Int(before - stream.avail_out)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another member may follow (concatenated .gz files).
                inflateReset(&stream)
                producedInMember = 0
                if stream.avail_in == 0 {
                    let r = Glibc.read(fd, input, inputCapacity)
                    if r <= 0 { finished = true; break }
                    stream.next_in = input
                    stream.avail_in = UInt32(r)
                }
                // Trailing zero padding after the last member is tolerated, as gzip does.
                if allZero(stream.next_in, Int(stream.avail_in)) {
                    var more = true
                    while more {
                        let r = Glibc.read(fd, input, inputCapacity)
                        if r <= 0 { more = false } else if !allZero(input, r) {
                            throw GzipError(path: path, message: "trailing garbage after the last gzip member")
                        }
                    }
                    finished = true
                }
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw GzipError(path: path, message: "corrupt gzip data after \(produced + UInt64(want - Int(stream.avail_out))) decompressed bytes: \(msg)")
            }
            if finished { break }
        }
        let n = want - Int(stream.avail_out)
        produced += UInt64(n)
        return n
    }

    private var producedInMember = 0

    private func allZero(_ p: UnsafeMutablePointer<UInt8>?, _ n: Int) -> Bool {
        guard let p, n > 0 else { return n == 0 ? false : true }
        for i in 0..<n where p[i] != 0 { return false }
        return true
    }
}

/// gzip compression with a fixed header (RFC 1952: no name, MTIME 0, XFL 2, OS 255), so the same
/// input always gives the same bytes (TarArchive.gzipped, the auditor's packet).
public enum Gzip {
    public static func compress(_ input: Data) throws(GzipError) -> Data {
        var stream = z_stream()
        // Raw deflate (-15): this writer puts the header and trailer itself, so zlib's
        // OS byte (which differs between builds of zlib) never reaches the file.
        guard deflateInit2_(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError(path: nil, message: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var out = Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255])
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var buffer = [UInt8](repeating: 0, count: bound + 64)
        var input = input
        let rc: Int32 = input.withUnsafeMutableBytes { (src: UnsafeMutableRawBufferPointer) -> Int32 in
            buffer.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) -> Int32 in
                stream.next_in = src.bindMemory(to: Bytef.self).baseAddress
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw GzipError(path: nil, message: "zlib deflate did not finish (\(rc))") }
        out += buffer[0..<Int(stream.total_out)]
        let crc = input.withUnsafeBytes { p in crc32(0, p.bindMemory(to: Bytef.self).baseAddress, uInt(p.count)) }
        func le32(_ v: UInt) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        out += le32(UInt(crc))
        out += le32(UInt(input.count & 0xffff_ffff))
        return out
    }
}
