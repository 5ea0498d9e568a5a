/// What git tells a push hook on stdin, parsed by pure functions (no repository, no I/O) so
/// they can be tested on their own and fed hostile input.
///
/// - pre-push: `<local ref> SP <local oid> SP <remote ref> SP <remote oid> LF` per ref;
///   a deletion has local ref `(delete)` and the zero id.
/// - pre-receive and post-receive: `<old oid> SP <new oid> SP <ref name> LF`.
/// - update: the same three values as arguments.
///
/// Only SHA-1 repositories are supported: a 64-digit id is refused with a message saying so.
public enum HookInput {
    /// One ref the push moves.
    public struct RefUpdate: Sendable, Equatable {
        /// The ref on the receiving side (`refs/heads/main`).
        public let ref: String
        /// Where it was; zero when the ref is created, or (pre-push) when the client does not know.
        public let old: ObjectID
        /// Where it goes; zero when the ref is deleted.
        public let new: ObjectID
        /// pre-push only: the local ref pushed (`refs/heads/topic`, `HEAD`, `(delete)`).
        public let localRef: String?

        public init(ref: String, old: ObjectID, new: ObjectID, localRef: String? = nil) {
            self.ref = ref; self.old = old; self.new = new; self.localRef = localRef
        }
        public var isDeletion: Bool { new.isZero }
    }

    /// Longest accepted line; a real one is two ids and two ref names.
    public static let maxLineBytes = 4096
    /// Most lines accepted in one push.
    public static let maxLines = 100_000
    /// Most bytes of stdin read in all: 16 MiB, room for `maxLines` refs of a real push (a
    /// pre-receive line of a tag is about 100 bytes; a push of 3,000 tags is 300 KB). docs/limits.md.
    public static let maxInputBytes = 16 << 20

    public static func prePush(_ input: [UInt8]) throws(HookInputError) -> [RefUpdate] {
        try lines(input, fields: 4, form: "<local ref> <local oid> <remote ref> <remote oid>").map { (n, f) throws(HookInputError) in
            let local = try refName(f[0], line: n, allowDelete: true, requireRefs: false)
            let localOid = try oid(f[1], line: n)
            let remote = try refName(f[2], line: n, allowDelete: false, requireRefs: true)
            let remoteOid = try oid(f[3], line: n)
            if local == "(delete)" && !localOid.isZero {
                throw HookInputError(line: n, "'(delete)' comes with a non-zero id")
            }
            return RefUpdate(ref: remote, old: remoteOid, new: localOid, localRef: local)
        }
    }

    public static func preReceive(_ input: [UInt8]) throws(HookInputError) -> [RefUpdate] {
        try lines(input, fields: 3, form: "<old oid> <new oid> <ref name>").map { (n, f) throws(HookInputError) in
            let old = try oid(f[0], line: n), new = try oid(f[1], line: n)
            let ref = try refName(f[2], line: n, allowDelete: false, requireRefs: true)
            return RefUpdate(ref: ref, old: old, new: new)
        }
    }

    /// The `update` hook's arguments: `<ref name> <old oid> <new oid>`.
    public static func update(ref: String, old: String, new: String) throws(HookInputError) -> RefUpdate {
        let r = try refName(Array(ref.utf8)[...], line: 0, allowDelete: false, requireRefs: true)
        return RefUpdate(ref: r, old: try oid(Array(old.utf8)[...], line: 0), new: try oid(Array(new.utf8)[...], line: 0))
    }

    // MARK: pieces

    static func lines(_ input: [UInt8], fields: Int, form: String) throws(HookInputError) -> [(Int, [ArraySlice<UInt8>])] {
        guard input.count <= maxInputBytes else {
            throw HookInputError(line: 0, "the input is \(input.count) bytes; at most \(maxInputBytes) are accepted (\(maxLines) refs of a real push); push the refs in several smaller pushes")
        }
        var out: [(Int, [ArraySlice<UInt8>])] = []
        var start = 0, n = 0
        while start < input.count {
            n += 1
            guard n <= maxLines else { throw HookInputError(line: n, "more than \(maxLines) lines (refs); push the refs in several smaller pushes") }
            var end = start
            while end < input.count && input[end] != 0x0A && end - start <= maxLineBytes { end += 1 }
            guard end - start <= maxLineBytes else {
                throw HookInputError(line: n, "the line is longer than \(maxLineBytes) bytes")
            }
            let line = input[start..<end]
            start = end + 1
            guard !line.isEmpty else { throw HookInputError(line: n, "empty line; expected \(form)") }
            if let bad = line.first(where: { $0 < 0x20 && $0 != 0x20 || $0 == 0x7F }) {
                throw HookInputError(line: n, "control byte 0x\(String(bad, radix: 16)) in the line; expected \(form)")
            }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == fields, parts.allSatisfy({ !$0.isEmpty }) else {
                throw HookInputError(line: n, "expected \(fields) fields separated by single spaces (\(form)), found \(parts.count)")
            }
            out.append((n, parts))
        }
        return out
    }

    static func oid(_ f: ArraySlice<UInt8>, line: Int) throws(HookInputError) -> ObjectID {
        let isHex = f.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        if f.count == 64 && isHex {
            throw HookInputError(line: line, "'\(text(f))' is a SHA-256 object id; attest supports SHA-1 repositories only")
        }
        guard f.count == 40, isHex, let id = ObjectID(hex: String(decoding: f, as: UTF8.self)) else {
            throw HookInputError(line: line, "'\(text(f))' is not an object id (40 lowercase hex digits)")
        }
        return id
    }

    static func refName(_ f: ArraySlice<UInt8>, line: Int, allowDelete: Bool, requireRefs: Bool) throws(HookInputError) -> String {
        let s = String(decoding: f, as: UTF8.self)
        if allowDelete && s == "(delete)" { return s }
        // git's refname rules, the parts that matter for reading hook input safely.
        guard f.count <= 1024, !s.contains("\u{FFFD}"), !s.contains(".."), !s.contains("//"), !s.hasSuffix("/"),
              !s.hasSuffix(".lock"), !s.contains("@{"), !s.hasPrefix("-"),
              !f.contains(where: { [0x7E, 0x5E, 0x3A, 0x3F, 0x2A, 0x5B, 0x5C].contains($0) }) else {
            throw HookInputError(line: line, "'\(text(f))' is not a valid ref name")
        }
        if requireRefs && !s.hasPrefix("refs/") {
            throw HookInputError(line: line, "'\(text(f))' is not a ref under refs/")
        }
        return s
    }

    /// Hostile bytes shown safely: printable ASCII, the rest escaped, at most 80 characters.
    static func text(_ f: ArraySlice<UInt8>) -> String {
        var s = ""
        for b in f.prefix(80) {
            if b >= 0x20 && b < 0x7F { s.append(Character(UnicodeScalar(b))) } else { s += "\\x" + String(b, radix: 16) }
        }
        return f.count > 80 ? s + "…" : s
    }
}

/// Malformed hook input: the line (1-based; 0 for arguments) and what is wrong.
public struct HookInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public init(line: Int, _ message: String) { self.line = line; self.message = message }
    public var description: String { line > 0 ? "hook input line \(line): \(message)" : "hook arguments: \(message)" }
}
