/// Writes the chunks of a streamed response body (see ``HTTPResponse/Body/stream(_:)``).
///
/// Only valid while the stream closure runs; writes after it returns, or after the client has
/// gone, throw ``HTTPServerError/connectionClosed``.
public struct ResponseBodyWriter: Sendable {
    /// Where the chunks go.
    enum Destination: Sendable {
        /// A chunk of the response on a server connection.
        case connection(HTTPConnection, streamID: Int)
        /// Any other consumer (e.g. a collector that turns the stream into one body).
        case sink(@Sendable ([UInt8]) async throws -> Void)
    }

    let destination: Destination

    init(connection: HTTPConnection, streamID: Int) {
        destination = .connection(connection, streamID: streamID)
    }

    /// A writer that hands every non-empty chunk to `sink`, for running a streamed body outside a
    /// server connection (for instance to collect it into one complete body). Errors thrown by
    /// `sink` are thrown from ``write(_:)-([UInt8])`` and so end the stream.
    public init(sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        destination = .sink(sink)
    }

    /// Sends `bytes` as one chunk as soon as possible. Suspends while more than the connection's
    /// high-water mark of output is waiting for the client (socket backpressure). Empty writes are
    /// ignored (an empty chunk would end the body).
    public func write(_ bytes: [UInt8]) async throws {
        switch destination {
        case .connection(let connection, let streamID):
            try await connection.writeBodyChunk(bytes, streamID: streamID)
        case .sink(let sink):
            if !bytes.isEmpty { try await sink(bytes) }
        }
    }

    /// Sends the UTF-8 bytes of `text` as one chunk.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
