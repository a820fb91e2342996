import Dispatch

extension HTTPConnection {
    /// The read source fired: read once and parse what has arrived.
    func onReadable() {
        switch phase {
        case .closed:
            return
        case .lingering:
            discardInput()
            return
        case .handling, .closing:
            // One request at a time: leave pipelined bytes in the socket until the response is out.
            suspendReading()
            return
        case .idle, .head, .body:
            break
        }
        let n = input.read(from: fd, maxCapacity: settings.maxReceiveBufferBytes)
        if n > 0 {
            processInput()
        } else if n == 0 {
            close()  // the client closed; there is no complete request to answer
        } else if n == -2 {
            respondWithError(.headersTooLarge("The request header section is too large."))
        } else {
            let code = Socket.lastError
            if Socket.isWouldBlock(code) || Socket.isInterrupted(code) { return }
            close()
        }
    }

    /// Parses as much of the buffered input as possible, dispatching a request when one is complete.
    func processInput() {
        while true {
            switch phase {
            case .idle, .head:
                if parser.scanned == 0 { skipEmptyLines() }
                if phase == .idle {
                    guard input.readableCount > 0 else {
                        input.shrinkIfIdle()
                        return
                    }
                    phase = .head
                    if requestCount > 0 {
                        requestStarted = Self.now
                        headDeadlineArmed = false
                    }
                }
                guard parseHead() else { return }
            case .body:
                guard readBody() else { return }
            case .handling, .closing, .lingering, .closed:
                return
            }
        }
    }

    /// Drops the empty lines a client may send between requests (RFC 9112 §2.2).
    private func skipEmptyLines() {
        let bytes = input.readable
        var count = 0
        while count < bytes.count && (bytes[count] == ASCII.cr || bytes[count] == ASCII.lf) { count += 1 }
        if count > 0 { input.consume(count) }
    }

    /// Returns true to continue processing (a body follows, or the request was answered inline).
    private func parseHead() -> Bool {
        let bytes = input.readable
        switch parser.parse(bytes) {
        case .needMore:
            if !headDeadlineArmed {
                headDeadlineArmed = true
                setDeadline(requestStarted &+ settings.headerTimeout)
            }
            return false
        case .failure(let error):
            respondWithError(error)
            return false
        case .complete(let headLength):
            var request = makeRequest(bytes)
            let framing = parser.framing
            let keepAlive = !shutdownRequested && !framing.connectionClose
                && (request.version != .http1_0 || framing.connectionKeepAlive)
            exchange = Exchange(
                method: request.method, path: request.path, version: request.version,
                isHead: parser.isHead(bytes), keepAlive: keepAlive, started: requestStarted)
            input.consume(headLength)
            parser.reset()
            headDeadlineArmed = true

            if framing.chunked {
                bodyMode = .chunked(ChunkedBodyDecoder())
            } else if let length = framing.contentLength, length > 0 {
                request.body.reserveCapacity(length)
                bodyMode = .length(remaining: length)
            } else {
                return dispatch(request)
            }
            pending = request
            phase = .body
            if framing.expectContinue && request.version != .http1_0 && input.readableCount == 0 {
                output.append(Self.continueResponse)
                guard flushOutput() else { return false }
            }
            setDeadline(Self.now &+ settings.bodyTimeout)
            return true
        }
    }

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Builds the request value from the parsed offsets (the only per-request string copies).
    private func makeRequest(_ bytes: UnsafeBufferPointer<UInt8>) -> HTTPRequest {
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var headers = HTTPHeaders(reservingCapacity: parser.fields.count)
        for field in parser.fields {
            headers.fields.append((
                name: string(field.nameStart..<field.nameEnd),
                value: string(field.valueStart..<field.valueEnd)))
        }
        return HTTPRequest(
            method: string(parser.method),
            path: parser.pathIsImplicitRoot ? "/" : string(parser.path),
            query: parser.query.map(string) ?? "",
            version: parser.version,
            headers: headers,
            body: [],
            remoteAddress: remoteAddress)
    }

    /// Moves buffered body bytes into the pending request. Returns true if processing should continue
    /// (the request was answered inline).
    private func readBody() -> Bool {
        guard var request = pending else {
            close()
            return false
        }
        pending = nil  // keep the body uniquely referenced while appending
        switch bodyMode {
        case .length(let remaining):
            let available = input.readable
            let n = min(remaining, available.count)
            if n > 0 {
                request.body.append(contentsOf: UnsafeBufferPointer(rebasing: available[0..<n]))
                input.consume(n)
            }
            if n == remaining {
                return dispatch(request)
            }
            bodyMode = .length(remaining: remaining - n)
        case .chunked(var decoder):
            bodyMode = .length(remaining: 0)
            let (consumed, result) = decoder.decode(input.readable, into: &request.body, limits: settings.limits)
            input.consume(consumed)
            switch result {
            case .done:
                return dispatch(request)
            case .failure(let error):
                respondWithError(error)
                return false
            case .needMore:
                bodyMode = .chunked(decoder)
            }
        }
        pending = request
        setDeadline(Self.now &+ settings.bodyTimeout)
        return false
    }

    /// Hands a complete request to the handler. Returns true if the response was written inline and
    /// the caller's loop should go on parsing (the connection is back to `idle`).
    private func dispatch(_ request: HTTPRequest) -> Bool {
        phase = .handling
        deadline = 0
        requestCount += 1
        let slot = ResponseSlot()
        Self.runHandler(server.handler, request, connection: self, slot: slot)
        guard let response = slot.take() else { return false }
        return deliverInline(response)
    }

    /// Runs the handler in a task. On platforms with `Task.immediate` the handler starts synchronously
    /// on the current thread; if it finishes without suspending, its response is left in `slot`.
    /// Otherwise the response is delivered on the connection's queue when it is ready.
    private nonisolated static func runHandler(
        _ handler: any HTTPHandler, _ request: HTTPRequest, connection: HTTPConnection, slot: ResponseSlot
    ) {
        if #available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *) {
            Task.immediate {
                let response = await handler.handle(request)
                if slot.offer(response) { return }
                await connection.deliver(response)
            }
        } else {
            Task {
                let response = await handler.handle(request)
                await connection.deliver(response)
            }
        }
    }

    /// Discards what a lingering client still sends; closes on EOF.
    private func discardInput() {
        let n = input.read(from: fd, maxCapacity: settings.maxReceiveBufferBytes)
        if n > 0 {
            input.consume(n)
        } else if n == 0 || !(Socket.isWouldBlock(Socket.lastError) || Socket.isInterrupted(Socket.lastError)) {
            close()
        }
    }
}
