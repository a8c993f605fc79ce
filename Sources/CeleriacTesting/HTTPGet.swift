import Foundation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A minimal HTTP/1.1 client over a real TCP socket to 127.0.0.1, returning the raw response: the test targets have
/// no HTTP client, and the servers under test (metrics endpoints, the dashboard) are checked as a scraper or a
/// browser sees them: no redirects followed, no cookies kept.
public enum HTTPGet {
    /// Why a request failed (socket, connect, send or receive).
    public struct Failure: Error, CustomStringConvertible {
        /// What failed.
        public var description: String
    }

    /// Sends `GET path` to 127.0.0.1:`port` with `Connection: close` and reads until the server closes.
    public static func fetch(port: Int, path: String) async throws -> String {
        try await request("GET", path: path, port: port)
    }

    /// Sends `method path` with `headers` and an empty body, and returns the raw response (status line, headers,
    /// body as sent). The blocking socket calls run on a thread of their own: on the cooperative pool (two threads
    /// on a two-core machine) they would starve the very server handlers they wait for.
    public static func request(_ method: String, path: String, headers: [String: String] = [:], port: Int) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try exchange(method: method, path: path, headers: headers, port: port) })
            }.start()
        }
    }

    private static func exchange(method: String, path: String, headers: [String: String], port: Int) throws -> String {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed (errno \(errno))") }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: 0\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        let request = Array(text.utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw Failure(description: "send failed") }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw Failure(description: "recv failed (errno \(errno))") }
            if count == 0 { break }
            response.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }
}
