import Foundation

/// Why `cloneOfWorkingTree` could not make the clone: the git command and its output.
public struct CloneFailure: Error, CustomStringConvertible {
    public let description: String
}

/// A fresh `git clone` of this package's working tree at `clone`, as a user's clone would be.
/// A clone holds committed content only, so that a test checks the tree under development the
/// working tree's uncommitted changes (tracked files: `git diff HEAD`; untracked files git does
/// not ignore: copied) are brought over. On a clean tree (CI) that is nothing: the clone is HEAD.
public func cloneOfWorkingTree(to clone: String) throws(CloneFailure) {
    func step(_ what: String, _ r: RunResult) throws(CloneFailure) {
        guard r.status == 0 else { throw CloneFailure(description: "\(what): \(r)") }
    }
    try step("git clone", run("git", ["clone", "--quiet", "--no-hardlinks", packageRoot, clone]))
    let diff = run("git", ["-C", packageRoot, "diff", "HEAD", "--binary"])
    try step("git diff HEAD", diff)
    if !diff.stdout.isEmpty {
        try step("git apply", run("git", ["-C", clone, "apply", "--whitespace=nowarn"], stdin: Data(diff.stdout.utf8)))
    }
    let untracked = run("git", ["-C", packageRoot, "ls-files", "-z", "--others", "--exclude-standard"])
    try step("git ls-files", untracked)
    for path in untracked.stdout.split(separator: "\0").map(String.init) {
        try step("copy \(path)", run("sh", ["-c", "mkdir -p \"$(dirname \"$2/$1\")\" && cp -p \"$0/$1\" \"$2/$1\"", packageRoot, path, clone]))
    }
}
