public import HTTPServer

/// Turns a response body into bytes: a complete body as is, a streamed one by running its producer
/// against a writer that appends every chunk (Lambda's buffered answers have no streaming).
public enum ResponseCollector {
    /// The whole body of `response`; rethrows the stream producer's error.
    public static func collect(_ body: HTTPResponse.Body) async throws -> [UInt8] {
        switch body {
        case .bytes(let bytes):
            return bytes
        case .stream(let produce):
            let buffer = Buffer()
            try await produce(ResponseBodyWriter(sink: { chunk in await buffer.append(chunk) }))
            return await buffer.bytes
        }
    }

    private actor Buffer {
        var bytes: [UInt8] = []
        func append(_ chunk: [UInt8]) { bytes += chunk }
    }
}
