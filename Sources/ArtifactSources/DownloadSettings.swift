import Foundation

/// Timeouts, retries and parallelism of remote artifact downloads (HTTP(S) and S3).
///
/// The defaults suit a service fetching a few MB to a few hundred MB at start-up or on reload; tests
/// shrink them to keep failures fast.
public struct DownloadSettings: Sendable, Equatable {
    /// Longest wait for a connection, a response head, or the next bytes of a body. A server that stalls
    /// mid-body fails after this long. URLSession on Linux counts it in whole seconds, so it is rounded
    /// up, and is at least 1 s. Default 15 s.
    public var requestTimeout: Duration
    /// Longest time one file (one attempt) may take however steadily its bytes arrive, so a trickling
    /// server cannot hold a reload forever. Default 10 minutes.
    public var fileDeadline: Duration
    /// Attempts per file, the first included. Connection errors, timeouts and 5xx answers are retried;
    /// 4xx answers, size and checksum mismatches are not (they would only repeat). Default 4.
    public var maxAttempts: Int
    /// Wait before the first retry; doubled for each further one (with jitter), up to `maxBackoff`.
    /// Default 0.5 s.
    public var initialBackoff: Duration
    /// Longest wait between two attempts. Default 8 s.
    public var maxBackoff: Duration
    /// Files of one version downloaded at once. Default 4.
    public var parallelDownloads: Int
    /// Whether plain http:// may carry artifacts (an http:// models root, an S3 endpoint over http,
    /// a redirect from http to http). Off by default: anyone on the path could read or replace the
    /// files and the manifest; the signature still protects the content, but not the service's
    /// availability or the version's confidentiality. For a trusted network only (a compose stack).
    /// A redirect from https to http is refused whatever this says.
    public var allowInsecureHTTP: Bool

    public init(
        requestTimeout: Duration = .seconds(15),
        fileDeadline: Duration = .seconds(600),
        maxAttempts: Int = 4,
        initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(8),
        parallelDownloads: Int = 4,
        allowInsecureHTTP: Bool = false
    ) {
        self.requestTimeout = requestTimeout
        self.fileDeadline = fileDeadline
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.parallelDownloads = parallelDownloads
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    /// `requestTimeout` as URLSession applies it: whole seconds, at least 1.
    var requestTimeoutSeconds: Int {
        let (seconds, attoseconds) = requestTimeout.components
        return Swift.max(1, Int(clamping: seconds) + (attoseconds > 0 ? 1 : 0))
    }

    /// Nil when a request to `url` may be made; otherwise why not, for ``ArtifactError/Problem/insecure(_:)``.
    /// `from` is the URL a redirect comes from (nil for a request made by the fetcher itself).
    func refusal(of url: URL?, redirectedFrom from: URL? = nil) -> String? {
        let scheme = url?.scheme?.lowercased()
        if scheme == "https" { return nil }
        guard scheme == "http" else { return "\(scheme ?? "no")://: only https:// (and http:// when allowed) can fetch artifacts" }
        if let from, from.scheme?.lowercased() == "https" {
            return "a redirect from https to plain http (\(ArtifactLocation.redacted(url!))) would drop TLS; "
                + "fix the server's redirect or point MODELS at the final https:// location"
        }
        if allowInsecureHTTP { return nil }
        return "plain http:// is not allowed for model artifacts (anyone on the path can read or replace them); "
            + "use https://, or set allow_insecure_http (ALLOW_INSECURE_HTTP=true) on a network you trust"
    }

    var attempts: Int { Swift.max(1, maxAttempts) }
    var parallelism: Int { Swift.max(1, parallelDownloads) }

    /// The pause before attempt `attempt + 1`: exponential, with up to 50 % random jitter so that
    /// replicas that failed together do not retry in lockstep.
    func backoff(after attempt: Int) -> Duration {
        let base = initialBackoff * (1 << Swift.min(Swift.max(attempt - 1, 0), 16))
        let capped = base > maxBackoff ? maxBackoff : base
        return capped * Double.random(in: 0.5...1.0)
    }
}

extension Duration {
    /// The duration in seconds, fractions included (for URLSession's intervals and for messages).
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
