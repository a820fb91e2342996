import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `pricing-server healthcheck`: GET a URL on this host and exit 0 on a 2xx answer. The container's
/// HEALTHCHECK uses it, so the slim runtime image needs no curl or wget.
struct Healthcheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the service at --port answers 2xx to GET --path (for container health checks).")

    @Option(help: "Port of the service on 127.0.0.1 (default: $PORT, else 8080).")
    var port: Int?

    @Option(help: "Path to request.")
    var path = "/healthz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 3.0

    func run() throws {
        let target = port ?? ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 8080
        guard (1...65535).contains(target), path.hasPrefix("/"), !path.contains(" "), timeout > 0 else {
            throw ValidationError("port must be 1-65535, path must start with / and contain no spaces, timeout must be > 0")
        }
        let status = try Self.status(port: target, path: path, timeout: timeout)
        guard (200..<300).contains(status) else { throw ExitCode(1) }
    }

    /// The status code of `GET path` on 127.0.0.1:port, over a plain socket with a receive timeout.
    static func status(port: Int, path: String, timeout: Double) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ExitCode(1) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ExitCode(1) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { throw ExitCode(1) }
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        // "HTTP/1.1 200" is all we need.
        while head.count < 12 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw ExitCode(1) }
            head += chunk[0..<n]
        }
        let line = String(decoding: head.prefix(12), as: UTF8.self)
        guard line.hasPrefix("HTTP/1."), let status = Int(line.dropFirst(9).prefix(3)) else { throw ExitCode(1) }
        return status
    }
}
