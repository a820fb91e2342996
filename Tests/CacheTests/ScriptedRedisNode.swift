import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on loopback that speaks just enough RESP to stand in for a Redis node whose replies
/// a test chooses (a cluster node answering MOVED to a host of the test's choice), and that records
/// every connection and command it receives (so a test can tell whether a password was sent to it).
final class ScriptedRedisNode: Sendable {
    /// The reply to one command, as raw RESP.
    typealias Script = @Sendable (_ command: [String]) -> String

    let port: Int
    private let listener: Int32
    private let script: Script
    private let received = Mutex<(connections: Int, commands: [[String]])>((0, []))
    private let open = Mutex<[Int32]>([])

    init(script: @escaping Script) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw Failure("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Connections accepted so far.
    var connections: Int { received.withLock { $0.connections } }
    /// Commands received so far, in order, as text.
    var commands: [[String]] { received.withLock { $0.commands } }

    /// Stops listening and closes every connection.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open.withLock({ fds in defer { fds = [] }; return fds }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            received.withLock { $0.connections += 1 }
            open.withLock { $0.append(fd) }
            Thread.detachNewThread { [self] in serve(fd) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var reader = CommandReader(fd: fd)
        while let command = reader.next() {
            received.withLock { $0.commands.append(command) }
            let reply = Array(script(command).utf8)
            var sent = 0
            while sent < reply.count {
                let n = reply[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent += n
            }
        }
    }

    /// Reads RESP arrays of bulk strings (the only form clients send commands in).
    private struct CommandReader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func next() -> [String]? {
            guard let header = line(), header.first == "*", let count = Int(header.dropFirst()) else { return nil }
            var args: [String] = []
            for _ in 0..<count {
                guard let size = line(), size.first == "$", let n = Int(size.dropFirst()), fill(n + 2) else { return nil }
                args.append(String(decoding: buffer[..<n], as: UTF8.self))
                buffer.removeFirst(n + 2)
            }
            return args
        }

        private mutating func line() -> String? {
            while true {
                if let i = buffer.firstIndex(of: UInt8(ascii: "\n")), i > 0 {
                    let text = String(decoding: buffer[..<(i - 1)], as: UTF8.self)
                    buffer.removeFirst(i + 1)
                    return text
                }
                guard read() else { return nil }
            }
        }

        private mutating func fill(_ n: Int) -> Bool {
            while buffer.count < n { guard read() else { return false } }
            return true
        }

        private mutating func read() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffer += chunk[..<n]
            return true
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: RESP replies

    static let ok = "+OK\r\n"

    static func error(_ message: String) -> String { "-\(message)\r\n" }

    /// A CLUSTER SLOTS reply giving every slot to one master per entry, in equal ranges.
    static func clusterSlots(_ masters: [Int]) -> String {
        let per = 16384 / masters.count
        var out = "*\(masters.count)\r\n"
        for (i, port) in masters.enumerated() {
            let first = i * per, last = i == masters.count - 1 ? 16383 : (i + 1) * per - 1
            out += "*3\r\n:\(first)\r\n:\(last)\r\n*3\r\n$9\r\n127.0.0.1\r\n:\(port)\r\n$4\r\nnode\r\n"
        }
        return out
    }
}
