import HTTPServer

/// A minimal blocking HTTP/1.1 client for the Runtime API: one keep-alive connection over a BSD
/// socket (through HTTPServer's `Socket` calls), requests and answers with `Content-Length` bodies, no
/// timeouts.
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
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    let endpoint: RuntimeAPIEndpoint
    private var fd: Socket.Descriptor = -1
    /// Received bytes not yet parsed.
    private var buffer: [UInt8] = []
    /// What each `recv` reads into, allocated once.
    private var scratch = [UInt8](repeating: 0, count: 65_536)
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
            if response.headers["connection"]?.lowercased() == "close" { disconnect() }
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
        if fd >= 0 { Socket.closeDescriptor(fd) }
        fd = -1
        buffer.removeAll(keepingCapacity: true)
    }

    private func connect() throws(RuntimeAPIError) {
        do {
            fd = try Socket.makeConnection(host: endpoint.host, port: endpoint.port)
        } catch {
            throw .unreachable(endpoint: endpoint.description, reason: "\(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func sendAll(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        guard Socket.sendAll(fd, bytes) == bytes.count else {
            throw .connectionLost(endpoint: endpoint.description, reason: "send: \(Socket.describe(Socket.lastError))")
        }
    }

    /// Reads more bytes into the buffer (blocking). Returns false at end of stream.
    private func fill() throws(RuntimeAPIError) -> Bool {
        while true {
            let count = scratch.withUnsafeMutableBytes { Socket.receive(fd, $0.baseAddress!, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: scratch[..<count])
                answerStarted = true
                return true
            }
            if count == 0 { return false }
            let code = Socket.lastError
            if Socket.isInterrupted(code) { continue }
            throw .connectionLost(endpoint: endpoint.description, reason: "recv: \(Socket.describe(code))")
        }
    }

    private func readResponse() throws(RuntimeAPIError) -> Response {
        // The head: up to the blank line.
        let headEnd: Int
        var searchFrom = 0
        while true {
            if let end = Self.blankLine(in: buffer, from: searchFrom) {
                headEnd = end
                break
            }
            searchFrom = max(0, buffer.count - 3)
            guard buffer.count < 64 * 1024 else { throw .malformedResponse("response head over 64 KiB") }
            guard try fill() else {
                throw .connectionLost(endpoint: endpoint.description,
                                      reason: buffer.isEmpty ? "closed by the peer" : "closed in the middle of a response head")
            }
        }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformedResponse("status line \"\(statusLine.prefix(100))\"")
        }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse("header line \"\(line.prefix(100))\"") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].trimmingWhitespace()))
        }
        var response = Response(status: status, headers: headers, body: [])
        if let encoding = headers["transfer-encoding"], encoding.lowercased() != "identity" {
            throw .malformedResponse("Transfer-Encoding \(encoding) is not supported (the Runtime API sends Content-Length)")
        }
        if status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw .malformedResponse("Content-Length \"\(lengthText)\"")
            }
            while buffer.count < length {
                guard try fill() else {
                    throw .connectionLost(endpoint: endpoint.description, reason: "closed after \(buffer.count) of \(length) body bytes")
                }
            }
            if buffer.count == length {
                swap(&response.body, &buffer)  // the usual case: nothing after the body, so no copy
            } else {
                response.body = Array(buffer[..<length])
                buffer.removeFirst(length)
            }
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
}
