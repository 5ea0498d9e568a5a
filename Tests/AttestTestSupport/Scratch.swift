import Foundation

/// A scratch folder under the system temp dir, removed when the value is released.
public final class Scratch: @unchecked Sendable {
    public let path: String
    public var url: URL { URL(fileURLWithPath: path) }

    public init(_ label: String = "attest") {
        let base = FileManager.default.temporaryDirectory.path + "/attest-tests"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base + "/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file (creating folders), relative to the scratch folder.
    @discardableResult
    public func write(_ relative: String, _ contents: String) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! contents.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    public func read(_ relative: String) -> String? { try? String(contentsOfFile: path + "/" + relative, encoding: .utf8) }
}

/// The package root, found from this file's path.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The built `attest` binary (`swift build` puts it in .build/debug).
public var attestBinary: String {
    ProcessInfo.processInfo.environment["ATTEST_BINARY"] ?? packageRoot + "/.build/debug/attest"
}
