import Synchronization

/// Writes the chunks of a streamed response body (see ``HTTPResponse/Body/stream(_:)``).
///
/// Only valid while the stream closure runs; writes after it returns, or after the client has
/// gone, throw ``HTTPServerError/connectionClosed``.
public struct ResponseBodyWriter: Sendable {
    /// Where the chunks go.
    enum Destination: Sendable {
        /// A chunk of the response on a server connection.
        case connection(HTTPConnection, streamID: Int)
        /// The body collected into one array (``HTTPResponse/Body/collect()``).
        case collector(BodyCollector)
    }

    let destination: Destination

    init(connection: HTTPConnection, streamID: Int) {
        destination = .connection(connection, streamID: streamID)
    }

    init(collector: BodyCollector) {
        destination = .collector(collector)
    }

    /// Sends `bytes` as one chunk as soon as possible. Suspends while more than the connection's
    /// high-water mark of output is waiting for the client (socket backpressure). Empty writes are
    /// ignored (an empty chunk would end the body).
    public func write(_ bytes: [UInt8]) async throws {
        switch destination {
        case .connection(let connection, let streamID):
            try await connection.writeBodyChunk(bytes, streamID: streamID)
        case .collector(let collector):
            try collector.append(bytes)
        }
    }

    /// Whether nobody will read what is written any more: the client closed the connection (or its
    /// sending side) or the stream is over. A producer that waits for expensive work checks this to
    /// stop the work early; a collector is never abandoned while its producer runs.
    public func isAbandoned() async -> Bool {
        switch destination {
        case .connection(let connection, let streamID):
            return await connection.streamIsAbandoned(streamID: streamID)
        case .collector(let collector):
            return !collector.isOpen
        }
    }

    /// Sends the UTF-8 bytes of `text` as one chunk.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

/// The chunks of a stream run by ``HTTPResponse/Body/collect()``, in order. Like a connection's
/// stream, it takes no more writes once the producer has returned.
final class BodyCollector: Sendable {
    private let state = Mutex<(bytes: [UInt8], open: Bool)>(([], true))

    func append(_ chunk: [UInt8]) throws(HTTPServerError) {
        try state.withLock { state throws(HTTPServerError) in
            guard state.open else { throw .connectionClosed }
            state.bytes.append(contentsOf: chunk)
        }
    }

    /// Whether the producer may still write.
    var isOpen: Bool { state.withLock { $0.open } }

    /// What has been written so far.
    var bytes: [UInt8] { state.withLock { $0.bytes } }

    /// Refuses further writes: the producer has returned.
    func close() {
        state.withLock { $0.open = false }
    }
}
