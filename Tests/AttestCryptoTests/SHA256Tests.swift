import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

@Suite struct SHA256Tests {
    @Test(arguments: [("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")])
    func knownVectors(_ c: (String, String)) throws {
        #expect(try SHA256.hex(of: Data(c.0.utf8)) == c.1)
    }

    @Test func fileMatchesSha256sum() throws {
        let s = Scratch("sha")
        var big = Data()
        for i in 0..<300_000 { big.append(contentsOf: "line \(i)\n".utf8) }   // > 1 MiB: several chunks
        try big.write(to: URL(fileURLWithPath: s.path + "/f"))
        let oracle = run("sha256sum", [s.path + "/f"]).stdout.split(separator: " ").first.map(String.init)
        #expect(try SHA256.hex(ofFile: s.path + "/f") == oracle)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: CryptoError.self) { try SHA256.hex(ofFile: "/nonexistent/x") }
    }
}
