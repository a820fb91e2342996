import ArtifactFormats
import Dispatch
import Foundation
public import Logging
public import Pricing
public import Storage
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
    /// The pinned keys every version's manifest must be signed with (``ArtifactTrust``).
    public nonisolated let trust: ArtifactTrust
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

    /// How the first version is loaded, when nothing serves yet.
    public enum FirstLoad: String, Sendable {
        /// Files verified and parsed on every core, the first model of the chain that builds is built
        /// and self-checked before serving; the backups (verified with the rest) are built and
        /// self-checked in the background right after, a request that needs one first builds it.
        case fast
        /// Everything built and self-checked before serving, on one thread (the load path of reloads).
        case eager
    }

    let firstLoad: FirstLoad
    /// The background build of the first version's backups, while it runs.
    private var backupBuild: Task<Void, Never>?
    /// Told of each version as it is installed (``onInstall(_:)``).
    private var installObservers: [@Sendable (PricingEngine) -> Void] = []

    /// `trust` decides which versions may load, whatever the source (a local folder, a download, the
    /// download cache): each version's manifest signature is verified against it as the version is loaded.
    public init(source: any ArtifactSource, slot: EngineSlot, trust: ArtifactTrust, logger: Logger, requireAllModels: Bool = true,
                firstLoad: FirstLoad = .eager) {
        self.source = source
        self.trust = trust
        self.slot = slot
        self.logger = logger
        self.requireAllModels = requireAllModels
        self.firstLoad = firstLoad
    }

    /// Returns once the first version's deferred backups are built and self-checked (at once when
    /// nothing was deferred).
    public func backupsBuilt() async {
        await backupBuild?.value
    }

    /// Calls `observer` with every version installed from now on (the first load and each swap), right
    /// after it starts serving. It runs on the reload path, so it must return at once (start its own work).
    public func onInstall(_ observer: @escaping @Sendable (PricingEngine) -> Void) {
        installObservers.append(observer)
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
            case .missing, .checksumMismatch, .sizeMismatch, .unsigned, .unpinnedKey, .manifestChanged: rejected[version] = reason
            default: break  // unreachable or stalled: not remembered, so the next attempt tries again
            }
            return reject(version, reason, start: start)
        }
        let strict = requireAllModels && current != nil
        let fast = current == nil && firstLoad == .fast
        // Nothing is served yet during a fast first load: it takes every core at full priority.
        let trust = self.trust
        let loaded = await Self.offPool(nice: !fast) { () -> Result<(PricingEngine, ParityCheck.Reference?), ModelReloadFailure> in
            Self.load(path: path, expectedVersion: version, requireAllModels: strict, fast: fast, trust: trust)
        }
        switch loaded {
        case .failure(let failure):
            rejected[version] = failure.reason
            return reject(version, failure.reason, start: start)
        case .success(let (engine, reference)):
            slot.install(engine)
            for observer in installObservers { observer(engine) }
            if engine.chain.hasDeferredModels { buildBackups(of: engine, reference: reference) }
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
        // The reason reaches the log, /readyz and the admin answer: no credentials of a source URL in it.
        let reason = CredentialRedaction.redactingURLs(in: reason)
        ServiceMetrics.reload(result: "rejected", seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        logger.error("model version rejected; the current version keeps serving", metadata: [
            "version": "\(version ?? "unknown")", "serving": "\(slot.engine?.version ?? "none")", "reason": "\(reason)",
        ])
        return .rejected(version: version, reason: reason)
    }

    struct ModelReloadFailure: Error { let reason: String }

    /// Loads, verifies (signature against `trust`, then every file) and self-checks one version folder.
    /// `fast` is the first load's way (see ``FirstLoad/fast``): only the models built now are self-checked.
    static func load(path: String, expectedVersion: String, requireAllModels: Bool,
                     fast: Bool = false, trust: ArtifactTrust) -> Result<(PricingEngine, ParityCheck.Reference?), ModelReloadFailure> {
        let folder: ArtifactFolder
        let engine: PricingEngine
        let reference: Result<ParityCheck.Reference?, ParityCheck.Failure>
        do {
            folder = try ArtifactFolder.load(path: path, parallel: fast, trust: trust)
            // The parity reference is read while the engine is built (on another core, when fast).
            let (built, golden) = bothInParallel(parallel: fast, {
                Result { () throws(ArtifactError) in try PricingEngine(folder: folder, deferBackups: fast, parallel: fast) }
            }, {
                Result { () throws(ParityCheck.Failure) in try ParityCheck.reference(of: folder) }
            })
            engine = try built.get()
            reference = golden
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
            if let golden = try reference.get() {
                let built = Set(engine.chain.models.map(\.name)).subtracting(engine.chain.deferredModelNames)
                _ = try ParityCheck.run(engine, reference: golden, models: built)
            }
            return .success((engine, try reference.get()))
        } catch {
            return .failure(ModelReloadFailure(reason: "\(expectedVersion) fails its parity self-check: \(error)"))
        }
    }

    /// Builds and self-checks the backups `engine` deferred, in the background, then swaps in the
    /// engine with them built, unless a reload replaced `engine` meanwhile. A backup that does not build
    /// or fails its self-check is logged now, with the reason, and shows as not loaded in /readyz,
    /// rather than being found by the first request that needs it.
    private func buildBackups(of engine: PricingEngine, reference: ParityCheck.Reference?) {
        let slot = slot, logger = logger
        backupBuild = Task {
            let start = DispatchTime.now().uptimeNanoseconds
            let deferred = Set(engine.chain.deferredModelNames)
            let complete = await Self.offPool { () -> PricingEngine? in
                guard var complete = engine.buildingDeferredModels() else { return nil }
                for model in complete.chain.models where deferred.contains(model.name) {
                    guard let reference else { break }
                    do {
                        _ = try ParityCheck.run(complete, reference: reference, models: [model.name])
                    } catch {
                        complete = complete.disabling(model.name, reason: "fails its parity self-check: \(error)")
                    }
                }
                return complete
            }
            guard let complete, slot.replace(engine, with: complete) else { return }
            for case .failed(let name, let reason) in complete.chain.entries where deferred.contains(name) {
                logger.error("backup model does not load; it will not answer", metadata: [
                    "model_version": "\(complete.version)", "model": "\(name)", "reason": "\(reason)",
                ])
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            logger.info("backup models built", metadata: [
                "model_version": "\(complete.version)", "models": "\(deferred.sorted().joined(separator: ","))",
                "seconds": "\(String(format: "%.3f", seconds))",
            ])
        }
    }

    /// Runs blocking work (downloads, hashing, parsing, the parity check: ~0.4 s of CPU for the
    /// default set) on a thread of its own at a lower scheduling priority, not on Dispatch's pool: on a
    /// small machine the pool has one thread per core, and a reload holding one of them would queue
    /// the requests behind it for the whole load (p99 rose from 10 ms to over 500 ms on 2 cores).
    static func offPool<T: Sendable>(nice: Bool = true, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                #if canImport(Glibc)
                // nice +10: on Linux `who = 0` is the calling thread only, not the whole process.
                if nice { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
                #endif
                continuation.resume(returning: work())
            }
            thread.name = "model-reload"
            thread.start()
        }
    }
}
