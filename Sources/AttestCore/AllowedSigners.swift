import Foundation

/// OpenSSH's allowed-signers file (`ssh-keygen(1)`, "ALLOWED SIGNERS"), the file git's
/// `gpg.ssh.allowedSignersFile` names and attest keeps at `.attest/allowed_signers`.
///
/// ```
/// # principals            options                               key
/// olive@example.com       namespaces="git",valid-after=20260101 ssh-ed25519 AAAAC3Nz… olive laptop
/// *@example.com,ops@corp  ssh-rsa AAAAB3Nza…
/// ```
///
/// Decisions (docs/verify.md): `valid-after` / `valid-before` are judged against the quarter's
/// window, never against the committer date, which the signer chose: a key is accepted when
/// its validity overlaps the window. Times are read as UTC (with or without a trailing `Z`).
/// `cert-authority` lines are refused as unsupported; an unknown option is an error naming the
/// line, so a typo cannot silently widen trust.
public struct AllowedSigners: Sendable {
    public struct Entry: Sendable, Equatable {
        public let line: Int
        /// Principal patterns (`*` and `?` wildcards, `!` negation as in OpenSSH).
        public let principals: [String]
        /// nil: every namespace.
        public let namespaces: [String]?
        public let validAfter: Date?
        public let validBefore: Date?
        public let keyType: String
        /// The decoded key blob; compared byte for byte with the key inside a signature.
        public let keyBlob: [UInt8]
    }

    public let path: String
    public let entries: [Entry]

    public init(entries: [Entry], path: String) { self.entries = entries; self.path = path }

