public import Logging
public import Storage
import Dispatch
import Foundation
import Pricing
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the engine slot on the newest good version of an artifact source.
///
/// A reload asks the source which version is current; when it differs from the one serving, the
/// version is fetched completely (remote sources download and verify into a local cache), loaded,
/// and checked against its own golden reference sweeps, all off the request path; only then is it
/// installed, in one atomic swap. Requests already running keep the engine they took. Anything wrong
/// with the new version rejects it with a log line and a metric, and the old version keeps serving.
///
/// Reloads are serialized, and every trigger gets a check that starts after it: one arriving while a
/// reload runs does not take that reload's outcome (it may have read the source before a publish the
/// trigger is about), but waits for one follow-up reload, shared by all triggers arriving meanwhile.
public actor ModelReloader {
    /// What one reload did.
    public enum Outcome: Sendable, Equatable {
        /// The source's current version is the one serving (or was rejected before).
        case unchanged(version: String)
        case swapped(from: String?, to: String, seconds: Double)
        /// The new version (nil when the source could not even say which) is not used; `reason` says why.
        case rejected(version: String?, reason: String)
    }

    public nonisolated let source: any ArtifactSource
    public nonisolated let slot: EngineSlot
    let logger: Logger
    /// The first load accepts a version with a damaged backup model (a degraded answer beats none);
    /// a replacement must be complete.
    let requireAllModels: Bool
    /// The newest reload scheduled: running, or queued behind the one running.
    private var newest: Task<Outcome, Never>?
    /// Whether `newest` has begun (read the source). Until it has, new triggers can share it.
    private var newestStarted = false
    /// A forced trigger arrived: the next reload to start clears `rejected` first.
    private var forceRequested = false
    /// Versions whose content failed (checksum, parity, models): not fetched again unless forced, so a
    /// bad publish is logged once rather than on every interval. Unreachable sources are retried.
    private var rejected: [String: String] = [:]
    private var ticker: Task<Void, Never>?
    /// The last reload that changed something or failed (nil until then), for /readyz.
    private(set) var lastEvent: (outcome: Outcome, at: Date)?

    public init(source: any ArtifactSource, slot: EngineSlot, logger: Logger, requireAllModels: Bool = true) {
        self.source = source
        self.slot = slot
        self.logger = logger
        self.requireAllModels = requireAllModels
    }

    /// Checks the source and swaps in a newer version if there is a good one. With `force`, a version
    /// rejected earlier is tried again.
    @discardableResult
    public func reload(force: Bool = false) async -> Outcome {
        if force { forceRequested = true }
        if let newest, !newestStarted { return await newest.value }
        let previous = newest
        let task = Task {
            _ = await previous?.value
            return await self.run()
        }
        newest = task
        newestStarted = false
        return await task.value
    }

    /// One reload; runs only as `newest` (triggers join a queued reload rather than queue another).
    private func run() async -> Outcome {
        newestStarted = true
        if forceRequested {
            rejected.removeAll()
            forceRequested = false
        }
        let outcome = await attempt()
        switch outcome {
        case .unchanged where lastEvent != nil: break
        default: lastEvent = (outcome, Date())
        }
        return outcome
    }

    /// Reloads every `interval` until `stop()`.
    public func start(interval: Duration) {
        ticker?.cancel()
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                await self.reload()
            }
        }
    }

    public func stop() {
        ticker?.cancel()
        ticker = nil
    }

    private func attempt() async -> Outcome {
        let start = DispatchTime.now().uptimeNanoseconds
        let current = slot.engine?.version
        let version: String
        do {
            version = try await source.latestVersion()
        } catch {
            return reject(nil, "cannot read the current version from \(source): \(error)", start: start)
        }
        if version == current { return .unchanged(version: version) }
        if rejected[version] != nil { return .unchanged(version: current ?? version) }
        let path: String
        do {
            path = try await source.localVersion(version)
        } catch {
            let reason = "cannot fetch \(version) from \(source): \(error)"
            switch error.problem {
            case .missing, .checksumMismatch, .sizeMismatch: rejected[version] = reason
            default: break  // unreachable or stalled: not remembered, so the next attempt tries again
            }
            return reject(version, reason, start: start)
        }
        let strict = requireAllModels && current != nil
        let loaded = await Self.offPool { () -> Result<PricingEngine, ModelReloadFailure> in
            Self.load(path: path, expectedVersion: version, requireAllModels: strict)
        }
        switch loaded {
        case .failure(let failure):
            rejected[version] = failure.reason
            return reject(version, failure.reason, start: start)
        case .success(let engine):
            slot.install(engine)
            // Keep the version serving and the one before it (a rollback is then only a LATEST edit away).
            let keep = Set([engine.version] + (current.map { [$0] } ?? []))
            let source = self.source
            await Self.offPool { source.retainOnly(keep) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            ServiceMetrics.reload(result: "swapped", seconds: seconds)
            ServiceMetrics.modelVersion(engine.version, previous: current)
            logger.notice("model version swapped", metadata: [
                "from": "\(current ?? "none")", "to": "\(engine.version)", "seconds": "\(String(format: "%.3f", seconds))",
                "active_model": "\(engine.chain.models.first?.name ?? "none")",
            ])
            return .swapped(from: current, to: engine.version, seconds: seconds)
        }
    }

    private func reject(_ version: String?, _ reason: String, start: UInt64) -> Outcome {
        ServiceMetrics.reload(result: "rejected", seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        logger.error("model version rejected; the current version keeps serving", metadata: [
            "version": "\(version ?? "unknown")", "serving": "\(slot.engine?.version ?? "none")", "reason": "\(reason)",
        ])
        return .rejected(version: version, reason: reason)
    }

    struct ModelReloadFailure: Error { let reason: String }

    /// Loads, verifies and self-checks one version folder.
    static func load(path: String, expectedVersion: String, requireAllModels: Bool) -> Result<PricingEngine, ModelReloadFailure> {
        let folder: ArtifactFolder
        let engine: PricingEngine
        do {
            folder = try ArtifactFolder.load(path: path)
            engine = try PricingEngine(folder: folder)
        } catch {
            return .failure(ModelReloadFailure(reason: "\(expectedVersion) does not load: \(error)"))
        }
        guard engine.version == expectedVersion else {
            return .failure(ModelReloadFailure(reason: "the manifest in \(path) says model_version \(engine.version), not \(expectedVersion)"))
        }
        if requireAllModels && !engine.chain.failureReasons.isEmpty {
            return .failure(ModelReloadFailure(reason: "\(expectedVersion) has models that do not load: "
                                               + engine.chain.failureReasons.joined(separator: "; ")))
        }
        do {
            _ = try ParityCheck.run(engine, folder: folder)
        } catch {
            return .failure(ModelReloadFailure(reason: "\(expectedVersion) fails its parity self-check: \(error)"))
        }
        return .success(engine)
    }

    /// Runs blocking work (downloads, hashing, parsing, the parity check: ~0.4 s of CPU for the
    /// default set) on a thread of its own at a lower scheduling priority, not on Dispatch's pool: on a
    /// small machine the pool has one thread per core, and a reload holding one of them would queue
    /// the requests behind it for the whole load (p99 rose from 10 ms to over 500 ms on 2 cores).
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                #if canImport(Glibc)
                // nice +10: on Linux `who = 0` is the calling thread only, not the whole process.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                #endif
                continuation.resume(returning: work())
            }
            thread.name = "model-reload"
            thread.start()
        }
    }
}
