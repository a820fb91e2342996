import Dispatch
import Logging

/// One client connection: an actor isolated to its own serial Dispatch queue (see ``QueueExecutor``).
///
/// Socket readiness (``SocketPoller``) and the Dispatch timer source are delivered on that queue and
/// enter the actor synchronously with `assumeIsolated`; the request handler runs in a task and hands
/// its response back with `await`, which lands on the same queue. So all connection state is touched from one queue at a time,
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
    /// The socket's registration with the poller, once set up.
    var pollToken: UInt64?
    /// What the registration is armed for (bit 0 read, bit 1 write); an event disarms it.
    var armedInterest: UInt8 = 0
    var readSuspended = false
    /// Output is waiting for the socket to take more.
    var writeArmed = false
    var timer: (any DispatchSourceTimer)?
    /// When the timer is set to fire (uptime ns), or 0 if it is not armed.
    var timerFireAt: UInt64 = 0
    /// The current deadline (uptime ns), or 0 for none.
    var deadline: UInt64 = 0

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
        pollToken = SocketPoller.shared.register(fd) { [self] readiness in
            queue.async { self.assumeIsolated { $0.onSocketEvent(readiness) } }
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [self] in assumeIsolated { $0.onTimer() } }
        self.timer = timer
        timer.activate()
        requestStarted = Self.now
        setDeadline(requestStarted &+ settings.headerTimeout)
        armPoller()
    }

    /// The poller reported the socket ready: read and/or write as far as this connection wants to now,
    /// then ask for the next event.
    private func onSocketEvent(_ readiness: SocketPoller.Readiness) {
        armedInterest = 0
        guard phase != .closed else { return }
        if readiness.readable && !readSuspended { onReadable() }
        if readiness.writable && writeArmed && phase != .closed { onWritable() }
        armPoller()
    }

    /// Asks the poller for the next event this connection wants (reading unless suspended, writing
    /// while output waits); with neither, the registration stays disarmed until one is wanted again.
    func armPoller() {
        let wanted: UInt8 = (readSuspended ? 0 : 1) | (writeArmed ? 2 : 0)
        // Armed for more than is wanted is fine: the unwanted event is dropped and the rest re-armed.
        guard phase != .closed, let pollToken, wanted & ~armedInterest != 0 else { return }
        armedInterest |= wanted
        SocketPoller.shared.arm(fd, token: pollToken, read: armedInterest & 1 != 0, write: armedInterest & 2 != 0)
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

    /// Closes the socket and deregisters from the poller and the server.
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
        // Deregistered first, so the descriptor number can be reused at once.
        if let pollToken { SocketPoller.shared.deregister(fd, token: pollToken) }
        pollToken = nil
        Socket.closeDescriptor(fd)
        server.connectionClosed(id: id)
    }

    // MARK: - Reading control

    /// Stops reading (an event already armed is dropped when it comes).
    func suspendReading() {
        readSuspended = true
    }

    func resumeReading() {
        guard readSuspended else { return }
        readSuspended = false
        armPoller()
    }

    // MARK: - Access log

    func logAccess(method: String, path: String, status: Int, bytes: Int, started: UInt64) {
        logger.info(accessLogMessage(method: method, path: path, status: status, bytes: bytes, nanoseconds: Self.now &- started),
                    metadata: ["remote": .string(remoteAddress)])
    }
}
