// Thin shims over the Glibc socket calls the package needs (after FlyingSocks' Socket+Glibc.swift).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The raw BSD-socket calls of the package: the server's non-blocking listener and connections, and
/// (``makeConnection(host:port:)``) the blocking client connection of the Lambda runtime.
package enum Socket {
    package typealias Descriptor = Int32

    #if canImport(Darwin)
    static let sendFlags: Int32 = 0
    static let moreFlag: Int32 = 0
    static let streamType = SOCK_STREAM
    #else
    static let sendFlags = Int32(MSG_NOSIGNAL)
    static let moreFlag = Int32(MSG_MORE)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #endif

    /// The current `errno`.
    package static var lastError: Int32 { errno }

    static func isWouldBlock(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    package static func isInterrupted(_ code: Int32) -> Bool { code == EINTR }

    /// accept(2) errors after which accepting the next connection can simply be retried.
    static func isTransientAcceptError(_ code: Int32) -> Bool {
        code == EINTR || code == ECONNABORTED || code == EPROTO || code == EPERM
    }

    /// Human-readable text for an errno value.
    package static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }

    /// Creates, binds and listens on a non-blocking TCP socket. Returns the descriptor and the bound port.
    static func makeListener(host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> (Descriptor, Int) {
        guard (0...65_535).contains(port) else { throw .invalidAddress("port \(port) out of range") }
        return try withFirstUsableAddress(host: host, port: port, flags: AI_PASSIVE) { entry throws(HTTPServerError) in
            let fd = try openSocket(entry)
            do throws(HTTPServerError) {
                try setNonBlocking(fd)
                try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
                if bind(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) != 0 {
                    throw .socket(operation: "bind \(host):\(port)", errno: errno)
                }
                if listen(fd, backlog) != 0 {
                    throw .socket(operation: "listen", errno: errno)
                }
                return (fd, try localPort(fd))
            } catch {
                closeDescriptor(fd)
                throw error
            }
        }
    }

    /// Opens a blocking TCP connection (close-on-exec, no Nagle delay) to the first address of
    /// `host` that accepts it.
    package static func makeConnection(host: String, port: Int) throws(HTTPServerError) -> Descriptor {
        try withFirstUsableAddress(host: host, port: port, flags: 0) { entry throws(HTTPServerError) in
            let fd = try openSocket(entry)
            var result: Int32
            repeat { result = connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) } while result != 0 && errno == EINTR
            guard result == 0 else {
                let code = errno
                closeDescriptor(fd)
                throw .socket(operation: "connect", errno: code)
            }
            setNoDelay(fd)
            return fd
        }
    }

    /// Resolves `host` (any local address when empty) and `port`, and returns what `use` makes of
    /// the first IPv4 or IPv6 address it succeeds with; when it succeeds with none, its last error.
    private static func withFirstUsableAddress<Value>(
        host: String, port: Int, flags: Int32,
        _ use: (UnsafeMutablePointer<addrinfo>) throws(HTTPServerError) -> Value
    ) throws(HTTPServerError) -> Value {
        var hints = addrinfo()
        hints.ai_flags = flags | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        var info: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &info)
        guard status == 0, let first = info else {
            throw .invalidAddress("cannot resolve host '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(info) }

        var lastError: HTTPServerError = .invalidAddress("no usable address for '\(host)'")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let family = entry.pointee.ai_family
            guard family == AF_INET || family == AF_INET6 else { continue }
            do throws(HTTPServerError) {
                return try use(entry)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// A close-on-exec TCP socket for an address's family.
    private static func openSocket(_ entry: UnsafeMutablePointer<addrinfo>) throws(HTTPServerError) -> Descriptor {
        let fd = socket(entry.pointee.ai_family, streamType, 0)
        guard fd >= 0 else { throw .socket(operation: "socket", errno: errno) }
        do throws(HTTPServerError) {
            try setCloseOnExec(fd)
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    static func setNonBlocking(_ fd: Descriptor) throws(HTTPServerError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) >= 0 else {
            throw .socket(operation: "fcntl(O_NONBLOCK)", errno: errno)
        }
    }

    static func setCloseOnExec(_ fd: Descriptor) throws(HTTPServerError) {
        guard fcntl(fd, F_SETFD, FD_CLOEXEC) >= 0 else {
            throw .socket(operation: "fcntl(FD_CLOEXEC)", errno: errno)
        }
    }

    static func setOption(_ fd: Descriptor, _ level: Int32, _ name: Int32, _ value: Int32) throws(HTTPServerError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .socket(operation: "setsockopt(\(name))", errno: errno)
        }
    }

    /// Disables Nagle's algorithm: responses are written whole, so delaying them only adds latency.
    static func setNoDelay(_ fd: Descriptor) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func localPort(_ fd: Descriptor) throws(HTTPServerError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw .socket(operation: "getsockname", errno: errno) }
        return describe(address: storage).port
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket.
    /// Returns nil with `errno` set when nothing could be accepted.
    static func acceptConnection(_ listener: Descriptor) -> (Descriptor, sockaddr_storage)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
        }
        if fd >= 0 {
            // accept4(2) is not exported by the Glibc module; accepted sockets do not inherit O_NONBLOCK.
            do throws(HTTPServerError) {
                try setNonBlocking(fd)
                try setCloseOnExec(fd)
            } catch {
                _ = close(fd)
                errno = ECONNABORTED  // treated as transient: go on accepting
                return nil
            }
        }
        guard fd >= 0 else { return nil }
        return (fd, storage)
    }

    /// Formats an IPv4/IPv6 socket address as `host:port` (`[v6]:port`).
    static func describe(address storage: sockaddr_storage) -> (text: String, port: Int) {
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let sin = raw.load(as: sockaddr_in.self)
                return describe(family: family, sin.sin_addr, port: sin.sin_port)
            case AF_INET6:
                let sin6 = raw.load(as: sockaddr_in6.self)
                return describe(family: family, sin6.sin6_addr, port: sin6.sin6_port)
            default:
                return ("unknown", 0)
            }
        }
    }

    /// `inet_ntop` of an `in_addr` or `in6_addr`, with the port (network byte order) appended.
    private static func describe<Address>(family: Int32, _ address: Address, port networkPort: UInt16) -> (text: String, port: Int) {
        let port = Int(UInt16(bigEndian: networkPort))
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let formatted = withUnsafeBytes(of: address) { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard formatted != nil else { return ("?", port) }
        let host = decodeCString(buffer)
        return (family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)", port)
    }

    private static func decodeCString(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func receive(_ fd: Descriptor, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        recv(fd, buffer, count, 0)
    }

    static func transmit(_ fd: Descriptor, _ buffer: UnsafeRawPointer, _ count: Int, more: Bool) -> Int {
        send(fd, buffer, count, sendFlags | (more ? moreFlag : 0))
    }

    /// Whether the peer has closed its side (EOF) or the connection has failed, without consuming any
    /// input: a non-blocking peek. Bytes waiting to be read (a pipelined request) mean the peer is
    /// still there.
    static func peerHasClosed(_ fd: Descriptor) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if n > 0 { return false }
        if n == 0 { return true }
        let code = errno
        return !(isWouldBlock(code) || isInterrupted(code))
    }

    /// Half-closes the sending side: the peer sees EOF after the bytes already written.
    static func shutdownWrite(_ fd: Descriptor) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    package static func closeDescriptor(_ fd: Descriptor) {
        _ = close(fd)
    }

    /// Reads and discards whatever is immediately available (non-blocking), up to `limit` bytes.
    static func discardAvailable(_ fd: Descriptor, limit: Int = 65_536) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < limit {
            let n = scratch.withUnsafeMutableBytes { receive(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { return }
            total += n
        }
    }

    /// Writes `bytes` until all are sent or the socket takes no more (an error, or a full send
    /// buffer on a non-blocking socket); returns how many were written.
    @discardableResult
    package static func sendAll(_ fd: Descriptor, _ bytes: [UInt8]) -> Int {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { transmit(fd, $0.baseAddress! + written, $0.count - written, more: false) }
            if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
        return written
    }
}
