import Dispatch

extension HTTPConnection {
    /// Small bodies are copied behind the head so the whole response goes out in one `send`.
    static let coalesceLimit = 16 * 1024
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    // MARK: - Responses

    /// Writes the handler's response for the current exchange (the handler suspended, so this
    /// arrives as a job on the connection's queue).
    func deliver(_ response: HTTPResponse) async {
        guard phase == .handling, let exchange else { return }  // closed while the handler ran
        switch response.body {
        case .bytes(let body):
            let keepAlive = writeComplete(response, body: body, exchange: exchange)
            _ = completeExchange(keepAlive: keepAlive, inline: false)
        case .stream(let produce):
            await writeStream(response, produce: produce, exchange: exchange)
        }
    }

    /// Writes a response that the handler produced without suspending. Returns true if the
    /// connection is ready for the next request and the caller should continue parsing.
    func deliverInline(_ response: HTTPResponse) -> Bool {
        guard phase == .handling, let exchange else { return false }
        switch response.body {
        case .bytes(let body):
            let keepAlive = writeComplete(response, body: body, exchange: exchange)
            return completeExchange(keepAlive: keepAlive, inline: true)
        case .stream:
            Task { await self.deliver(response) }
            return false
        }
    }

    private func shouldKeepAlive(for response: HTTPResponse, exchange: Exchange) -> Bool {
        guard exchange.keepAlive && !shutdownRequested else { return false }
        if let connection = response.headers["connection"], Self.containsCloseToken(connection) { return false }
        return true
    }

    private static func bodyAllowed(_ code: Int) -> Bool {
        !((100...199).contains(code) || code == 204 || code == 304)
    }

    /// Queues a complete response. Returns whether the connection stays open.
    private func writeComplete(_ response: HTTPResponse, body: [UInt8], exchange: Exchange) -> Bool {
        let keepAlive = shouldKeepAlive(for: response, exchange: exchange)
        let code = response.status.code
        let bodyAllowed = Self.bodyAllowed(code)
        let sendBody = bodyAllowed && !exchange.isHead
        let coalesce = sendBody && body.count <= Self.coalesceLimit
        var head = makeHead(response, capacity: 160 + (coalesce ? body.count : 0))
        if bodyAllowed { head.appendContentLength(body.count) }
        appendConnectionField(&head, keepAlive: keepAlive, version: exchange.version)
        head.finish()
        if coalesce {
            head.bytes.append(contentsOf: body)
            output.append(head.bytes)
        } else {
            output.append(head.bytes)
            if sendBody { output.append(body) }
        }
        logAccess(method: exchange.method, path: exchange.path, status: code,
                  bytes: sendBody ? body.count : 0, started: exchange.started)
        return keepAlive
    }

    /// Sends a streamed response: head, then the producer's chunks, then the last chunk.
    private func writeStream(
        _ response: HTTPResponse, produce: @Sendable (ResponseBodyWriter) async throws -> Void, exchange: Exchange
    ) async {
        var keepAlive = shouldKeepAlive(for: response, exchange: exchange)
        let code = response.status.code
        let bodyAllowed = Self.bodyAllowed(code)
        // HTTP/1.0 has no chunked coding: the body is delimited by closing the connection.
        let chunked = exchange.version != .http1_0
        if bodyAllowed && !chunked { keepAlive = false }
        var head = makeHead(response, capacity: 192)
        if bodyAllowed && chunked { head.appendField("Transfer-Encoding", "chunked") }
        appendConnectionField(&head, keepAlive: keepAlive, version: exchange.version)
        head.finish()
        output.append(head.bytes)
        guard flushOutput() else { return }
        guard bodyAllowed && !exchange.isHead else {
            logAccess(method: exchange.method, path: exchange.path, status: code, bytes: 0, started: exchange.started)
            _ = completeExchange(keepAlive: keepAlive, inline: false)
            return
        }
        nextStreamID += 1
        let streamID = nextStreamID
        activeStream = ActiveStream(id: streamID, chunked: chunked, bytes: 0)
        do {
            try await produce(ResponseBodyWriter(connection: self, streamID: streamID))
        } catch {
            if phase == .handling {
                logger.warning("response stream for \(exchange.method) \(exchange.path) failed: \(error); closing connection")
            }
            logAccess(method: exchange.method, path: exchange.path, status: code,
                      bytes: activeStream?.bytes ?? 0, started: exchange.started)
            close()
            return
        }
        guard phase == .handling, let stream = activeStream, stream.id == streamID else { return }
        activeStream = nil
        if chunked { output.append(Self.lastChunk) }
        logAccess(method: exchange.method, path: exchange.path, status: code, bytes: stream.bytes, started: exchange.started)
        _ = completeExchange(keepAlive: keepAlive, inline: false)
    }

