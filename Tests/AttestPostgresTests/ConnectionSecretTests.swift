import Foundation
import Testing
@testable import AttestPostgres
import AttestTestSupport

/// Issue #15, case 8: redaction does not depend on libpq parsing the connection string. These
/// run in-process, through `Connection.init` itself (the function that parses, connects and
/// builds the message), against the throwaway cluster; CollectSecretsTests runs a few hundred
/// of the same mutations through the binary and scans every file it writes.
@Suite struct ConnectionSecretTests {
    static let password = "Qv7S3cretXZ8"

    func message(_ conninfo: String) -> String? {
        do { _ = try Connection(conninfo: conninfo); return nil } catch { return error.description }
    }

    /// The shapes of the report: each is refused without any of its tokens.
    @Test func shapesThatDoNotParseShowNoneOfTheirTokens() throws {
        let db = try TestDatabase.shared()
        let space = try #require(message("host=\(db.host) user=attest_pw password=S3cret XYZ"))
        #expect(!space.contains("XYZ") && !space.contains("S3cret") && !space.contains(db.host), "\(space)")
        #expect(space.contains("does not parse: a word without '='") && space.contains("password='a b'"), "\(space)")

        let percent = try #require(message("postgresql://attest_pw:S3c%ZZretXYZ@/postgres?host=\(db.host)"))
        #expect(!percent.contains("%ZZ") && !percent.contains("S3c") && !percent.contains("retXYZ"), "\(percent)")
        #expect(percent.contains("invalid percent-encoding") && percent.contains("%25"), "\(percent)")

        let quote = try #require(message("host=\(db.host) password='S3cret XYZ"))
        #expect(!quote.contains("XYZ") && !quote.contains("S3cret") && quote.contains("unterminated quoted value"), "\(quote)")

        let keyword = try #require(message("host=\(db.host) passwrd=S3cretXYZ"))
        #expect(!keyword.contains("passwrd") && !keyword.contains("S3cretXYZ") && keyword.contains("a keyword libpq does not know"), "\(keyword)")
    }

    /// An unencoded `/` or `@` in a URI password parses, but moves the password's pieces into
    /// the port, the database or the host, which libpq and the server quote: none is shown.
    @Test func unencodedSlashOrAtInAURIPasswordIsNotShown() throws {
        let db = try TestDatabase.shared()
        let slash = try #require(message("postgresql://attest_pw:S3c/retXYZ@/postgres?host=\(db.host)"))
        #expect(!slash.contains("S3c") && !slash.contains("retXYZ"), "\(slash)")
        let at = try #require(message("postgresql://attest_pw:S3c@retXYZ@/postgres?host=\(db.host)"))
        #expect(!at.contains("S3c") && !at.contains("retXYZ"), "\(at)")
        let hostList = try #require(message("host=\(db.host),S3cretXYZ user=attest_pw dbname=postgres"))
        #expect(!hostList.contains("S3cretXYZ"), "\(hostList)")
        let options = try #require(message("host=\(db.host) user=attest_pw dbname=postgres options='-c S3cretXYZ'"))
        #expect(!options.contains("S3cretXYZ"), "\(options)")
    }

    /// 10,000 seeded mutations of a conninfo and a URI holding a known password, against the
    /// real server (password logins for attest_pw): the password and each half of it never
    /// appear in the message. Four seeded streams of 2,500, run side by side.
    @Test func tenThousandMutationsNeverShowThePassword() throws {
        let db = try TestDatabase.shared()
        let counts = Counts()
        DispatchQueue.concurrentPerform(iterations: 4) { stream in
            var m = ConninfoMutations(password: Self.password, socket: db.host, seed: 0x15_08 + UInt64(stream))
            for _ in 0..<2_500 {
                let s = m.next()
                guard let text = message(s) else { counts.add(parsed: true); continue }
                counts.add(parsed: !text.contains("does not parse"))
                let leaks = m.leaks(in: text)
                #expect(leaks.isEmpty, "\(s) -> \(text)")
                if !leaks.isEmpty { break }
            }
        }
        // Both kinds were tried: strings libpq refuses and strings it parses and connects with.
        let (parsed, unparsable) = counts.value
        #expect(parsed + unparsable == 10_000)
        #expect(parsed > 500 && unparsable > 500, "parsed \(parsed), unparsable \(unparsable)")
    }

    final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var parsed = 0, unparsable = 0
        func add(parsed p: Bool) { lock.lock(); if p { parsed += 1 } else { unparsable += 1 }; lock.unlock() }
        var value: (Int, Int) { lock.lock(); defer { lock.unlock() }; return (parsed, unparsable) }
    }
}