    /// Parses the file. Throws `.failed` naming the path and line of the first bad line.
    public init(parsing text: String, path: String) throws(AttestError) {
        self.path = path
        var out: [Entry] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            do { out.append(try Self.entry(line, number: i + 1)) } catch {
                throw .failed("\(path):\(i + 1): \(error.description); fix the line (format: principals [options] key-type base64-key)")
            }
        }
        entries = out
    }

    /// What the file says about a signing key, for signatures in `namespace` of a quarter
    /// whose window is `window`.
    public enum Verdict: Sendable, Equatable {
        /// The key is listed for these principals.
        case allowed(principals: [String], line: Int)
        /// The key is not in the file at all.
        case notListed
        /// The key is listed, but no line allows it here; the reasons, one per line.
        case refused([String])
    }

    public func verdict(keyBlob: [UInt8], namespace: String, window: Window) -> Verdict {
        verdict(keyBlob: keyBlob, namespace: namespace, from: window.opens, to: window.closes, label: "\(window.quarter) window")
    }

    /// The same, for any span of time (`label` names it in messages: "2026-Q4 window").
    public func verdict(keyBlob: [UInt8], namespace: String, from opens: Date, to closes: Date, label: String) -> Verdict {
        let lines = entries.filter { $0.keyBlob == keyBlob }
        guard !lines.isEmpty else { return .notListed }
        var reasons: [String] = []
        for e in lines {
            if let ns = e.namespaces, !ns.contains(where: { Self.match(pattern: $0, namespace) }) {
                reasons.append("\(path):\(e.line) allows namespaces \(ns.joined(separator: ",")), not \(namespace)")
                continue
            }
            if let after = e.validAfter, after > closes {
                reasons.append("\(path):\(e.line): the key is valid only from \(UTC.human(after)), after the \(label) closed (\(UTC.human(closes)))")
                continue
            }
            if let before = e.validBefore, before < opens {
                reasons.append("\(path):\(e.line): the key expired \(UTC.human(before)), before the \(label) opened (\(UTC.human(opens)))")
                continue
            }
            return .allowed(principals: e.principals, line: e.line)
        }
        return .refused(reasons)
    }

    // MARK: parsing

    struct LineError: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    static let keyTypes: Set<String> = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                                        "ssh-rsa", "ssh-dss", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]

    static func isKeyType(_ s: Substring) -> Bool {
        keyTypes.contains(String(s)) || s.hasSuffix("-cert-v01@openssh.com")
    }

    static func entry(_ line: String, number: Int) throws(LineError) -> Entry {
        var fields = try tokens(line)
        guard fields.count >= 2 else { throw LineError("expected principals and a key") }
        let principals = fields.removeFirst().split(separator: ",").map(String.init)
        guard !principals.isEmpty, principals.allSatisfy({ !$0.isEmpty }) else { throw LineError("empty principal") }
        var namespaces: [String]?, after: Date?, before: Date?
        if let f = fields.first, !isKeyType(Substring(f)) {
            fields.removeFirst()
            for opt in try options(f) {
                let (name, value) = opt
                switch name.lowercased() {
                case "namespaces":
                    guard let value, !value.isEmpty else { throw LineError("namespaces= needs a value") }
                    namespaces = value.split(separator: ",").map(String.init)
                case "valid-after":
                    guard let value, let d = sshTime(value) else { throw LineError("valid-after='\(value ?? "")' is not YYYYMMDD[HHMM[SS]][Z]") }
                    after = d
                case "valid-before":
                    guard let value, let d = sshTime(value) else { throw LineError("valid-before='\(value ?? "")' is not YYYYMMDD[HHMM[SS]][Z]") }
                    before = d
                case "cert-authority":
                    throw LineError("cert-authority is not supported by attest; list each signer's own public key")
                default:
                    throw LineError("unknown option '\(name)'")
                }
            }
        }
        guard fields.count >= 2 else { throw LineError("expected a key type and a base64 key") }
        let type = fields[0]
        guard isKeyType(Substring(type)) else { throw LineError("'\(type)' is not a key type") }
        guard let data = Data(base64Encoded: fields[1]), data.count >= 4 else { throw LineError("the \(type) key is not valid base64") }
        // The first field of the blob is the key type; it must agree with the line.
        let blob = Array(data)
        let n = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard n <= blob.count - 4, String(decoding: blob[4..<(4 + n)], as: UTF8.self) == type else {
            throw LineError("the key is written as \(type) but its data says otherwise")
        }
        return Entry(line: number, principals: principals, namespaces: namespaces, validAfter: after, validBefore: before,
                     keyType: type, keyBlob: blob)
    }

    /// Splits on white space, keeping double-quoted runs together (quotes kept).
    static func tokens(_ line: String) throws(LineError) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); cur.append(c); continue }
            if !quoted && (c == " " || c == "\t") {
                if !cur.isEmpty { out.append(cur); cur = "" }
                continue
            }
            cur.append(c)
        }
        guard !quoted else { throw LineError("unbalanced double quote") }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// `a,b="x,y",c=z` → [(a, nil), (b, "x,y"), (c, "z")]
    static func options(_ field: String) throws(LineError) -> [(String, String?)] {
        var out: [(String, String?)] = [], cur = "", quoted = false
        var parts: [String] = []
        for c in field {
            if c == "\"" { quoted.toggle(); cur.append(c); continue }
            if c == "," && !quoted { parts.append(cur); cur = ""; continue }
            cur.append(c)
        }
        parts.append(cur)
        for p in parts {
            guard !p.isEmpty else { throw LineError("empty option") }
            if let eq = p.firstIndex(of: "=") {
                var v = String(p[p.index(after: eq)...])
                if v.hasPrefix("\"") {
                    guard v.count >= 2, v.hasSuffix("\"") else { throw LineError("badly quoted option \(p)") }
                    v = String(v.dropFirst().dropLast())
                }
                out.append((String(p[..<eq]), v))
            } else {
                out.append((p, nil))
            }
        }
        return out
    }

    /// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally with `Z`; read as UTC.
    static func sshTime(_ s: String) -> Date? {
        var t = s
        if t.hasSuffix("Z") || t.hasSuffix("z") { t.removeLast() }
        guard [8, 12, 14].contains(t.count), t.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let d = Array(t.utf8).map { Int($0 - 0x30) }
        func n(_ a: Int, _ len: Int) -> Int { d[a..<(a + len)].reduce(0) { $0 * 10 + $1 } }
        let y = n(0, 4), mo = n(4, 2), day = n(6, 2)
        let h = t.count >= 12 ? n(8, 2) : 0, mi = t.count >= 12 ? n(10, 2) : 0, sec = t.count == 14 ? n(12, 2) : 0
        guard (1...12).contains(mo), (1...31).contains(day), h < 24, mi < 60, sec < 60 else { return nil }
        let date = UTC.date(year: y, month: mo, day: day, hour: h, minute: mi, second: sec)
        let p = UTC.components(date)
        return p.month == mo && p.day == day ? date : nil
    }

    /// OpenSSH-style pattern match: `*` any run, `?` one character, case-sensitive.
    static func match(pattern: String, _ s: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(s.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
