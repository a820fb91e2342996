import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway `redis-server` on a free loopback port (no persistence), plus a minimal RESP client
/// for poking at it from "another client". Start it in setUp, `stop()` it in tearDown.
public final class RedisServerHarness: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let port: Int
    public let extraArguments: [String]
    private let process = Mutex<Process?>(nil)
    private let directory: URL

    public var url: String { "redis://127.0.0.1:\(port)" }

    public init(extraArguments: [String] = []) throws {
        port = try Self.freePort()
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A cluster-enabled node: its port and port + 10000 (the cluster bus) are free.
    public init(clusterNode: Void) throws {
        var chosen: Int?
        for _ in 0..<200 {
            let candidate = Int.random(in: 20000..<30000)
            if Self.isFree(candidate), Self.isFree(candidate + 10000) { chosen = candidate; break }
        }
        guard let chosen else { throw Unavailable(description: "no free port pair for a cluster node") }
        port = chosen
        extraArguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts redis-server (again, on the same port) and waits until it answers PING.
    public func start() throws {
        guard let binary = Self.findExecutable("redis-server") else { throw Unavailable(description: "redis-server not on PATH") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                       "--daemonize", "no", "--dir", directory.path, "--loglevel", "warning"] + extraArguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process.withLock { $0 = p }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let reply = try? command(["PING"]), reply == .status("PONG") || reply.isError { return }
            usleep(10_000)
        }
        stop()
        throw Unavailable(description: "redis-server on port \(port) did not answer PING")
    }

    /// kill -9: no shutdown, sockets reset by the kernel.
    public func kill9() {
        guard let p = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    public func stop() { kill9() }

    /// SIGSTOP / SIGCONT: the kernel still accepts connections, but nothing answers.
    public func pause() { signal(SIGSTOP) }
    public func resume() { signal(SIGCONT) }

    private func signal(_ signal: Int32) {
        if let pid = process.withLock({ $0?.processIdentifier }) { kill(pid, signal) }
    }

    // MARK: A minimal RESP client (one connection per command)

    public enum Reply: Equatable, Sendable {
        case status(String), error(String), integer(Int), bulk([UInt8]?), array([Reply]?)
        public var isError: Bool { if case .error = self { true } else { false } }
    }

    public func command(_ args: [String], password: String? = nil) throws -> Reply {
        try command(args.map { Array($0.utf8) }, password: password)
    }

    public func command(_ args: [[UInt8]], password: String? = nil) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Unavailable(description: "connect failed") }
        var out: [UInt8] = []
        func encode(_ a: [[UInt8]]) {
            out += Array("*\(a.count)\r\n".utf8)
            for arg in a { out += Array("$\(arg.count)\r\n".utf8) + arg + Array("\r\n".utf8) }
        }
        if let password { encode([Array("AUTH".utf8), Array(password.utf8)]) }
        encode(args)
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Unavailable(description: "write failed") }
            sent += n
        }
        var reader = Reader(fd: fd)
        if password != nil { _ = try reader.reply() }
        return try reader.reply()
    }

    private struct Reader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func fill() throws {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Unavailable(description: "read failed") }
            buffer += chunk[..<n]
        }

        mutating func line() throws -> String {
            while true {
                if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: buffer[..<(i - 1)], as: UTF8.self)
                    buffer.removeFirst(i + 1)
                    return text
                }
                try fill()
            }
        }

        mutating func reply() throws -> Reply {
            let header = try line()
            let body = String(header.dropFirst())
            switch header.first {
            case "+": return .status(body)
            case "-": return .error(body)
            case ":": return .integer(Int(body) ?? 0)
            case "$":
                let n = Int(body) ?? -1
                if n < 0 { return .bulk(nil) }
                while buffer.count < n + 2 { try fill() }
                let bytes = Array(buffer[..<n])
                buffer.removeFirst(n + 2)
                return .bulk(bytes)
            case "*":
                let n = Int(body) ?? -1
                if n < 0 { return .array(nil) }
                return .array(try (0..<n).map { _ in try reply() })
            default:
                throw Unavailable(description: "bad reply '\(header)'")
            }
        }
    }

    // MARK: Helpers

    /// A port nothing listens on right now (bound to port 0 and released).
    public static func freePort() throws -> Int {
        try bindPort(0)
    }

    private static func isFree(_ port: Int) -> Bool {
        (try? bindPort(port)) != nil
    }

    private static func bindPort(_ port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket failed") }
        defer { close(fd) }
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Unavailable(description: "bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    public static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map { "\($0)/\(name)" } + ["/usr/bin/\(name)", "/usr/local/bin/\(name)"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
