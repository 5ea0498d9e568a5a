import Foundation

/// Paths as the user typed them, against the folder they are relative to.
public enum Paths {
    /// `path` itself when it is absolute, otherwise `path` inside `folder` (the working
    /// directory for a command-line argument; a repository or objects folder for what git
    /// writes relative to it). Nothing else is changed: no `..` is folded, no link followed.
    ///
    /// ```swift
    /// Paths.resolve("out/report.html", against: "/home/ana/repo")  // "/home/ana/repo/out/report.html"
    /// Paths.resolve("/tmp/report.html", against: "/home/ana/repo") // "/tmp/report.html"
    /// ```
    public static func resolve(_ path: String, against folder: String) -> String {
        path.hasPrefix("/") ? path : folder + "/" + path
    }
}
