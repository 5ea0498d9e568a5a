import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

/// CMS sealing of evidence archives, with the openssl CLI as the oracle, and the hostile-safe
/// tar reader.
@Suite struct EvidenceSealTests {
    func recipient(_ path: String) throws -> RecipientCertificate {
        try RecipientCertificate.load(pem: try Data(contentsOf: URL(fileURLWithPath: path)), name: path)
    }

    /// An evidence folder like collect's: files and a SHA256SUMS over them.
    func evidenceFolder(in s: Scratch) -> String {
        let dir = s.path + "/evidence"
        for (name, text) in [("CC6.1-role-assignment.csv", "role,member\nc,nina\n"), ("results.json", "{\"quarter\":\"2026-Q1\"}\n"),
                             ("CC7.2-pgaudit-sample.txt", "AUDIT: SESSION,1,1,WRITE,INSERT\n")] {
            s.write("evidence/" + name, text)
        }
        let sums = run("/bin/sh", ["-c", "sha256sum CC6.1-role-assignment.csv CC7.2-pgaudit-sample.txt results.json > SHA256SUMS"], cwd: dir)
        precondition(sums.status == 0)
        return dir
    }

    @Test func sealedToRSAAndECOpensWithOpenSSLForEachAndNotForAStranger() throws {
        let s = Scratch("seal")
        let f = RecipientFixture(folder: s.path + "/keys")
        f.make("auditor", .rsa); f.make("operator", .ec); f.make("stranger", .rsa)
        let archive = try EvidenceArchive.pack(folder: evidenceFolder(in: s))
        let sealed = try EvidenceSeal.seal(archive, to: [try recipient(f.cert("auditor")), try recipient(f.cert("operator"))])
        #expect(EvidenceSeal.contentType(sealed) == "id-smime-ct-authEnvelopedData")
        try sealed.write(to: URL(fileURLWithPath: s.path + "/2026-Q1.p7m"))
        let printed = run("openssl", ["cms", "-cmsout", "-print", "-inform", "DER", "-in", s.path + "/2026-Q1.p7m"])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("aes-256-gcm"), "\(printed.stdout.prefix(2000))")
        for name in ["auditor", "operator"] {
            let out = s.path + "/open-\(name)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            // The docs' recipe, verbatim but for the paths.
            let r = run("/bin/sh", ["-c", "openssl cms -decrypt -inform DER -in ../2026-Q1.p7m -recip \(f.cert(name)) -inkey \(f.key(name)) | tar -x && sha256sum -c SHA256SUMS"], cwd: out)
            #expect(r.status == 0, "\(name): \(r)")
            #expect(r.stdout.contains("results.json: OK"))
            // And through attest's own open.
            let plain = try EvidenceSeal.open(sealed, keyPEM: try Data(contentsOf: URL(fileURLWithPath: f.key(name))), keyName: name, certificate: try recipient(f.cert(name)))
            #expect(plain == archive)
            let noCert = try EvidenceSeal.open(sealed, keyPEM: try Data(contentsOf: URL(fileURLWithPath: f.key(name))), keyName: name, certificate: nil)
            #expect(noCert == archive)
        }
        let bad = run("/bin/sh", ["-c", "openssl cms -decrypt -inform DER -in 2026-Q1.p7m -recip \(f.cert("stranger")) -inkey \(f.key("stranger")) > /dev/null"], cwd: s.path)
        #expect(bad.status != 0)
        #expect(throws: CryptoError.self) {
            try EvidenceSeal.open(sealed, keyPEM: try Data(contentsOf: URL(fileURLWithPath: f.key("stranger"))), keyName: "stranger", certificate: nil)
        }
        // A flipped byte in the ciphertext fails the GCM tag.
        var flipped = sealed
        flipped[flipped.count - 40] ^= 0x01
        #expect(throws: CryptoError.self) {
            try EvidenceSeal.open(flipped, keyPEM: try Data(contentsOf: URL(fileURLWithPath: f.key("auditor"))), keyName: "auditor", certificate: nil)
        }
    }

    @Test func theSameFolderGivesTheSameArchiveBytes() throws {
        let s = Scratch("seal-det")
        let dir = evidenceFolder(in: s)
        let a = try EvidenceArchive.pack(folder: dir)
        // Other mtimes and modes on disk change nothing.
        let touched = run("/bin/sh", ["-c", "touch -d 2030-01-01 * && chmod 0600 *"], cwd: dir)
        #expect(touched.status == 0)
        let b = try EvidenceArchive.pack(folder: dir)
        #expect(a == b)
        #expect(a.count % 10240 == 0)
        // tar(1) lists exactly the folder's files, sorted.
        try a.write(to: URL(fileURLWithPath: s.path + "/a.tar"))
        let list = run("tar", ["-tf", s.path + "/a.tar"])
        #expect(list.stdout == "CC6.1-role-assignment.csv\nCC7.2-pgaudit-sample.txt\nSHA256SUMS\nresults.json\n")
        // Any change in a file changes the bytes.
        s.write("evidence/results.json", "{\"quarter\":\"2026-Q2\"}\n")
        #expect(try EvidenceArchive.pack(folder: dir) != a)
        // And the reader gives the files back.
        let files = try TarReader.files(a)
        #expect(files.map(\.path) == ["CC6.1-role-assignment.csv", "CC7.2-pgaudit-sample.txt", "SHA256SUMS", "results.json"])
    }

    @Test func aFolderWithALinkOrSubfolderIsRefused() throws {
        let s = Scratch("seal-link")
        let dir = evidenceFolder(in: s)
        #expect(symlink("/etc/passwd", dir + "/passwd") == 0)
        #expect(throws: ArchiveError.self) { try EvidenceArchive.pack(folder: dir) }
    }

    @Test func recipientFilesAreChecked() throws {
        let s = Scratch("recips")
        let f = RecipientFixture(folder: s.path)
        f.make("ok", .rsa); f.make("p384", .ecP384)
        // A certificate file with its private key appended.
        let both = s.path + "/both.pem"
        let combined = try Data(contentsOf: URL(fileURLWithPath: f.cert("ok"))) + Data(contentsOf: URL(fileURLWithPath: f.key("ok")))
        try combined.write(to: URL(fileURLWithPath: both))
        #expect { try recipient(both) } throws: { String(describing: $0).contains("private key") }
        #expect { try recipient(f.key("ok")) } throws: { String(describing: $0).contains("private key") }
        #expect { try recipient(f.cert("p384")) } throws: { String(describing: $0).contains("P-256") }
        let r = try recipient(f.cert("ok"))
        #expect(r.keyType == "RSA 2048")
        #expect(r.subject.contains("CN=ok"))
        let fp = run("openssl", ["x509", "-in", f.cert("ok"), "-noout", "-fingerprint", "-sha256"])
        #expect(fp.stdout.lowercased().replacingOccurrences(of: ":", with: "").contains(r.fingerprint))
        // Its PEM round-trips to the same certificate.
        let again = try RecipientCertificate.load(pem: Data(r.pem.utf8), name: "again")
        #expect(again.der == r.der)
    }

    // MARK: hostile archives

    /// A raw ustar header, built by hand so it can say anything.
    static func header(_ name: String, size: String = "00000000000", type: Character = "0", linkTarget: String = "") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int) { for (i, c) in s.utf8.enumerated() { h[at + i] = c } }
        put(name, 0); put("0000644", 100); put("0000000", 108); put("0000000", 116)
        put(size, 124); put("00000000000", 136); put(linkTarget, 157)
        h[156] = type.asciiValue!
        put("ustar", 257); put("00", 263)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), 148); h[154] = 0; h[155] = 0x20
        return h
    }

    static func archive(_ headers: [[UInt8]], body: Int = 0) -> Data {
        var d = Data()
        for h in headers { d += h; d += Data(count: (body + 511) / 512 * 512) }
        return d + Data(count: 1024)
    }

    @Test(arguments: [
        ("../escape.txt", "0", "not a plain relative path"),
        ("/etc/cron.d/x", "0", "not a plain relative path"),
        ("a/../../x", "0", "not a plain relative path"),
        ("link", "2", "is a link"),
        ("hard", "1", "is a link"),
        ("dev", "3", "device"),
        ("fifo", "6", "device or FIFO"),
        ("pax", "x", "entry type"),
    ])
    func hostileEntriesAreRefused(name: String, type: String, expected: String) throws {
        let a = Self.archive([Self.header(name, size: type == "0" ? "00000000004" : "00000000000", type: Character(type), linkTarget: "/etc/passwd")], body: 4)
        #expect { try TarReader.files(a) } throws: { String(describing: $0).contains(expected) }
    }

    @Test func aTenGiBDeclaredSizeIsRefusedBeforeAnyRead() throws {
        let tenGiB = String(10 * (1 << 30), radix: 8)   // 12 octal digits
        let a = Self.archive([Self.header("big.csv", size: tenGiB)])
        #expect { try TarReader.files(a) } throws: { String(describing: $0).contains("declares 10737418240 bytes") }
        // A size within the cap but beyond the archive is refused too.
        let b = Self.archive([Self.header("short.csv", size: "00000100000")])
        #expect { try TarReader.files(b) } throws: { String(describing: $0).contains("the archive has only") }
    }

    @Test func aBadChecksumOrTruncationIsRefused() throws {
        var h = Self.header("ok.csv", size: "00000000004")
        h[0] = UInt8(ascii: "p")
        #expect { try TarReader.files(Self.archive([h], body: 4)) } throws: { String(describing: $0).contains("checksum") }
        let good = Self.archive([Self.header("ok.csv", size: "00000000004")], body: 4)
        #expect(try TarReader.files(good).map(\.path) == ["ok.csv"])
        #expect { try TarReader.files(good.prefix(1024)) } throws: { String(describing: $0).contains("truncated") }
    }
}
