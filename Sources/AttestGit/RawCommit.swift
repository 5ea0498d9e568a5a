import Foundation
internal import CZlib

/// A commit object read byte for byte and split the way git splits it.
///
/// The signature is the `gpgsig` header of the header block (with its continuation lines,
/// each starting with one space), and the signed payload is the object with exactly those
/// lines removed: git's own rule (`parse_signed_commit`). A signature-looking block inside the
/// message body is message text, never a signature. (libgit2's `git_commit_extract_signature`
/// does not stop at the end of the headers, so attest does not use it.)
public struct RawCommit: Sendable {
    public struct Person: Sendable, Equatable {
        public let name: String
        public let email: String
        public let date: Date
        /// The time zone written, as `+0200`.
        public let zone: String
    }

    public let id: ObjectID
    public let tree: ObjectID
    public let parents: [ObjectID]
    public let author: Person
    public let committer: Person
    /// Everything after the blank line that ends the headers.
    public let message: String
    /// The `gpgsig` header's value, one line per line with the leading space of continuation
    /// lines removed, ending in a newline; nil when unsigned.
    public let signature: String?
    /// The object without the signature header: what was signed.
    public let signedPayload: Data
    /// A signature made for the other hash algorithm (`gpgsig-sha256`) is there too.
    public let hasOtherSignature: Bool

    /// The signature kind, from its first line.
    public enum SignatureKind: String, Sendable { case ssh, openpgp, x509, unknown }
    public var signatureKind: SignatureKind? {
        guard let s = signature else { return nil }
        if s.hasPrefix("-----BEGIN SSH SIGNATURE-----") { return .ssh }
        if s.hasPrefix("-----BEGIN PGP SIGNATURE-----") || s.hasPrefix("-----BEGIN PGP MESSAGE-----") { return .openpgp }
        if s.hasPrefix("-----BEGIN SIGNED MESSAGE-----") { return .x509 }
        return .unknown
    }

    public var subject: String { String(message.prefix { $0 != "\n" }) }

    /// Splits a commit object's bytes. Throws what is malformed, naming the commit.
    public static func parse(id: ObjectID, bytes: [UInt8]) throws(RawCommitError) -> RawCommit {
        var i = 0
        var tree: ObjectID?
        var parents: [ObjectID] = []
        var author: Person?, committer: Person?
        var sigLines: [ArraySlice<UInt8>] = []
        var payload: [UInt8] = []
        payload.reserveCapacity(bytes.count)
        var inSignature = false
        // git leaves a signature made for the other hash algorithm (`gpgsig-sha256` in a SHA-1
        // repository) out of the payload too, continuation lines included.
        var inOtherSignature = false
        var sawSignature = false, sawOtherSignature = false
        var bodyStart: Int?
        while i < bytes.count {
            var end = i
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let line = bytes[i..<end]
            let next = min(end + 1, bytes.count)
            if line.isEmpty {
                bodyStart = next
                payload.append(contentsOf: bytes[i...])
                break
            }
            if line.first == 0x20 {
                if inSignature { sigLines.append(line.dropFirst()) } else if !inOtherSignature { payload.append(contentsOf: bytes[i..<next]) }
                i = next
                continue
            }
            inSignature = false
            inOtherSignature = false
            let sp = line.firstIndex(of: 0x20) ?? line.endIndex
            let key = String(decoding: line[line.startIndex..<sp], as: UTF8.self)
            let value = sp < line.endIndex ? line[(sp + 1)...] : []
            if key == "gpgsig" {
                guard !sawSignature else { throw .duplicateHeader(commit: id, header: "gpgsig") }
                sawSignature = true
                inSignature = true
                sigLines.append(value)
                i = next
                continue
            }
            if key == "gpgsig-sha256" {
                inOtherSignature = true
                sawOtherSignature = true
                i = next
                continue
            }
            payload.append(contentsOf: bytes[i..<next])
            switch key {
            case "tree":
                guard tree == nil, let t = ObjectID(hex: String(decoding: value, as: UTF8.self)) else {
                    throw .malformedHeader(commit: id, header: "tree")
                }
                tree = t
            case "parent":
                guard let p = ObjectID(hex: String(decoding: value, as: UTF8.self)) else {
                    throw .malformedHeader(commit: id, header: "parent")
                }
                parents.append(p)
            case "author":
                guard author == nil else { throw .duplicateHeader(commit: id, header: "author") }
                author = try person(value, "author", id)
            case "committer":
                guard committer == nil else { throw .duplicateHeader(commit: id, header: "committer") }
                committer = try person(value, "committer", id)
            default: break
            }
            i = next
        }
        guard let tree else { throw .missingTree(commit: id) }
        guard let author, let committer else { throw .missingPerson(commit: id) }
        let message = bodyStart.map { String(decoding: bytes[$0...], as: UTF8.self) } ?? ""
        var signature: String?
        if sawSignature {
            signature = sigLines.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        }
        return RawCommit(id: id, tree: tree, parents: parents, author: author, committer: committer, message: message,
                         signature: signature, signedPayload: Data(payload), hasOtherSignature: sawOtherSignature)
    }

