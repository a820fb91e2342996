import ArtifactFormats
import HTTPServer

/// gzip around a handler: a complete body at least `minimumBytes` long, not already encoded, is
/// compressed for a client that accepts gzip (q > 0).
struct ResponseCompression<Inner: HTTPHandler>: HTTPHandler {
    let minimumBytes: Int
    let inner: Inner

    init(minimumBytes: Int, _ inner: Inner) {
        self.minimumBytes = minimumBytes
        self.inner = inner
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let response = await inner.handle(request)
        guard case .bytes(let body) = response.body, body.count >= minimumBytes, !response.headers.contains("content-encoding"),
              request.acceptsGzip else { return response }
        var out = response
        out.body = .bytes(Gzip.compress(body))
        out.headers.add("Content-Encoding", "gzip")
        out.headers.add("Vary", "Accept-Encoding")
        return out
    }
}
