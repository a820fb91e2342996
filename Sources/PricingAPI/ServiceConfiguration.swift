import Cache
import Foundation
import Ledger
public import Pricing
public import Storage

/// The service's settings: defaults, then config/server.json (or --config), then environment
/// variables, then command-line flags, each overriding the one before.
public struct ServiceConfiguration: Equatable, Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var models = "models"
    public var redisURL: String?
    public var redisCluster = false
    /// The key that signs values kept in Redis (`cache_secret`, CACHE_SECRET; at least 32 bytes), the
    /// same on every replica. Unset with Redis: a random per-process key (safe, but replicas share
    /// nothing). docs/security-cache.md.
    public var cacheSecret: String?
    public var corsAllowedOrigins = ["http://localhost:3000", "http://localhost:5173"]
    public var maxConnections = 1024
    public var headerTimeoutSeconds = 10.0
    public var idleTimeoutSeconds = 60.0
    public var maxBodyBytes = 1_048_576
    public var shutdownGraceSeconds = 10.0
    public var logLevel = "info"
    public var cacheMaxBytes = 64 << 20
    public var cacheTTLSeconds = 3600.0
    /// Where versions downloaded from an http(s):// or s3:// MODELS location are kept.
    public var modelsCacheDir = NSTemporaryDirectory() + "pricing-models-cache"
    /// How the first model version is loaded: `fast` (default) serves once the first model of the chain
    /// is built and self-checked, building the backups right after; `eager` builds and checks every
    /// model first, as reloads do.
    public var modelsLoad = ModelReloader.FirstLoad.fast
    /// How often to look for a newer model version; 0 checks only on SIGHUP or POST /admin/reload.
    public var reloadIntervalSeconds = 0.0
    /// The sales ledger's SQLite file (`ledger_path`, LEDGER_PATH), written by POST /v1/sales and
    /// `pricing-server ingest`; relative paths are from the working folder.
    public var ledgerPath = "data/ledger.sqlite"
    /// A PostgreSQL ledger shared by replicas (`database_url`, DATABASE_URL: `postgres://user:password@host:5432/db`);
    /// when set it is the ledger, and `ledgerPath` is not used. docs/ledger.md.
    public var databaseURL: String?
    /// Bearer token of POST /admin/reload; nil disables the admin routes.
    public var adminToken: String?
    /// The business rules of repricing runs (`pricing_rules`), which requests may override.
    public var pricingRules = PricingRules()
    /// Limits on the expensive work clients can start (AdmissionSettings.keys).
    public var admission = AdmissionSettings()
    /// Who may read /metrics and the detail of /readyz: public, loopback or admin_token.
    public var metricsAccess = MetricsAccess.public
    /// Base64 ed25519 public keys; a model version loads only when its manifest is signed by one of
    /// them (several, so a key can be rotated). `python -m pricing_training keygen` makes a pair.
    public var artifactPublicKeys: [String] = []
    /// Development only: load versions that have no signature at all (a bad signature is still refused).
    public var allowUnsignedArtifacts = false
    /// Allow plain http:// models roots and S3 endpoints (a trusted network only); an https→http
    /// redirect is refused regardless.
    public var allowInsecureHTTP = false

    public init() {}

    /// Environment variables and the setting each overrides (documented in `serve --help`).
    public static let environment: [(name: String, help: String)] = [
        ("HOST", "address to listen on"), ("PORT", "TCP port"),
        ("MODELS", "models root or version folder: a local path, an http(s):// base URL or s3://bucket/prefix"),
        ("MODELS_CACHE_DIR", "local folder for versions downloaded from http(s) or S3"),
        ("MODELS_LOAD", "first load: fast (serve once the first model is checked, backups built right after) or eager (all first)"),
        ("RELOAD_INTERVAL_SECONDS", "how often to look for a newer model version (0: only on SIGHUP or POST /admin/reload)"),
        ("ADMIN_TOKEN", "bearer token of POST /admin/reload and POST /v1/sales (unset: admin routes disabled)"),
        ("LEDGER_PATH", "the sales ledger's SQLite file (POST /v1/sales, pricing-server ingest)"),
        ("DATABASE_URL", "postgres://user:password@host:5432/db of a PostgreSQL sales ledger shared by replicas (instead of LEDGER_PATH)"),
        ("REDIS_URL", "redis://[:password@]host:port[/db] of a cache shared by replicas (default: in-process cache)"),
        ("REDIS_CLUSTER", "true when REDIS_URL is a node of a Redis Cluster (slot routing, MOVED/ASK)"),
        ("CACHE_SECRET", "key (32+ bytes, same on every replica) signing the values kept in Redis; unset: random per process"),
        ("CORS_ALLOWED_ORIGINS", "comma-separated exact origins, or *"), ("MAX_CONNECTIONS", "open connections before 503"),
        ("HEADER_TIMEOUT_SECONDS", "time to receive a request's head"), ("IDLE_TIMEOUT_SECONDS", "keep-alive idle time"),
        ("MAX_BODY_BYTES", "largest request body"), ("SHUTDOWN_GRACE_SECONDS", "time in-flight requests get on SIGTERM"),
        ("LOG_LEVEL", "trace, debug, info, notice, warning, error or critical"),
        ("CACHE_MAX_BYTES", "bound of the in-process cache (keys + values), 0 disables it"),
        ("CACHE_TTL_SECONDS", "how long a computed curve is reused"),
        ("METRICS_ACCESS", "who may read /metrics and /readyz's detail: public, loopback or admin_token"),
        ("ARTIFACT_PUBLIC_KEYS", "comma-separated base64 ed25519 keys a model version's manifest must be signed with"),
        ("ALLOW_UNSIGNED_ARTIFACTS", "true loads versions without a signature (development only; default false)"),
        ("ALLOW_INSECURE_HTTP", "true allows plain http:// models roots and S3 endpoints (trusted networks only; default false)"),
    ] + AdmissionSettings.environment

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `file` (JSON; missing keys keep their defaults) and applies `environment`.
    public static func load(file: String?, environment env: [String: String]) throws -> ServiceConfiguration {
        var c = ServiceConfiguration()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw Invalid(description: "\(file): cannot be read") }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Invalid(description: "\(file): not a JSON object")
            }
            try c.apply(object, source: file)
        }
        var fromEnv: [String: Any] = [:]
        for (name, _) in environment {
            guard let value = env[name] else { continue }
            let key = name.lowercased()
            switch key {
            case "cors_allowed_origins": fromEnv[key] = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "artifact_public_keys":
                fromEnv[key] = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "redis_url", "host", "models", "log_level", "models_cache_dir", "admin_token", "models_load", "metrics_access", "cache_secret",
                 "ledger_path", "database_url": fromEnv[key] = value
            case "redis_cluster", "allow_unsigned_artifacts", "allow_insecure_http":
                guard ["true", "false", "1", "0"].contains(value.lowercased()) else {
                    throw Invalid(description: "environment variable \(name): \"\(value)\" is not true or false")
                }
                fromEnv[key] = ["true", "1"].contains(value.lowercased())
            default:
                guard let number = Double(value) else { throw Invalid(description: "environment variable \(name): \"\(value)\" is not a number") }
                fromEnv[key] = number
            }
        }
        try c.apply(fromEnv, source: "environment")
        try c.validate()
        return c
    }

    mutating func apply(_ object: [String: Any], source: String) throws {
        func bad(_ key: String, _ expected: String) -> Invalid { Invalid(description: "\(source): \(key) must be \(expected)") }
        for (key, value) in object {
            switch key {
            case "host": guard let v = value as? String else { throw bad(key, "a string") }; host = v
            case "models": guard let v = value as? String else { throw bad(key, "a string") }; models = v
            case "log_level": guard let v = value as? String else { throw bad(key, "a string") }; logLevel = v
            case "ledger_path": guard let v = value as? String, !v.isEmpty else { throw bad(key, "a file path") }; ledgerPath = v
            case "models_cache_dir": guard let v = value as? String, !v.isEmpty else { throw bad(key, "a folder path") }; modelsCacheDir = v
            case "models_load":
                guard let v = (value as? String).flatMap(ModelReloader.FirstLoad.init(rawValue:)) else { throw bad(key, "fast or eager") }
                modelsLoad = v
            case "admin_token":
                if value is NSNull { adminToken = nil } else if let v = value as? String { adminToken = v.isEmpty ? nil : v } else { throw bad(key, "a string or null") }
            case "metrics_access":
                guard let v = (value as? String).flatMap(MetricsAccess.init(rawValue:)) else { throw bad(key, "one of \(MetricsAccess.names)") }
                metricsAccess = v
            case "reload_interval_seconds":
                guard let n = (value as? NSNumber)?.doubleValue, n.isFinite, n == 0 || (1...86_400).contains(n) else {
                    throw bad(key, "0 (off) or a number of seconds from 1 to 86400")
                }
                reloadIntervalSeconds = n
            case "database_url":
                if value is NSNull { databaseURL = nil } else if let v = value as? String { databaseURL = v.isEmpty ? nil : v } else { throw bad(key, "a string or null") }
            case "redis_url":
                if value is NSNull { redisURL = nil } else if let v = value as? String { redisURL = v.isEmpty ? nil : v } else { throw bad(key, "a string or null") }
            case "redis_cluster":
                guard let v = value as? Bool else { throw bad(key, "true or false") }
                redisCluster = v
            case "cache_secret":
                if value is NSNull { cacheSecret = nil } else if let v = value as? String { cacheSecret = v.isEmpty ? nil : v } else { throw bad(key, "a string or null") }
            case "allow_unsigned_artifacts":
                guard let v = value as? Bool else { throw bad(key, "true or false") }
                allowUnsignedArtifacts = v
            case "allow_insecure_http":
                guard let v = value as? Bool else { throw bad(key, "true or false") }
                allowInsecureHTTP = v
            case "artifact_public_keys":
                guard let v = value as? [String] else { throw bad(key, "a list of base64 ed25519 public keys") }
                artifactPublicKeys = v
            case "cors_allowed_origins":
                guard let v = value as? [String] else { throw bad(key, "a list of strings") }
                corsAllowedOrigins = v
            case "port", "max_connections", "max_body_bytes", "cache_max_bytes":
                guard let n = (value as? NSNumber)?.doubleValue, n == n.rounded(), n >= 0, n <= 1e12 else { throw bad(key, "a whole number") }
                switch key {
                case "port": port = Int(n)
                case "max_connections": maxConnections = Int(n)
                case "max_body_bytes": maxBodyBytes = Int(n)
                default: cacheMaxBytes = Int(n)
                }
            case "header_timeout_seconds", "idle_timeout_seconds", "shutdown_grace_seconds", "cache_ttl_seconds":
                guard let n = (value as? NSNumber)?.doubleValue, n.isFinite, n > 0 else { throw bad(key, "a number of seconds > 0") }
                switch key {
                case "header_timeout_seconds": headerTimeoutSeconds = n
                case "idle_timeout_seconds": idleTimeoutSeconds = n
                case "shutdown_grace_seconds": shutdownGraceSeconds = n
                default: cacheTTLSeconds = n
                }
            case "pricing_rules":
                guard let v = value as? [String: Any] else { throw bad(key, "an object") }
                do {
                    pricingRules = try PricingRules.parse(v, source: "\(source): pricing_rules")
                } catch {
                    throw Invalid(description: error.description)
                }
            case _ where AdmissionSettings.keys.contains(key):
                try admission.set(key, value, source: source)
            default:
                throw Invalid(description: "\(source): unknown setting \(key)")
            }
        }
    }

    public func validate() throws {
        for (name, seconds) in [("header_timeout_seconds", headerTimeoutSeconds), ("idle_timeout_seconds", idleTimeoutSeconds),
                                ("shutdown_grace_seconds", shutdownGraceSeconds), ("cache_ttl_seconds", cacheTTLSeconds)]
        where !(0.001...86_400 * 30).contains(seconds) {
            throw Invalid(description: "\(name) must be between 0.001 and 2592000 seconds, got \(seconds)")
        }
        guard (0...65535).contains(port) else { throw Invalid(description: "port must be between 0 and 65535, got \(port)") }
        guard metricsAccess != .adminToken || !(adminToken ?? "").isEmpty else {
            throw Invalid(description: "metrics_access admin_token needs admin_token (ADMIN_TOKEN) to be set")
        }
        guard maxConnections >= 1 else { throw Invalid(description: "max_connections must be at least 1") }
        if let cacheSecret, cacheSecret.utf8.count < ValueSeal.minimumSecretBytes {
            throw Invalid(description: "cache_secret (CACHE_SECRET) has \(cacheSecret.utf8.count) bytes, at least \(ValueSeal.minimumSecretBytes) are needed; "
                + "generate one with: openssl rand -base64 48")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw Invalid(description: "log_level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
        }
        if let databaseURL, !Ledger.DatabaseURL.isPostgres(databaseURL) {
            // Only the scheme is shown: the rest may hold a password.
            let scheme = databaseURL.range(of: "://").map { "a \(databaseURL[..<$0.lowerBound]):// URL" } ?? "a value that is not a URL"
            throw Invalid(description: "database_url (DATABASE_URL) must be a postgres:// or postgresql:// URL, got \(scheme)")
        }
        _ = try artifactTrust()
    }

    /// Where the sales ledger is: the PostgreSQL URL when one is set, else the SQLite file.
    public var ledgerLocation: String { databaseURL ?? ledgerPath }

    /// The keys and rule model versions are checked with; throws naming a key that is not a base64
    /// ed25519 public key.
    public func artifactTrust() throws -> ArtifactTrust {
        do {
            return try ArtifactTrust(publicKeys: artifactPublicKeys, allowUnsigned: allowUnsignedArtifacts)
        } catch {
            throw Invalid(description: error.description)
        }
    }
}
