import Foundation

/// Random mutations of a connection string holding a known password (issue #15, case 8): the
/// kinds of typo that move a password out of its keyword (a space, a quote, a backslash, an
/// unencoded `/`, `@` or `%` in a URI), so that redaction which relies on libpq parsing the
/// string would let it through. Seeded, so every run tries the same strings.
public struct ConninfoMutations {
    /// The password the strings hold, and its two halves, none of which may ever be shown.
    public let password: String
    public var forbidden: [String] { [password, String(password.prefix(password.count / 2)), String(password.suffix(password.count - password.count / 2))] }
    public let bases: [String]
    var rng: SplitMix64

    public init(password: String, socket: String, seed: UInt64) {
        self.password = password
        bases = [
            "host=\(socket) port=5432 dbname=postgres user=attest_pw password=\(password) connect_timeout=5",
            "postgresql://attest_pw:\(password)@/postgres?host=\(socket)&connect_timeout=5",
        ]
        rng = SplitMix64(seed: seed)
    }

    static let alphabet = Array(" =''\"\\%@/:?&#;,[]x0Z")

    /// The next mutated string: one of the bases with one to three edits (delete, insert,
    /// replace a character, delete or duplicate a span), often next to the password.
    public mutating func next() -> String {
        var s = Array(bases[Int(rng.next() % UInt64(bases.count))])
        let edits = 1 + Int(rng.next() % 3)
        for _ in 0..<edits {
            guard !s.isEmpty else { break }
            // Half of the edits land on the password or next to it.
            let at: Int
            if rng.next() % 2 == 0, let r = String(s).range(of: password) {
                let start = String(s)[..<r.lowerBound].count
                at = max(0, min(s.count - 1, start - 1 + Int(rng.next() % UInt64(password.count + 2))))
            } else {
                at = Int(rng.next() % UInt64(s.count))
            }
            let c = Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]
            switch rng.next() % 5 {
            case 0: s.remove(at: at)
            case 1: s.insert(c, at: at)
            case 2: s[at] = c
            case 3: s.removeSubrange(at..<min(s.count, at + 2 + Int(rng.next() % 4)))
            default: s.insert(contentsOf: s[at..<min(s.count, at + 1 + Int(rng.next() % 5))], at: at)
            }
        }
        return String(s)
    }

    /// The forbidden strings found in `text`.
    public func leaks(in text: String) -> [String] { forbidden.filter { text.contains($0) } }
}
