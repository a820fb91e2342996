import Foundation

/// Limits on the expensive work clients can start (the `max_concurrent_runs`, `max_new_runs_per_minute`,
/// `client_work_ms_per_second` and `client_work_burst_ms` settings). Work beyond them is answered 429
/// with `Retry-After` instead of being queued, so no client can make another wait.
public struct AdmissionSettings: Equatable, Sendable {
    /// Catalogue repricing runs computing at once; a request that would start one more gets 429.
    public var maxConcurrentRuns = 2
    /// Runs that may start per minute over the whole service (a run with the same rules and catalogue
    /// is shared, not started again); bounds the work a stream of distinct rule values can create.
    public var maxNewRunsPerMinute = 60
    /// What one client (by peer address) may spend on uncached work, in estimated milliseconds of CPU
    /// per second of time; 0 turns the per-client limit off.
    public var clientWorkMillisecondsPerSecond = 500.0
    /// How much of it a client may spend at once (the token bucket's size), in milliseconds.
    public var clientWorkBurstMilliseconds = 1000.0

    public init() {}

    /// The setting names, as in config/server.json; the environment variables are the same in capitals.
    public static let keys = ["max_concurrent_runs", "max_new_runs_per_minute", "client_work_ms_per_second", "client_work_burst_ms"]

    /// The environment variables, for `serve --help`.
    public static let environment: [(name: String, help: String)] = [
        ("MAX_CONCURRENT_RUNS", "catalogue repricing runs computing at once (429 beyond)"),
        ("MAX_NEW_RUNS_PER_MINUTE", "repricing runs that may start per minute, service-wide (429 beyond)"),
        ("CLIENT_WORK_MS_PER_SECOND", "uncached work one client address may use, ms of CPU per second (0: no limit)"),
        ("CLIENT_WORK_BURST_MS", "uncached work one client address may use at once, ms of CPU"),
    ]

    /// Applies one setting read from `source`, naming it when the value is wrong.
    mutating func set(_ key: String, _ value: Any, source: String) throws(ServiceConfiguration.Invalid) {
        guard let n = (value as? NSNumber)?.doubleValue, n.isFinite, n >= 0 else {
            throw ServiceConfiguration.Invalid(description: "\(source): \(key) must be a number of at least 0")
        }
        func whole(_ range: ClosedRange<Double>) throws(ServiceConfiguration.Invalid) -> Int {
            guard n == n.rounded(), range.contains(n) else {
                throw ServiceConfiguration.Invalid(description: "\(source): \(key) must be a whole number from \(Int(range.lowerBound)) to \(Int(range.upperBound))")
            }
            return Int(n)
        }
        switch key {
        case "max_concurrent_runs": maxConcurrentRuns = try whole(1...64)
        case "max_new_runs_per_minute": maxNewRunsPerMinute = try whole(1...100_000)
        case "client_work_ms_per_second": clientWorkMillisecondsPerSecond = n
        case "client_work_burst_ms":
            guard n >= 1 else { throw ServiceConfiguration.Invalid(description: "\(source): \(key) must be at least 1") }
            clientWorkBurstMilliseconds = n
        default: throw ServiceConfiguration.Invalid(description: "\(source): unknown setting \(key)")
        }
    }
}
