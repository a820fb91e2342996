// HTTPServer module: HTTP/1.1 on non-blocking BSD sockets with Dispatch event sources.
// Knows nothing of the application it serves.

public import Logging
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 server on non-blocking sockets driven by Dispatch event sources.
///
/// Each connection is an actor running on its own serial Dispatch queue; nothing blocks a thread
/// while a client is slow or idle. Requests on one connection (including pipelined ones) are handled
/// one at a time and answered in order; different connections are served concurrently.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080), handler: MyHandler(), logger: logger)
/// let port = try server.start()
/// server.installSignalHandlers()          // SIGTERM/SIGINT → graceful shutdown, then exit(0)
/// await server.waitUntilShutdown()
/// ```
public final class HTTPServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: Configuration
    let settings: ConnectionSettings
    let handler: any HTTPHandler
    let logger: Logger
    let acceptQueue: DispatchQueue
    /// Serial queues the connection queues target, one per core (round-robin). While one of these
    /// is draining, work for its other connections is picked up without waking another thread.
    let loopQueues: [DispatchQueue]
    let core: Mutex<Core>
    /// Opened once the listening socket is closed.
    let listenerClosed = Latch()
    /// Opened once the server has completely shut down.
    let stopped = Latch()

    /// Mutable server state, guarded by `core`.
    struct Core {
        var state: State = .initial
        var port: Int?
        var acceptSource: (any DispatchSourceRead)?
        var acceptSuspended = false
        var connections: [Int: HTTPConnection] = [:]
        var nextConnectionID = 0
        var drainWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
        var signalObservations: [SignalObservation] = []
        var signalReceived = false
    }

    /// Creates a server. Nothing is bound until ``start()``.
    /// - Parameters:
    ///   - configuration: address, limits and timeouts.
    ///   - handler: produces the responses.
    ///   - logger: receives one `info` access-log line per request, plus lifecycle and error messages.
    public init(configuration: Configuration = Configuration(), handler: some HTTPHandler, logger: Logger = Logger(label: "HTTPServer")) {
        self.configuration = configuration
        self.settings = ConnectionSettings(configuration)
        self.handler = handler
        self.logger = logger
        self.acceptQueue = DispatchQueue(label: "HTTPServer.accept")
        let loops = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.loopQueues = (0..<loops).map { DispatchQueue(label: "HTTPServer.loop.\($0)", target: .global()) }
        self.core = Mutex(Core())
    }

    /// Creates a server whose handler is a closure.
    public convenience init(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "HTTPServer"),
        handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.init(configuration: configuration, handler: ClosureHTTPHandler(handler), logger: logger)
    }

    /// The lifecycle state.
    public var state: State {
        core.withLock { $0.state }
    }

    /// The bound port once started (useful with `port: 0`), else nil.
    public var port: Int? {
        core.withLock { $0.port }
    }

    /// Open client connections (including ones finishing a response or being closed).
    public var connectionCount: Int {
        core.withLock { $0.connections.count }
    }

    /// Called by a connection once its socket is closed.
    func connectionClosed(id: Int) {
        let waiters: [CheckedContinuation<Void, Never>] = core.withLock { core in
            core.connections.removeValue(forKey: id)
            guard core.connections.isEmpty, !core.drainWaiters.isEmpty else { return [] }
            let waiters = Array(core.drainWaiters.values)
            core.drainWaiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
