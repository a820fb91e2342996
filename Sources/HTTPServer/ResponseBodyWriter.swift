/// Writes the chunks of a streamed response body (see ``HTTPResponse/Body/stream(_:)``).
///
/// Only valid while the stream closure runs; writes after it returns, or after the client has
/// gone, throw ``HTTPServerError/connectionClosed``.
public struct ResponseBodyWriter: Sendable {
    let connection: HTTPConnection
    let streamID: Int

    /// Sends `bytes` as one chunk as soon as possible. Suspends while more than the connection's
    /// high-water mark of output is waiting for the client (socket backpressure). Empty writes are
    /// ignored (an empty chunk would end the body).
    public func write(_ bytes: [UInt8]) async throws {
        try await connection.writeBodyChunk(bytes, streamID: streamID)
    }

    /// Sends the UTF-8 bytes of `text` as one chunk.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