    /// `Name <email> 1700000000 +0000`
    static func person(_ v: ArraySlice<UInt8>, _ what: String, _ id: ObjectID) throws(RawCommitError) -> Person {
        let s = String(decoding: v, as: UTF8.self)
        guard let lt = s.firstIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else {
            throw .malformedHeader(commit: id, header: what)
        }
        let name = s[..<lt].trimmingCharacters(in: .whitespaces)
        let email = String(s[s.index(after: lt)..<gt])
        let rest = s[s.index(after: gt)...].split(separator: " ")
        guard rest.count == 2, let secs = Int64(rest[0]), secs >= 0, secs < 253_402_300_800,
              rest[1].count == 5, rest[1].first == "+" || rest[1].first == "-" else {
            throw .malformedDate(commit: id, header: what)
        }
        return Person(name: name, email: email, date: Date(timeIntervalSince1970: TimeInterval(secs)), zone: String(rest[1]))
    }
}

/// The header-only view of a commit, for the walks: its tree, its parents and its committer
/// time, read from the first lines of the raw object (or from the commit-graph) without
/// building the rest of a `RawCommit`. It reads the same lines `RawCommit.parse` splits;
/// `HistoryShapesTests` checks the two (and the commit-graph) agree on every commit.
struct CommitHeader {
    var tree: ObjectID
    var parents: [ObjectID]
    var committerTime: Int64

    /// Parses the header of a raw commit. Returns nil on a malformed commit.
    static func parse(_ buf: UnsafeBufferPointer<UInt8>) -> CommitHeader? {
        guard let p = buf.baseAddress, buf.count >= 46 else { return nil }
        let n = buf.count
        // "tree " + 40 hex + "\n"
        guard memcmp(p, "tree ", 5) == 0, let tree = ObjectID(hexAt: p + 5) else { return nil }
        var i = 46
        var parents: [ObjectID] = []
        while i + 48 <= n, memcmp(p + i, "parent ", 7) == 0 {
            guard let id = ObjectID(hexAt: p + i + 7) else { return nil }
            parents.append(id)
            i += 48
        }
        // Find the committer line, then the time after the last '>'.
        var time: Int64 = 0
        while i < n {
            var e = i
            while e < n, p[e] != 0x0A { e += 1 }
            if e == i { break } // end of headers
            if e - i > 10, memcmp(p + i, "committer ", 10) == 0 {
                var gt = e - 1
                while gt > i, p[gt] != 0x3E { gt -= 1 }
                var j = gt + 1
                while j < e, p[j] == 0x20 { j += 1 }
                while j < e, p[j] >= 0x30, p[j] <= 0x39 { time = time * 10 + Int64(p[j] - 0x30); j += 1 }
                break
            }
            i = e + 1
        }
        return CommitHeader(tree: tree, parents: parents, committerTime: time)
    }

    /// Whether a raw commit's message (after the blank line that ends the header) mentions
    /// attest: an `Attest-` trailer or the runbook's "attestation sign-off" subject. Commits
    /// that do are judged by the push gate even when they leave the folder alone.
    ///
    /// Both phrases hold `ttest` at their second byte, so one `memmem` pass finds every place
    /// either can start (a byte search for `a` alone stops every few bytes of English text).
    static func messageMentionsAttest(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(buf)
        guard let blank = find(raw, "\n\n"), let base = raw.baseAddress else { return false }
        let n = raw.count
        var i = blank + 2
        while i + 5 <= n, let hit = attest_memmem(base + i, n - i, "ttest", 5) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if at > blank + 2 {
                let before = raw[at - 1]
                if before == 0x41, at + 5 < n, raw[at + 5] == 0x2D { return true } // "Attest-"
                if before == 0x61, at + 19 <= n, memcmp(base + at + 5, "ation sign-off", 14) == 0 { return true } // "attestation sign-off"
            }
            i = at + 1
        }
        return false
    }

    /// Where `needle` first occurs in `hay`: memchr for its first byte, memcmp for the rest.
    static func find(_ hay: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let m = needle.utf8CodeUnitCount
        guard hay.count >= m, let base = hay.baseAddress else { return nil }
        let first = Int32(needle.utf8Start.pointee)
        var i = 0
        while i <= hay.count - m {
            guard let hit = memchr(base + i, first, hay.count - m - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle.utf8Start, m) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}
