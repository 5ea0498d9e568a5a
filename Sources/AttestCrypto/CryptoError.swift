internal import COpenSSL

/// An OpenSSL failure with the whole error queue drained into `message`.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let message: String
    public var description: String { "\(operation): \(message)" }

    public init(operation: String, message: String) { self.operation = operation; self.message = message }

    /// Drains OpenSSL's per-thread error queue into one message.
    static func fromQueue(_ operation: String) -> CryptoError {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            parts.append(String(cString: buf))
        }
        return CryptoError(operation: operation, message: parts.isEmpty ? "unknown error" : parts.joined(separator: "; "))
    }
}
