import Foundation

/// What the policy is at one commit, as far as the rules go (issue #15): `.attestconfig`, the
/// allowed signers, the TSA's CA and the control files. The hooks and `audit` compare two of
/// these (a commit and its parent) to decide whether a commit changes the policy, and whether
/// it weakens it.
public struct PolicySnapshot: Sendable, Equatable {
    public var policy: Policy
    /// (principal, key type, key blob in hex) of every allowed-signers entry; nil when there is
    /// no allowed-signers file.
    public var signers: Set<String>?
    /// SHA-256 (or object id) of the TSA CA file; nil when there is none.
    public var tsaCA: String?
    /// The files of the control-files folder (names relative to it).
    public var controlFiles: Set<String>

    public init(policy: Policy, signers: Set<String>?, tsaCA: String?, controlFiles: Set<String>) {
        self.policy = policy; self.signers = signers; self.tsaCA = tsaCA; self.controlFiles = controlFiles
    }

    /// The signer grants of an allowed-signers file: one `principal keytype hex` per principal
    /// of each entry.
    public static func grants(_ signers: AllowedSigners) -> Set<String> {
        var out: Set<String> = []
        for e in signers.entries { for p in e.principals { out.insert("\(p) \(e.keyType) \(Hex.encode(e.keyBlob))") } }
        return out
    }
}

/// One rule a commit changes: the key, what it was, what it becomes, and whether that is weaker.
public struct PolicyKeyChange: Sendable, Equatable {
    public var key: String
    public var old: String
    public var new: String
    public var weakens: Bool
    public init(key: String, old: String, new: String, weakens: Bool) { self.key = key; self.old = old; self.new = new; self.weakens = weakens }
    public var line: String { "\(key) \(old) → \(new)" }
}

public enum PolicyChanges {
    /// The trailer that names a weakening, in the commit that makes it.
    public static let trailer = "Attest-Policy-Change"

    /// Everything `new` changes against `old`: the rules of `.attestconfig` (`weakenings` says
    /// which are weaker), the allowed signers (a grant added to an existing file weakens; the
    /// first file names who signs and weakens nothing), the TSA CA (a CA
    /// replaced or removed weakens: it trusts another authority, or none), the control files (one removed narrows the scope:
    /// weaker; one added widens it).
    public static func changes(from old: PolicySnapshot, to new: PolicySnapshot) -> [PolicyKeyChange] {
        var out: [PolicyKeyChange] = []
        let weaker = Set(SignoffRules.weakenings(from: old.policy, to: new.policy).map { String($0.split(separator: " ")[0]) })
        for k in Policy.keys where ruleKeys.contains(k.name) {
            let a = k.current(old.policy), b = k.current(new.policy)
            if a != b { out.append(PolicyKeyChange(key: k.name, old: a, new: b, weakens: weaker.contains(k.name))) }
        }
        let before = old.signers ?? [], after = new.signers ?? []
        let added = after.subtracting(before), removed = before.subtracting(after)
        if !added.isEmpty || !removed.isEmpty {
            func who(_ s: Set<String>) -> String { s.map { String($0.split(separator: " ")[0]) }.sorted().joined(separator: ", ") }
            var what: [String] = []
            if !added.isEmpty { what.append("adds \(added.count) signer key\(added.count == 1 ? "" : "s") (\(who(added)))") }
            if !removed.isEmpty { what.append("removes \(removed.count) (\(who(removed)))") }
            out.append(PolicyKeyChange(key: "signing.allowedSigners", old: "\(before.count) grant\(before.count == 1 ? "" : "s")",
                                       new: what.joined(separator: ", "), weakens: !added.isEmpty && old.signers != nil))
        }
        if old.tsaCA != new.tsaCA {
            out.append(PolicyKeyChange(key: "tsa.caFile", old: old.tsaCA.map { "CA " + $0.prefix(12) } ?? "none",
                                       new: new.tsaCA.map { "CA " + $0.prefix(12) } ?? "none", weakens: old.tsaCA != nil))
        }
        let gone = old.controlFiles.subtracting(new.controlFiles), came = new.controlFiles.subtracting(old.controlFiles)
        if !gone.isEmpty || !came.isEmpty {
            var what: [String] = []
            if !came.isEmpty { what.append("adds \(came.sorted().joined(separator: ", "))") }
            if !gone.isEmpty { what.append("removes \(gone.sorted().joined(separator: ", "))") }
            out.append(PolicyKeyChange(key: "controls.folder", old: "\(old.controlFiles.count) control file\(old.controlFiles.count == 1 ? "" : "s")",
                                       new: what.joined(separator: ", "), weakens: !gone.isEmpty))
        }
        return out
    }

