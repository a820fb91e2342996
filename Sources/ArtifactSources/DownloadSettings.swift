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

    public init(
        requestTimeout: Duration = .seconds(15),
        fileDeadline: Duration = .seconds(600),
        maxAttempts: Int = 4,
        initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(8),
        parallelDownloads: Int = 4
    ) {
        self.requestTimeout = requestTimeout
        self.fileDeadline = fileDeadline
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.parallelDownloads = parallelDownloads
    }

    /// `requestTimeout` as URLSession applies it: whole seconds, at least 1.
    var requestTimeoutSeconds: Int {
        let (seconds, attoseconds) = requestTimeout.components
        return Swift.max(1, Int(clamping: seconds) + (attoseconds > 0 ? 1 : 0))
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
