import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

/// The bounded HTTP exchange used for the TSA, CRLs and OCSP: redirects followed only to the
/// same host (a CRL or OCSP URL comes from a certificate), answers larger than the bound
/// refused. The test TSA's server redirects to itself (127.0.0.1) or to 127.0.0.2.
@Suite struct HTTPExchangeTests {
    @Test func redirectsStayOnTheSameHostAndSizeIsBounded() throws {
        let tsa = try TestTSA(label: "Redirecting CA", at: "2026-10-03 12:00:00")
        defer { tsa.stop() }
        func get(_ path: String, max: Int = 1 << 20) throws(HTTPExchange.Failure) -> HTTPExchange.Answer {
            try HTTPExchange(url: URL(string: "http://127.0.0.1:\(tsa.port)\(path)")!, timeout: 10, maxBytes: max).send(method: "GET", accept: "*/*")
        }
        let same = try get("/redirect-same")
        #expect(same.status == 200 && same.body.first == 0x30, "\(same.status)")   // the CRL, DER
        do { _ = try get("/redirect-other"); Issue.record("a redirect to another host was followed") } catch {
            guard case .unreachable(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("redirects to another host (http://127.0.0.2:\(tsa.port)/ca.crl); not followed"), "\(why)")
        }
        do { _ = try get("/ca.crl", max: 100); Issue.record("an answer above the bound was accepted") } catch {
            guard case .tooLarge(let n) = error else { Issue.record("\(error)"); return }
            #expect(n > 100)
        }
    }
}

/// Hostile TSA answers (issue #15): a declared 2 GiB body, an endless chunked body and a
/// redirect to another host are refused without holding the answer (the streamed body is cut
/// off at the bound). The binary's memory on the same answers: AttestCLITests/HostileInputTests.
@Suite struct HostileAnswerTests {
    @Test(arguments: [TestTSA.Mode.hugeLength, .endless, .redirectOther])
    func refused(_ mode: TestTSA.Mode) throws {
        let tsa = try TestTSA(label: "Hostile TSA", at: "2026-10-03 12:00:00")
        defer { tsa.stop() }
        tsa.mode = mode
        do {
            _ = try HTTPExchange(url: URL(string: tsa.url)!, timeout: 30, maxBytes: 1 << 20)
                .send(method: "POST", body: Data("q".utf8), contentType: "application/timestamp-query", accept: "*/*")
            Issue.record("\(mode): the answer was accepted")
        } catch {
            switch (mode, error) {
            case (.hugeLength, .tooLarge(let n)): #expect(n == 2_147_483_648)
            case (.endless, .tooLarge(let n)): #expect(n > 1 << 20 && n < 4 << 20, "cut off at \(n) bytes")
            case (.redirectOther, .unreachable(let why)):
                #expect(why.contains("redirects to another host (http://127.0.0.2:\(tsa.port)/tsa); not followed"), "\(why)")
            default: Issue.record("\(mode): \(error)")
            }
        }
    }
}