    /// The keys of `.attestconfig` that are rules (what is judged, where the record lives);
    /// the collection settings (database, sink, render) are not.
    public static let ruleKeys: Set<String> = [
        "window.openDaysBefore", "window.closeDaysAfter", "window.targetHour", "attest.folder",
        "signing.required", "signing.allowedSigners", "hook.maxSkewMinutes", "hook.maxSignoffAgeHours",
        "audit.maxDateSkewHours", "tsa.caFile", "tsa.required", "controls.folder", "hook.policyRef",
    ]

    /// The `Attest-Policy-Change` trailers of a message.
    public static func named(in message: String) -> [String] {
        Trailers.parse(message).filter { $0.key == trailer }.map(\.value)
    }

    /// The weakenings among `changes` that no `Attest-Policy-Change` trailer of the message names
    /// (a trailer names a change when it contains its key).
    public static func unnamed(_ changes: [PolicyKeyChange], message: String) -> [PolicyKeyChange] {
        let named = Self.named(in: message)
        return changes.filter { c in c.weakens && !named.contains { $0.contains(c.key) } }
    }

    /// The hooks' rule: a commit that weakens the policy names each weakening in a trailer.
    /// The file named is that of the first weakening under `policy` (the commit's own).
    public static func violation(_ unnamed: [PolicyKeyChange], policy: Policy = Policy()) -> RuleViolation? {
        guard let first = unnamed.first else { return nil }
        let file: String
        switch first.key {
        case "signing.allowedSigners": file = policy.allowedSignersFile
        case "tsa.caFile": file = policy.tsaCAFile.isEmpty ? ".attestconfig" : policy.tsaCAFile
        case "controls.folder": file = policy.controlsFolder
        default: file = ".attestconfig"
        }
        let what = unnamed.map(\.line).joined(separator: "; ")
        return RuleViolation(rule: "policy-weakened", message: "this commit weakens the policy (\(what)) without an \(trailer) trailer naming it",
                             remedy: "a weaker rule is recorded on purpose: say which and why in the commit (git commit --amend --trailer '\(trailer): \(first.key): <why>'); it applies only to quarters whose window opens after it reaches the record",
                             file: file)
    }

    /// The hooks' and audit's order rule for a commit that touches the policy or the folder: its
    /// committer date is not before its parent's (a date set back to look older).
    public static func committerOrder(committerDate: Date, parentDates: [Date]) -> RuleViolation? {
        guard let newest = parentDates.max(), committerDate < newest else { return nil }
        return RuleViolation(rule: "committer-order", message: "the committer date \(UTC.human(committerDate)) is \(UTC.span(newest.timeIntervalSince(committerDate))) before its parent's \(UTC.human(newest)): it was made after its parent, so its date was set back",
                             remedy: "recommit with the real clock (git commit --amend --no-edit --reset-author, or rebase with --committer-date-is-author-date off)")
    }
}

extension PolicyChanges {
    /// `p` with its rules tightened by `baseline`, the policy as it stood when a quarter's window
    /// opened (issue #15): requirements on where either has them, the smaller hook limits and
    /// window days, and the baseline's target hour (a window, once open, does not move). Every
    /// other setting (tsa.url, paths) is `p`'s.
    public static func tightened(_ p: Policy, by baseline: Policy) -> Policy {
        var out = p
        out.signatureRequired = p.signatureRequired || baseline.signatureRequired
        out.tsaRequired = p.tsaRequired || baseline.tsaRequired
        out.hookMaxSkewMinutes = min(p.hookMaxSkewMinutes, baseline.hookMaxSkewMinutes)
        out.hookMaxSignoffAgeHours = min(p.hookMaxSignoffAgeHours, baseline.hookMaxSignoffAgeHours)
        out.windowOpenDaysBefore = min(p.windowOpenDaysBefore, baseline.windowOpenDaysBefore)
        out.windowCloseDaysAfter = min(p.windowCloseDaysAfter, baseline.windowCloseDaysAfter)
        out.windowTargetHour = baseline.windowTargetHour
        return out
    }
}
