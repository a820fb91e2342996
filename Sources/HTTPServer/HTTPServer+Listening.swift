import Dispatch
import Logging

extension HTTPServer {
    /// Binds and starts accepting connections.
    /// - Returns: the bound port (the ephemeral one when configured with port 0).
    /// - Throws: ``HTTPServerError/invalidState(_:)`` unless the server is `initial`, or a socket error.
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        try core.withLock { core throws(HTTPServerError) in
            guard core.state == .initial else { throw .invalidState(core.state) }
            core.state = .starting
        }
        let listener: Int32
        let port: Int
        do {
            (listener, port) = try Socket.makeListener(
                host: configuration.host, port: configuration.port,
                backlog: Int32(clamping: max(1, configuration.backlog)))
        } catch {
            core.withLock { if $0.state == .starting { $0.state = .initial } }
            throw error
        }

        let started = core.withLock { core in
            guard core.state == .starting else { return false }  // shutdown() was called meanwhile
            let source = DispatchSource.makeReadSource(fileDescriptor: listener, queue: acceptQueue)
            source.setEventHandler { [self] in acceptConnections(listener: listener) }
            source.setCancelHandler { [self] in listenerCancelled(listener) }
            core.acceptSource = source
            core.port = port
            core.state = .running
            source.activate()
            return true
        }
        guard started else {
            Socket.closeDescriptor(listener)
            listenerCancelled(-1)
            throw .invalidState(state)
        }
        logger.info("HTTP server listening on \(configuration.host):\(port)")
        return port
    }

    /// The accept source was cancelled: close the listening socket and wake `shutdown`.
    private func listenerCancelled(_ listener: Int32) {
        if listener >= 0 { Socket.closeDescriptor(listener) }
        listenerClosed.open()
    }

    /// Accepts pending connections (bounded per event so other work on the queue is not starved).
    private func acceptConnections(listener: Int32) {
        for _ in 0..<64 {
            guard let (fd, address) = Socket.acceptConnection(listener) else {
                let code = Socket.lastError
                if Socket.isWouldBlock(code) { return }
                if Socket.isTransientAcceptError(code) { continue }
                // Out of descriptors or buffers: pause so the level-triggered source does not spin.
                logger.error("accept failed: \(Socket.describe(code)); pausing accepts for 100 ms")
                pauseAccepting()
                return
            }
            Socket.setNoDelay(fd)
            let remote = Socket.describe(address: address).text
            let connection: HTTPConnection? = core.withLock { core in
                guard core.state == .running, core.connections.count < settings.maxConnections else { return nil }
                core.nextConnectionID += 1
                let connection = HTTPConnection(id: core.nextConnectionID, fd: fd, remoteAddress: remote, server: self)
                core.connections[connection.id] = connection
                return connection
            }
            if let connection {
                connection.start()
            } else {
                reject(fd, remote: remote)
            }
        }
    }

    /// Answers a connection over the limit with a JSON 503 and closes it, without blocking.
    private func reject(_ fd: Int32, remote: String) {
        Socket.discardAvailable(fd)
        var date = HTTPDate()
        let error = RequestError.serviceUnavailable
        let response = error.responseBytes(
            body: error.jsonBody, date: date.fieldLine(), serverName: settings.serverField, includeBody: true)
        Socket.sendAll(fd, response)
        Socket.shutdownWrite(fd)
        Socket.discardAvailable(fd)
        Socket.closeDescriptor(fd)
        logger.warning("connection limit (\(settings.maxConnections)) reached; rejected \(remote) with 503")
    }

    private func pauseAccepting() {
        core.withLock { core in
            guard core.state == .running, !core.acceptSuspended, let source = core.acceptSource else { return }
            core.acceptSuspended = true
            source.suspend()
        }
        acceptQueue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            core.withLock { core in
                guard core.acceptSuspended, let source = core.acceptSource else { return }
                core.acceptSuspended = false
                source.resume()
            }
        }
    }
}
