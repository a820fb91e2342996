import ArgumentParser
import ArtifactFormats
import ArtifactSources
import Cache
import Foundation
import HTTPServer
import Ledger
import Logging
import Pricing
import PricingAPI
import Storage

/// `pricing-server serve`: the HTTP API on the loaded models until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the pricing API over HTTP/1.1.",
        discussion: """
        Settings come from the defaults, then the config file (default config/server.json if it exists), then \
        these environment variables, then the flags below:
        \(ServiceConfiguration.environment.map { "  \($0.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \($0.help)" }.joined(separator: "\n"))
        Routes: GET /v1/predict-price/{stockcode}?unitprice_min&unitprice_max&num_price_bins&unit_cost, \
        GET /v1/products?q&limit&offset, GET /healthz, GET /readyz, GET /metrics, GET /openapi.json, POST /admin/reload, POST /v1/sales. SIGHUP (or \
        POST /admin/reload, or RELOAD_INTERVAL_SECONDS) loads a newer model version in the background and swaps it in. SIGTERM or \
        SIGINT stops accepting, lets in-flight requests finish (up to the shutdown grace period) and exits 0. \
        A model version loads only when its manifest.json.sig verifies with a key in artifact_public_keys \
        (docs/security-artifacts.md).
        """)

    @Option(help: ArgumentHelp("JSON configuration file.", valueName: "file"))
    var config: String?

    @Option(help: "Address to listen on (overrides HOST).")
    var host: String?

    @Option(help: "TCP port, 0 for any free port (overrides PORT).")
    var port: Int?

    @Option(help: ArgumentHelp("Model version folder or models root (overrides MODELS).", valueName: "dir"))
    var models: String?

    func run() async throws {
        let file = config ?? (FileManager.default.fileExists(atPath: "config/server.json") ? "config/server.json" : nil)
        var settings: ServiceConfiguration
        do {
            settings = try ServiceConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandFailure("configuration: \(error)")
        }
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let models { settings.models = models }
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        // Every line through the redacting handler: settings such as MODELS and REDIS_URL may hold a password.
        LoggingSystem.bootstrap { label in
            var handler = RedactingLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pricing-server")
        // REDIS_URL: a cache shared by replicas (Redis trouble only ever costs hits); else the embedded default.
        var cache: (any ExpiringByteCache)? = settings.cacheMaxBytes > 0 ? InProcessCache(capacityBytes: settings.cacheMaxBytes) : nil
        if let url = settings.redisURL {
            do {
                // Values in Redis are signed (docs/security-cache.md). Without CACHE_SECRET each process signs with
                // its own random key: nobody can plant values, but replicas cannot read each other's either.
                let seal = try settings.cacheSecret.map { try ValueSeal(secret: Array($0.utf8)) } ?? .ephemeral()
                let redis = try RedisCache(url: url, configuration: .init(cluster: settings.redisCluster), seal: seal)
                cache = redis
                logger.info("cache", metadata: ["kind": "\(settings.redisCluster ? "redis cluster" : "redis")", "endpoint": "\(redis.endpoint)"])
                if seal.isEphemeral {
                    logger.warning("""
                        CACHE_SECRET is not set: values in Redis are signed with a random key of this process, so replicas \
                        do not share cached values; set the same CACHE_SECRET (32+ bytes) on every replica to share them
                        """)
                }
            } catch {
                logger.error("REDIS_URL is not usable; using the in-process cache", metadata: ["error": "\(error)"])
            }
        }
        let slot = EngineSlot()
        // Model versions are trusted on their signature, not on where they come from (docs/security-artifacts.md).
        let trust = try settings.artifactTrust()
        if trust.publicKeys.isEmpty && !trust.allowUnsigned {
            throw CommandFailure("no artifact_public_keys are pinned, so no model version can be trusted: add the publisher's "
                                 + "public key (python -m pricing_training keygen prints one) to config/server.json or ARTIFACT_PUBLIC_KEYS")
        }
        if trust.allowUnsigned { logger.warning("allow_unsigned_artifacts is on: versions without a signature are loaded (development only)") }
        if settings.allowInsecureHTTP { logger.warning("allow_insecure_http is on: plain http:// models roots and S3 endpoints are used") }
        let source: any ArtifactSource
        do {
            var download = DownloadSettings()
            download.allowInsecureHTTP = settings.allowInsecureHTTP
            source = try makeArtifactSource(location: settings.models, cacheDirectory: settings.modelsCacheDir,
                                            environment: ProcessInfo.processInfo.environment, download: download, trust: trust)
        } catch {
            throw CommandFailure("MODELS=\(settings.models): \(error.description)")
        }
        let reloader = ModelReloader(source: source, slot: slot, trust: trust, logger: logger, firstLoad: settings.modelsLoad)
        var router = PricingRouter(slot: slot, cors: CORSPolicy(allowedOrigins: settings.corsAllowedOrigins), cache: cache,
                                   cacheTTL: .milliseconds(Int(settings.cacheTTLSeconds * 1000)),
                                   reloader: reloader, adminToken: settings.adminToken, pricingRules: settings.pricingRules,
                                   admission: settings.admission)
        router.metricsAccess = settings.metricsAccess
        let ledger = LedgerSlot(location: settings.ledgerLocation)
        router.ledger = ledger
        // Each plan a version brings is recorded in the ledger as it is installed, off the reload path.
        let assignments = PlanAssignmentRecorder(ledger: ledger, logger: logger)
        await reloader.onInstall { engine in _ = assignments.record(engine.experiments, version: engine.version) }
        // Inside AWS Lambda (AWS_LAMBDA_RUNTIME_API set): the Runtime API loop instead of listening.
        if let runtimeAPI = Self.lambdaRuntimeAPI {
            return try await runLambda(runtimeAPI: runtimeAPI, reloader: reloader, router: router, models: settings.models,
                                       logger: logger)
        }
        var serverConfiguration = HTTPServer.Configuration()
        serverConfiguration.host = settings.host
        serverConfiguration.port = settings.port
        serverConfiguration.maxConnections = settings.maxConnections
        serverConfiguration.maxBodyBytes = settings.maxBodyBytes
        serverConfiguration.headerTimeout = .milliseconds(Int(settings.headerTimeoutSeconds * 1000))
        serverConfiguration.idleTimeout = .milliseconds(Int(settings.idleTimeoutSeconds * 1000))
        // Listen first, answering 503 not_ready until the models are loaded and verified.
        let server = HTTPServer(configuration: serverConfiguration, handler: router, logger: logger)
        server.installSignalHandlers(gracePeriod: .milliseconds(Int(settings.shutdownGraceSeconds * 1000)))
        let bound: Int
        do {
            bound = try server.start()
        } catch {
            throw CommandFailure("cannot listen on \(settings.host):\(settings.port): \(error)")
        }
        logger.info("listening", metadata: ["host": "\(settings.host)", "port": "\(bound)", "models": "\(settings.models)",
                                            "ledger": "\(DatabaseURL.redacted(settings.ledgerLocation))"])
        // New versions: on SIGHUP, POST /admin/reload, and every RELOAD_INTERVAL_SECONDS when set.
        // SIGHUP is caught before the first load, whose download may be long: its default action ends the process.
        let hangup = observeSignal(SIGHUP) { Task { await reloader.reload() } }
        defer { hangup.cancel() }
        if let message = await loadFirstVersion(reloader, models: settings.models, logger: logger) {
            await server.shutdown(gracePeriod: .seconds(1))
            throw CommandFailure(message)
        }
        if settings.reloadIntervalSeconds > 0 { await reloader.start(interval: .milliseconds(Int(settings.reloadIntervalSeconds * 1000))) }
        await server.waitUntilShutdown()
        logger.info("stopped")
    }


    /// Loads the first model version (HTTP and Lambda alike) and logs "ready"; on failure logs it and
    /// returns the message the command fails with.
    func loadFirstVersion(_ reloader: ModelReloader, models: String, logger: Logger) async -> String? {
        if case .rejected(_, let reason) = await reloader.reload() {
            logger.critical("cannot load models", metadata: ["models": "\(models)", "error": "\(reason)"])
            // Also the Lambda init error's message, which leaves the process: no credentials in it.
            return CredentialRedaction.redactingURLs(in: "cannot load models from \(models): \(reason)")
        }
        if let engine = reloader.slot.engine {
            logger.info("ready", metadata: ["model_version": "\(engine.version)",
                                           "active_model": "\(engine.chain.models.first?.name ?? "none")"])
        }
        return nil
    }
}
