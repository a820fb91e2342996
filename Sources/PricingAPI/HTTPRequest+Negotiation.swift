import HTTPServer

/// Content negotiation: what the client's `Accept` and `Accept-Encoding` headers allow.
extension HTTPRequest {
    /// Whether the Accept header names `type` with a non-zero quality.
    func accepts(_ type: String) -> Bool {
        Self.quality(of: type, in: headers.values(for: "accept")).map { $0 > 0 } ?? false
    }

    /// An explicit `gzip` entry decides; `*` counts only when gzip is not named (RFC 9110 §12.5.3).
    var acceptsGzip: Bool {
        let values = headers.values(for: "accept-encoding")
        let q = Self.quality(of: "gzip", in: values) ?? Self.quality(of: "*", in: values) ?? 0
        return q > 0
    }

    /// The q-value a header's list gives `token` (1 when unqualified), or nil when it is not listed.
    static func quality(of token: String, in values: [String]) -> Double? {
        for value in values {
            for part in value.split(separator: ",") {
                let fields = part.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
                guard fields.first == token else { continue }
                return fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            }
        }
        return nil
    }
}
