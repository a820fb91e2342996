import Dispatch
import Logging

/// One client connection: an actor isolated to its own serial Dispatch queue (see ``QueueExecutor``).
///
/// Dispatch read/write/timer sources target that queue and enter the actor synchronously with
/// `assumeIsolated`; the request handler runs in a task and hands its response back with `await`,
/// which lands on the same queue. So all connection state is touched from one queue at a time,
/// no thread is held while waiting for the client, and per-connection memory is a few small objects
/// plus the receive buffer.
actor HTTPConnection {
    enum Phase: Equatable {
        /// Waiting for the first byte of a request.
        case idle
        /// Receiving a request head.
        case head
        /// Receiving a request body.
        case body
        /// The handler is running or its response is being written.
        case handling
        /// Writing a final response (error or `Connection: close`) before lingering.
        case closing
        /// Write side shut down; discarding input until the client closes or the linger timeout.
        case lingering
        case closed
    }

    enum BodyMode {
        case length(remaining: Int)
        case chunked(ChunkedBodyDecoder)
    }

    /// What the response to the current request needs to know about it.
    struct Exchange {
        var method: String
        var path: String
        var version: HTTPVersion
        var isHead: Bool
        var keepAlive: Bool
        var started: UInt64
    }

    /// The streamed body currently being written, if any.
    struct ActiveStream {
        var id: Int
        var chunked: Bool
        var bytes: Int
    }

    nonisolated let id: Int
    nonisolated let fd: Int32
    nonisolated let remoteAddress: String
    nonisolated let executor: QueueExecutor
    let server: HTTPServer
    let settings: ConnectionSettings
    let logger: Logger

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    var phase = Phase.idle
    var readSource: (any DispatchSourceRead)?
    var readSuspended = false
    var writeSource: (any DispatchSourceWrite)?
    var writeArmed = false
    var timer: (any DispatchSourceTimer)?
    /// When the timer is set to fire (uptime ns), or 0 if it is not armed.
    var timerFireAt: UInt64 = 0
    /// The current deadline (uptime ns), or 0 for none.
    var deadline: UInt64 = 0
    var pendingSourceCancels = 0

    let input: ReceiveBuffer
    var parser: HTTPRequestHeadParser
    var output = OutputQueue()
    var date = HTTPDate()

    /// When the current request started (its first byte, or the accept for the first request).
    var requestStarted: UInt64 = 0
    var headDeadlineArmed = true
    var requestCount = 0
    var pending: HTTPRequest?
    var bodyMode = BodyMode.length(remaining: 0)
    var exchange: Exchange?
    var activeStream: ActiveStream?
    var nextStreamID = 0
    /// Streaming writers waiting for the output queue to drain below the high-water mark.
    var drainWaiters: [CheckedContinuation<Void, any Error>] = []
    /// Continue with the next request once the output has drained.
    var resumeAfterDrain = false
    var shutdownRequested = false

    init(id: Int, fd: Int32, remoteAddress: String, server: HTTPServer) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.server = server
        self.settings = server.settings
        self.logger = server.logger
        self.executor = QueueExecutor(label: "HTTPConnection", target: server.loopQueues[id % server.loopQueues.count])
        self.input = ReceiveBuffer(initialCapacity: server.settings.receiveBufferBytes)
        self.parser = HTTPRequestHeadParser(limits: server.settings.limits)
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    // MARK: - Lifecycle

    /// Registers the event sources and starts reading.
    nonisolated func start() {
        executor.queue.async { self.assumeIsolated { $0.setUp() } }
    }

    /// Server shutdown: close if idle, otherwise finish the current exchange and close after it.
    nonisolated func beginShutdown() {
        executor.queue.async { self.assumeIsolated { $0.handleShutdown() } }
    }

    /// Closes the connection now, abandoning any exchange in progress.
    nonisolated func forceClose() {
        executor.queue.async { self.assumeIsolated { $0.close() } }
    }

    private func setUp() {
        guard phase != .closed else { return }
        let queue = executor.queue
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        read.setEventHandler { [self] in assumeIsolated { $0.onReadable() } }
        read.setCancelHandler { [self] in assumeIsolated { $0.sourceCancelled() } }
        readSource = read
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [self] in assumeIsolated { $0.onTimer() } }
        self.timer = timer
        timer.activate()
        requestStarted = Self.now
        setDeadline(requestStarted &+ settings.headerTimeout)
        read.activate()
    }

    private func handleShutdown() {
        shutdownRequested = true
        switch phase {
        case .idle, .head, .lingering:
            close()
        case .body, .handling, .closing, .closed:
            break
        }
    }

    /// Closes the socket once the event sources are cancelled, and deregisters from the server.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        deadline = 0
        output.discard()
        pending = nil
        exchange = nil
        activeStream = nil
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter.resume(throwing: HTTPServerError.connectionClosed) }
        timer?.cancel()
        timer = nil
        pendingSourceCancels = 0
        if let read = readSource {
            pendingSourceCancels += 1
            read.cancel()
            if readSuspended {
                readSuspended = false
                read.resume()
            }
        }
        if let write = writeSource {
            pendingSourceCancels += 1
            write.cancel()
            if !writeArmed { write.resume() }
            writeArmed = false
        }
        if pendingSourceCancels == 0 { finishClose() }
    }

    /// A read or write source has been cancelled; the last one closes the socket.
    func sourceCancelled() {
        pendingSourceCancels -= 1
        if pendingSourceCancels == 0 { finishClose() }
    }

    private func finishClose() {
        readSource = nil
        writeSource = nil
        Socket.closeDescriptor(fd)
        server.connectionClosed(id: id)
    }

    // MARK: - Reading control

    func suspendReading() {
        guard let read = readSource, !readSuspended else { return }
        readSuspended = true
        read.suspend()
    }

    func resumeReading() {
        guard let read = readSource, readSuspended else { return }
        readSuspended = false
        read.resume()
    }

    // MARK: - Access log

    func logAccess(method: String, path: String, status: Int, bytes: Int, started: UInt64) {
        logger.info(accessLogMessage(method: method, path: path, status: status, bytes: bytes, nanoseconds: Self.now &- started),
                    metadata: ["remote": .string(remoteAddress)])
    }
}
