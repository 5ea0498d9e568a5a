import Foundation
import AttestCore
import AttestGit

/// Whether a quarter has a sign-off on HEAD, for `attest status`: the newest sign-off commit
/// of the quarter reachable from HEAD (`Repository.latestSignoff`), and whether its committer
/// date fell in the window. Outside a repository it knows nothing and status prints only the
/// schedule.
struct SignoffLookup {
    struct State {
        let text: String
        let json: String
    }

    let context: Context

    func state(of quarter: Quarter) -> State? {
        guard let repo = try? context.repository(), let policy = try? context.policy() else { return nil }
        let found: SignoffCommit?
        do { found = try repo.latestSignoff(for: quarter) } catch { return nil }
        guard let s = found else {
            return State(text: "no sign-off on HEAD", json: "{\"signed\": false}")
        }
        let window = Schedule(policy: policy).window(for: quarter)
        let when = s.commit.committer.date
        let late = s.trailers?.late != nil || !window.contains(when)
        let result = s.trailers?.result.rawValue ?? "malformed"
        let text = "signed off on HEAD in \(s.id.short) at \(UTC.human(when)), \(result)\(late ? ", LATE" : ", on time")"
        let json = JSONText.encode(["signed": true, "commit": s.id.hex, "time": UTC.iso(when), "result": result, "late": late])
        return State(text: text, json: json)
    }
}
