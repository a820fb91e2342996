import Cache
import Metrics
import Pricing
public import Prometheus

/// The service's metrics, recorded through swift-metrics and exported by swift-prometheus.
///
/// - `http_requests_total{route,method,status}` and `http_request_duration_seconds{route,status}` (histogram)
/// - `pricing_model_answers_total{model}`: which model answered each price request
/// - `pricing_cache_requests_total{result}`: cache hits and misses of price requests
/// - `pricing_cache_healthy{kind}`, `pricing_cache_entries{kind}`, `pricing_cache_bytes{kind}`
/// - `cache_rejected_values_total` (counted by the Cache module): values read from Redis whose
///   signature did not verify, ignored as misses (docs/security-cache.md)
/// - `pricing_product_rows_total{source}`: where a computed request found its product's context rows
///   (memory: shard already inflated here; cache: shared by another replica; artifact: shard inflated now)
/// - `pricing_model_reloads_total{result}` (swapped, rejected), `pricing_model_reload_duration_seconds`
/// - `pricing_model_version_info{model_version}`: 1 for the version serving
/// - `pricing_repricing_runs_total{event}` (started, finished, cancelled: its last reader left first),
///   `pricing_repricing_runs_running`
/// - `pricing_admission_refusals_total{reason}`: work refused with 429 (runs_busy, run_rate,
///   client_budget), `pricing_admission_clients`: client addresses with a work budget in use
/// - `pricing_plan_recordings_total{result}`: attempts to record a version's plan assignments in the ledger
///   (recorded, failed), and `pricing_plan_assignments_total{result}`: their rows (added, present: already
///   recorded, refused by the ledger); counted by ``PlanAssignmentRecorder`` (docs/ledger.md)
public enum ServiceMetrics {
    /// The registry `/metrics` emits.
    public static let registry = PrometheusCollectorRegistry()

    /// The answers' events (``PriceAnswers``), counted here.
    static let answerEvents = AnswerEvents(curveCache: { cache(hit: $0) }, productRows: { productRows(source: $0) },
                                           modelAnswered: { modelAnswered($0) }, repricingRun: { repricingRun($0) })

    /// Installs the Prometheus backend once per process (swift-metrics allows one bootstrap).
    public static func bootstrap() { _ = installed }

    private static let installed: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    static func request(route: String, method: String, status: Int, nanoseconds: UInt64) {
        Counter(label: "http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))]).increment()
        Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("status", String(status))])
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    static func modelAnswered(_ model: String) {
        Counter(label: "pricing_model_answers_total", dimensions: [("model", model)]).increment()
    }

    static func cache(hit: Bool) {
        Counter(label: "pricing_cache_requests_total", dimensions: [("result", hit ? "hit" : "miss")]).increment()
    }

    /// The cache's own report, as gauges: `pricing_cache_healthy{kind}` (0 while Redis is unreachable
    /// and the circuit breaker is open), `pricing_cache_entries{kind}`, `pricing_cache_bytes{kind}`.
    static func cacheState(_ status: CacheStatus) {
        Gauge(label: "pricing_cache_healthy", dimensions: [("kind", status.kind)]).record(status.healthy ? 1 : 0)
        Gauge(label: "pricing_cache_entries", dimensions: [("kind", status.kind)]).record(status.entries)
        Gauge(label: "pricing_cache_bytes", dimensions: [("kind", status.kind)]).record(status.bytes)
    }

    static func productRows(source: String) {
        Counter(label: "pricing_product_rows_total", dimensions: [("source", source)]).increment()
    }

    static func reload(result: String, seconds: Double) {
        Counter(label: "pricing_model_reloads_total", dimensions: [("result", result)]).increment()
        Timer(label: "pricing_model_reload_duration_seconds", dimensions: [("result", result)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Marks `version` as the one serving (the conventional `_info` gauge), and `previous` as not.
    static func modelVersion(_ version: String, previous: String?) {
        if let previous, previous != version {
            Gauge(label: "pricing_model_version_info", dimensions: [("model_version", previous)]).record(0)
        }
        Gauge(label: "pricing_model_version_info", dimensions: [("model_version", version)]).record(1)
    }

    static func repricingRun(_ event: String) {
        Counter(label: "pricing_repricing_runs_total", dimensions: [("event", event)]).increment()
    }

    static func admissionRefused(_ reason: String) {
        Counter(label: "pricing_admission_refusals_total", dimensions: [("reason", reason)]).increment()
    }

    /// The admission state at the time of a scrape.
    static func admissionState(runsRunning: Int, clients: Int) {
        Gauge(label: "pricing_repricing_runs_running").record(runsRunning)
        Gauge(label: "pricing_admission_clients").record(clients)
    }

    /// The Prometheus text exposition of every metric.
    static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
