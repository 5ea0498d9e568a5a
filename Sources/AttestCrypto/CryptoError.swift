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
            var buf = [UInt8](repeating: 0, count: 256)
            buf.withUnsafeMutableBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            }
            parts.append(String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self))
        }
        return CryptoError(operation: operation, message: parts.isEmpty ? "unknown error" : parts.joined(separator: "; "))
    }
}