    /// Whether the client of stream `streamID` is gone: the stream is over, the connection closed, or
    /// the client has closed its side. Reading is suspended while a response is produced, so without
    /// this a producer that writes nothing for a while (waiting for a computation) would not notice.
    func streamIsAbandoned(streamID: Int) -> Bool {
        guard phase == .handling, activeStream?.id == streamID else { return true }
        return Socket.peerHasClosed(fd)
    }

    /// Sends one chunk of a streamed body, waiting while too much output is queued.
    func writeBodyChunk(_ bytes: [UInt8], streamID: Int) async throws {
        guard phase == .handling, var stream = activeStream, stream.id == streamID else {
            throw HTTPServerError.connectionClosed
        }
        guard !bytes.isEmpty else { return }
        if stream.chunked {
            var frame: [UInt8] = []
            frame.reserveCapacity(20 + (bytes.count <= Self.coalesceLimit ? bytes.count : 0))
            Self.appendHex(bytes.count, to: &frame)
            frame.append(ASCII.cr)
            frame.append(ASCII.lf)
            if bytes.count <= Self.coalesceLimit {
                frame.append(contentsOf: bytes)
                frame.append(ASCII.cr)
                frame.append(ASCII.lf)
                output.append(frame)
            } else {
                output.append(frame)
                output.append(bytes)
                output.append([ASCII.cr, ASCII.lf])
            }
        } else {
            output.append(bytes)
        }
        stream.bytes += bytes.count
        activeStream = stream
        guard flushOutput() else { throw HTTPServerError.connectionClosed }
        while output.pendingBytes > settings.writeHighWaterMark {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                drainWaiters.append(continuation)
            }
            guard phase == .handling, activeStream?.id == streamID else { throw HTTPServerError.connectionClosed }
        }
    }

    /// Status line, application headers, Date and Server.
    private func makeHead(_ response: HTTPResponse, capacity: Int) -> ResponseHead {
        var head = ResponseHead(capacity: capacity + response.headers.count * 48)
        head.appendStatusLine(response.status)
        for field in response.headers.fields where ResponseHead.isCopyable(field.name, field.value) {
            head.appendField(field.name, field.value)
        }
        head.appendRaw(date.fieldLine())
        if let server = settings.serverField { head.appendRaw(server) }
        return head
    }

    private func appendConnectionField(_ head: inout ResponseHead, keepAlive: Bool, version: HTTPVersion) {
        if !keepAlive {
            head.appendField("Connection", "close")
        } else if version == .http1_0 {
            head.appendField("Connection", "keep-alive")
        }
    }

    /// After a response has been queued: close, wait for the output to drain, or go on with the next
    /// request. With `inline`, returns true instead of parsing the next request itself (the caller is
    /// already in the parse loop; recursing would nest once per pipelined request).
    private func completeExchange(keepAlive: Bool, inline: Bool) -> Bool {
        exchange = nil
        guard flushOutput() else { return false }
        if !keepAlive {
            phase = .closing
            lingerOnceWritten()
            return false
        }
        if output.pendingBytes > settings.writeHighWaterMark {
            resumeAfterDrain = true
            return false
        }
        if inline {
            phase = .idle
            setDeadline(Self.now &+ settings.idleTimeout)
            return true
        }
        startNextRequest()
        return false
    }

    /// Back to reading: parse any pipelined bytes already buffered, then wait for more.
    func startNextRequest() {
        phase = .idle
        setDeadline(Self.now &+ settings.idleTimeout)
        processInput()
        switch phase {
        case .idle, .head, .body: resumeReading()
        default: break
        }
    }

    /// Answers a protocol error with a JSON error response and closes the connection.
    func respondWithError(_ error: RequestError) {
        switch phase {
        case .idle, .head, .body: break
        case .handling, .closing, .lingering, .closed: return
        }
        var method = "-"
        var path = "-"
        var isHead = false
        var started = requestStarted
        if let exchange {
            (method, path, isHead, started) = (exchange.method, exchange.path, exchange.isHead, exchange.started)
        } else if parser.requestLineEnd >= 0 {
            let bytes = input.readable
            method = String(decoding: UnsafeBufferPointer(rebasing: bytes[parser.method]), as: UTF8.self)
            path = parser.pathIsImplicitRoot ? "/" : String(decoding: UnsafeBufferPointer(rebasing: bytes[parser.path]), as: UTF8.self)
            isHead = parser.isHead(bytes)
        }
        let body = error.jsonBody
        let bytes = error.responseBytes(body: body, date: date.fieldLine(), serverName: settings.serverField, includeBody: !isHead)
        logAccess(method: method, path: path, status: error.status.code, bytes: isHead ? 0 : body.count, started: started)
        logger.debug("\(remoteAddress): \(error.status.code) \(error.message)")
        pending = nil
        exchange = nil
        phase = .closing
        output.append(bytes)
        guard flushOutput() else { return }
        lingerOnceWritten()
    }

    /// In `closing`, with the final response flushed as far as the socket takes it: linger now if it
    /// is all out, else once it is (``outputDrained()``), giving the client the write timeout to read it.
    private func lingerOnceWritten() {
        if output.isEmpty {
            beginLinger()
        } else {
            setDeadline(Self.now &+ settings.writeTimeout)
        }
    }

    /// Half-closes and keeps reading until the client closes, so it receives the final response
    /// instead of a reset caused by unread input.
    private func beginLinger() {
        guard phase != .closed, phase != .lingering else { return }
        phase = .lingering
        Socket.shutdownWrite(fd)
        input.consume(input.readableCount)
        if shutdownRequested && settings.lingerTimeout == 0 {
            close()
            return
        }
        setDeadline(Self.now &+ settings.lingerTimeout)
        resumeReading()
    }

    // MARK: - Socket output

    /// Writes queued output without blocking. Returns false if the connection failed and was closed.
    func flushOutput() -> Bool {
        switch output.flush(to: fd) {
        case .drained:
            disarmWrite()
            return true
        case .blocked:
            armWrite()
            if phase == .handling || phase == .closing { setDeadline(Self.now &+ settings.writeTimeout) }
            return true
        case .failed:
            close()
            return false
        }
    }

    func onWritable() {
        guard phase != .closed else { return }
        switch output.flush(to: fd) {
        case .drained:
            disarmWrite()
            outputDrained()
        case .blocked:
            if phase == .handling || phase == .closing { setDeadline(Self.now &+ settings.writeTimeout) }
            if output.pendingBytes <= settings.writeHighWaterMark { wakeWriters() }
        case .failed:
            close()
        }
    }

    private func outputDrained() {
        wakeWriters()
        switch phase {
        case .closing:
            beginLinger()
        case .handling:
            if resumeAfterDrain {
                resumeAfterDrain = false
                startNextRequest()
            } else {
                deadline = 0
            }
        default:
            break
        }
    }

    private func wakeWriters() {
        guard !drainWaiters.isEmpty else { return }
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func armWrite() {
        guard !writeArmed else { return }
        writeArmed = true
        armPoller()
    }

    /// Stops waiting to write (an event already armed is dropped when it comes).
    private func disarmWrite() {
        writeArmed = false
    }

    // MARK: - Helpers

    static func containsCloseToken(_ value: String) -> Bool {
        value.split(separator: ",").contains { $0.trimmingWhitespace().lowercased() == "close" }
    }

    /// A chunk size: lowercase hexadecimal digits.
    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value, radix: 16).utf8)
    }
}
