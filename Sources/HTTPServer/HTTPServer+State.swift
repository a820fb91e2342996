extension HTTPServer {
    /// The server's lifecycle. It only moves forward: a stopped server cannot be restarted.
    public enum State: Sendable, Hashable, CustomStringConvertible {
        /// Created, ``HTTPServer/start()`` not called yet.
        case initial
        /// Binding the listening socket.
        case starting
        /// Accepting and serving connections.
        case running
        /// No longer accepting; in-flight requests are finishing.
        case shuttingDown
        /// All connections closed.
        case shutdown

        public var description: String {
            switch self {
            case .initial: "initial"
            case .starting: "starting"
            case .running: "running"
            case .shuttingDown: "shuttingDown"
            case .shutdown: "shutdown"
            }
        }
    }
}
