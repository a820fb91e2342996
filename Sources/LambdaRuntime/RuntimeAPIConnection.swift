#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 client for the Runtime API: one keep-alive connection over a BSD
/// socket, requests and answers with `Content-Length` bodies, no timeouts.
///
/// Why not URLSession: on Linux it lives in FoundationNetworking, which brings libcurl into the
/// binary and the image, puts a 60 s default timeout on every request (`next` legitimately blocks for
/// as long as no event arrives and must have none), and runs its own threads. The Runtime API is
/// plain HTTP/1.1 on loopback answering one request at a time, so a socket, a write and a read loop
/// suffice and are easy to reason about when the environment is frozen and thawed between events.
///
/// Not thread-safe: ``RuntimeAPIClient`` only calls it from its serial queue.
final class RuntimeAPIConnection {
    /// A status line, header fields and the body of one answer.
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        /// The first value of a header field, by case-insensitive name.
        func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.name.lowercased() == lower }?.value
        }
    }

    let endpoint: RuntimeAPIEndpoint
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    /// Whether any byte of the current answer has arrived (a request is only re-sent if not).
    private var answerStarted = false

    init(endpoint: RuntimeAPIEndpoint) {
        self.endpoint = endpoint
    }

    deinit {
        disconnect()
    }

    /// Sends one request and reads its answer. A request that fails on a reused connection before
    /// any byte of the answer arrived (the peer closed an idle keep-alive connection) is sent once
    /// more on a new connection.
    func exchange(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws(RuntimeAPIError) -> Response {
        let request = Self.serialize(method: method, path: path, host: endpoint.description, headers: headers, body: body)
        let reused = fd >= 0
        do {
            return try attempt(request)
        } catch {
            guard reused, !answerStarted, case .connectionLost = error else { throw error }
            return try attempt(request)
        }
    }

    private func attempt(_ request: [UInt8]) throws(RuntimeAPIError) -> Response {
        if fd < 0 { try connect() }
        answerStarted = !buffer.isEmpty
        do {
            try sendAll(request)
            let response = try readResponse()
            if response.header("connection")?.lowercased() == "close" { disconnect() }
            return response
        } catch {
            disconnect()
            throw error
        }
    }

    /// The request head and body in HTTP/1.1 form.
    static func serialize(method: String, path: String, host: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: pricing-server-lambda\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    func disconnect() {
        if fd >= 0 { _ = close(fd) }
        fd = -1
        buffer.removeAll(keepingCapacity: true)
    }

    private func connect() throws(RuntimeAPIError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        hints.ai_flags = AI_NUMERICSERV
        var info: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &info)
        guard status == 0, let first = info else {
            throw .unreachable(endpoint: endpoint.description, reason: "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(info) }
        var reason = "no usable address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let socketFD = socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            guard socketFD >= 0 else { reason = Self.describe(errno); continue }
            _ = fcntl(socketFD, F_SETFD, FD_CLOEXEC)
            var result: Int32
            repeat { result = systemConnect(socketFD, entry.pointee.ai_addr, entry.pointee.ai_addrlen) } while result != 0 && errno == EINTR
            if result == 0 {
                var one: Int32 = 1
                _ = setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                fd = socketFD
                buffer.removeAll(keepingCapacity: true)
                return
            }
            reason = Self.describe(errno)
            _ = close(socketFD)
        }
        throw .unreachable(endpoint: endpoint.description, reason: reason)
    }

    private func sendAll(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                #if canImport(Darwin)
                send(fd, raw.baseAddress! + offset, raw.count - offset, 0)
                #else
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #endif
            }
            if sent > 0 { offset += sent; continue }
            if sent < 0 && errno == EINTR { continue }
            throw .connectionLost(endpoint: endpoint.description, reason: "send: \(Self.describe(errno))")
        }
    }

    /// Reads more bytes into the buffer (blocking). Returns false at end of stream.
    private func fill() throws(RuntimeAPIError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                answerStarted = true
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            throw .connectionLost(endpoint: endpoint.description, reason: "recv: \(Self.describe(errno))")
        }
    }

    private func readResponse() throws(RuntimeAPIError) -> Response {
        // The head: up to the blank line.
        var headEnd: Int?
        var searchFrom = 0
        while headEnd == nil {
            headEnd = Self.blankLine(in: buffer, from: searchFrom)
            if headEnd != nil { break }
            searchFrom = max(0, buffer.count - 3)
            guard buffer.count < 64 * 1024 else { throw .malformedResponse("response head over 64 KiB") }
            guard try fill() else {
                throw .connectionLost(endpoint: endpoint.description,
                                      reason: buffer.isEmpty ? "closed by the peer" : "closed in the middle of a response head")
            }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformedResponse("status line \"\(statusLine.prefix(100))\"")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse("header line \"\(line.prefix(100))\"") }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())))
        }
        var response = Response(status: status, headers: headers, body: [])
        if let encoding = response.header("transfer-encoding"), encoding.lowercased() != "identity" {
            throw .malformedResponse("Transfer-Encoding \(encoding) is not supported (the Runtime API sends Content-Length)")
        }
        if status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText.trimmingSpaces), length >= 0 else {
                throw .malformedResponse("Content-Length \"\(lengthText)\"")
            }
            while buffer.count < length {
                guard try fill() else {
                    throw .connectionLost(endpoint: endpoint.description, reason: "closed after \(buffer.count) of \(length) body bytes")
                }
            }
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            // No length: the body runs to the end of the connection.
            while try fill() {}
            response.body = buffer
            disconnect()
        }
        return response
    }

    /// The offset of the first CRLFCRLF at or after `start`.
    static func blankLine(in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var i = start
        while i + 3 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }
}

/// connect(2), under a name the connection's own `connect()` does not shadow.
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
