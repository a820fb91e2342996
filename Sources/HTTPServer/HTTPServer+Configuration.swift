extension HTTPServer {
    /// Listening address, limits and timeouts. Every property has a production default.
    public struct Configuration: Sendable {
        /// Address to bind: an IP literal or a resolvable name. Default `0.0.0.0`.
        public var host: String
        /// TCP port; 0 picks an ephemeral port (``HTTPServer/start()`` returns it). Default 8080.
        public var port: Int
        /// `listen(2)` backlog. Default 1024.
        public var backlog: Int
        /// Connections served at once; beyond it new connections get a 503 and are closed. Default 1024.
        public var maxConnections: Int
        /// Longest request line (method, target, version) in bytes; longer → 414. Default 8 KiB.
        public var maxRequestLineBytes: Int
        /// Largest header section in bytes; larger → 431. Default 16 KiB.
        public var maxHeaderBytes: Int
        /// Most header fields per request; more → 431. Default 100.
        public var maxHeaderCount: Int
        /// Largest request body in bytes (after de-chunking); larger → 413. Default 1 MiB.
        public var maxBodyBytes: Int
        /// Time allowed to receive a complete request head, counted from the connection being accepted
        /// (first request) or from the request's first byte; exceeded → 408 and close. Default 10 s.
        public var headerTimeout: Duration
        /// How long a keep-alive connection may sit idle between requests before it is closed. Default 60 s.
        public var idleTimeout: Duration
        /// Longest pause while receiving a request body; exceeded → 408 and close. Default 30 s.
        public var bodyTimeout: Duration
        /// Longest time a client may leave response bytes unread before it is disconnected. Default 30 s.
        public var writeTimeout: Duration
        /// After a final response, how long to keep reading (and discarding) what the client still
        /// sends, so the response is not lost to a TCP reset. Default 2 s.
        public var lingerTimeout: Duration
        /// Initial receive-buffer size per connection. Default 4 KiB.
        public var receiveBufferBytes: Int
        /// Output kept queued for one connection before a streaming writer is made to wait. Default 64 KiB.
        public var writeHighWaterMark: Int
        /// Value for a `Server` response header, or nil to send none. Default nil.
        public var serverName: String?

        /// Creates a configuration; see the properties for the defaults.
        public init(
            host: String = "0.0.0.0",
            port: Int = 8080,
            backlog: Int = 1024,
            maxConnections: Int = 1024,
            maxRequestLineBytes: Int = 8 * 1024,
            maxHeaderBytes: Int = 16 * 1024,
            maxHeaderCount: Int = 100,
            maxBodyBytes: Int = 1024 * 1024,
            headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60),
            bodyTimeout: Duration = .seconds(30),
            writeTimeout: Duration = .seconds(30),
            lingerTimeout: Duration = .seconds(2),
            receiveBufferBytes: Int = 4096,
            writeHighWaterMark: Int = 64 * 1024,
            serverName: String? = nil
        ) {
            self.host = host
            self.port = port
            self.backlog = backlog
            self.maxConnections = maxConnections
            self.maxRequestLineBytes = maxRequestLineBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.bodyTimeout = bodyTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.receiveBufferBytes = receiveBufferBytes
            self.writeHighWaterMark = writeHighWaterMark
            self.serverName = serverName
        }
    }
}

/// The configuration in the form the connections use it (nanoseconds, sanitised limits, encoded bytes).
struct ConnectionSettings: Sendable {
    let limits: HTTPRequestHeadParser.Limits
    let maxConnections: Int
    let headerTimeout: UInt64
    let idleTimeout: UInt64
    let bodyTimeout: UInt64
    let writeTimeout: UInt64
    let lingerTimeout: UInt64
    let receiveBufferBytes: Int
    /// Largest receive buffer: a maximal head plus one read.
    let maxReceiveBufferBytes: Int
    let writeHighWaterMark: Int
    /// `Server: <name>\r\n`, if configured.
    let serverField: [UInt8]?

    init(_ configuration: HTTPServer.Configuration) {
        limits = HTTPRequestHeadParser.Limits(
            maxRequestLine: max(16, configuration.maxRequestLineBytes),
            maxHeaderBytes: max(64, configuration.maxHeaderBytes),
            maxHeaderCount: max(1, configuration.maxHeaderCount),
            maxBodyBytes: max(0, configuration.maxBodyBytes))
        maxConnections = max(1, configuration.maxConnections)
        headerTimeout = configuration.headerTimeout.nanosecondsClamped
        idleTimeout = configuration.idleTimeout.nanosecondsClamped
        bodyTimeout = configuration.bodyTimeout.nanosecondsClamped
        writeTimeout = configuration.writeTimeout.nanosecondsClamped
        lingerTimeout = configuration.lingerTimeout.nanosecondsClamped
        receiveBufferBytes = min(max(512, configuration.receiveBufferBytes), 1 << 20)
        maxReceiveBufferBytes = max(receiveBufferBytes, limits.maxRequestLine + limits.maxHeaderBytes + 8 * 1024)
        writeHighWaterMark = max(1024, configuration.writeHighWaterMark)
        if let name = configuration.serverName, ResponseHead.isCopyable("Server", name) {
            serverField = Array("Server: \(name)\r\n".utf8)
        } else {
            serverField = nil
        }
    }
}

extension Duration {
    /// Non-negative nanoseconds, saturating at about 292 years.
    var nanosecondsClamped: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        if seconds >= Int64(UInt64.max / 1_000_000_000) - 1 { return UInt64.max / 2 }
        let nanos = Int64(seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        return UInt64(max(0, nanos))
    }
}
