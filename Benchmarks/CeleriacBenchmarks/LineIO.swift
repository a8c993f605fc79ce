import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Line reads and writes on raw file descriptors, for the parent/worker handshake over pipes.
enum LineIO {
    /// Reads one line from `descriptor` off the cooperative pool (the read blocks).
    /// - Returns: the line without its newline, or `nil` at end of file before any byte.
    static func readLine(from descriptor: Int32) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                var byte: UInt8 = 0
                var sawEnd = false
                while true {
                    let count = read(descriptor, &byte, 1)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { sawEnd = true; break }
                    if byte == UInt8(ascii: "\n") { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: sawEnd && bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// Writes `line` and a newline to `descriptor`.
    /// - Returns: `false` when the write failed (the reader is gone).
    @discardableResult
    static func writeLine(_ line: String, to descriptor: Int32) -> Bool {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}
