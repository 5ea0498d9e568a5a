import Foundation
import Testing
import AttestSystem
import AttestTestSupport

@Suite struct GzipReaderTests {
    func readAll(_ path: String, chunk: Int = 4096) throws -> Data {
        let r = try GzipReader(path: path)
        var out = Data()
        var buf = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = try buf.withUnsafeMutableBytes { try r.read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    @Test func plainFilesPassThrough() throws {
        let s = Scratch("gz")
        let text = String(repeating: "2026-01-05 10:00:00 UTC LOG:  AUDIT: x\n", count: 5000)
        let p = s.write("plain.log", text)
        #expect(try readAll(p, chunk: 7) == Data(text.utf8))
        #expect(try readAll(s.write("one.log", "x")) == Data("x".utf8))
        #expect(try readAll(s.write("empty.log", "")).isEmpty)
    }

    @Test func concatenatedMembersReadLikeGzip() throws {
        let s = Scratch("gz")
        let a = s.write("a.log", String(repeating: "first member line\n", count: 20000))
        let b = s.write("b.log", String(repeating: "second member line\n", count: 30000))
        #expect(run("gzip", ["-9", a]).status == 0 && run("gzip", ["-1", b]).status == 0)
        let both = s.path + "/both.log.gz"
        let joined = try Data(contentsOf: URL(fileURLWithPath: a + ".gz")) + Data(contentsOf: URL(fileURLWithPath: b + ".gz"))
        try joined.write(to: URL(fileURLWithPath: both))
        let mine = s.path + "/mine.log"
        try readAll(both, chunk: 65536).write(to: URL(fileURLWithPath: mine))
        let oracle = run("bash", ["-c", "gzip -dc \"$0\" | cmp - \"$1\"", both, mine])
        #expect(oracle.status == 0, "\(oracle)")
    }

    @Test(arguments: [0.25, 0.5, 0.99])
    func truncatedStreamIsAnErrorNamingTheFile(_ keep: Double) throws {
        let s = Scratch("gz")
        let a = s.write("t.log", String(repeating: "a line that compresses well enough\n", count: 50000))
        #expect(run("gzip", ["-9", a]).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: a + ".gz"))
        try data.prefix(Int(Double(data.count) * keep)).write(to: URL(fileURLWithPath: a + ".gz"))
        do {
            _ = try readAll(a + ".gz")
            Issue.record("expected an error")
        } catch let error as GzipError {
            #expect(error.description.hasPrefix(a + ".gz: "), "\(error)")
            #expect(error.description.contains("truncated gzip data") || error.description.contains("corrupt gzip data"), "\(error)")
        }
    }

    @Test func corruptStreamIsAnError() throws {
        let s = Scratch("gz")
        let a = s.write("c.log", String(repeating: "some text for the stream\n", count: 1000))
        #expect(run("gzip", ["-9", a]).status == 0)
        var data = try Data(contentsOf: URL(fileURLWithPath: a + ".gz"))
        for i in 20..<60 { data[i] ^= 0x5a }
        try data.write(to: URL(fileURLWithPath: a + ".gz"))
        #expect(throws: GzipError.self) { _ = try readAll(a + ".gz") }
    }

    /// The compressor's output is what gzip(1) reads back, and the same input gives the same bytes.
    @Test func compressIsReadByGzipAndDeterministic() throws {
        let s = Scratch("gz")
        let text = Data(String(repeating: "packet/VERIFY.md line\n", count: 4000).utf8)
        let once = try Gzip.compress(text)
        #expect(try Gzip.compress(text) == once)
        #expect(once.prefix(10) == Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]))
        try once.write(to: URL(fileURLWithPath: s.path + "/c.gz"))
        let back = run("gzip", ["-dc", s.path + "/c.gz"])
        #expect(back.status == 0 && back.stdout == String(decoding: text, as: UTF8.self), "\(back)")
        #expect(try readAll(s.path + "/c.gz") == text)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: GzipError.self) { _ = try GzipReader(path: "/nonexistent/x.gz") }
    }
}
