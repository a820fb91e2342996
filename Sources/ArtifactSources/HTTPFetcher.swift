import ArtifactFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// GETs objects of a ``RemoteStore`` over URLSession (libcurl on Linux), with a request timeout, an
/// overall deadline per object, size limits, and retries with backoff for what may pass.
///
/// One URLSession per fetcher, so connections are reused across the files of a version.
final class HTTPFetcher: Sendable {
    let settings: DownloadSettings
    private let session: URLSession
    private let delegate: TransferDelegate

    init(settings: DownloadSettings) {
        self.settings = settings
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = TimeInterval(settings.requestTimeoutSeconds)
        configuration.timeoutIntervalForResource = settings.fileDeadline.inSeconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = settings.parallelism
        // Body pieces must reach the delegate in order (they are hashed and appended), so its queue
        // is serial.
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "Storage.HTTPFetcher"
        let delegate = TransferDelegate(settings: settings)
        self.delegate = delegate
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        // The session keeps its delegate alive until invalidated; nothing can be awaiting a task any
        // more (callers hold the fetcher while they wait).
        session.invalidateAndCancel()
    }

    /// GETs `path` from `store` into `sink`, retrying connection errors, timeouts and 5xx answers, all
    /// within one `fileDeadline`. Returns the body of a memory sink (empty for a file sink, whose bytes
    /// are on disk and verified).
    func fetch(_ path: String, from store: any RemoteStore, into sink: BodySink) async throws(ArtifactError) -> [UInt8] {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + settings.fileDeadline
        var attempt = 1
        while true {
            var request = try store.request(for: path)
            request.timeoutInterval = TimeInterval(settings.requestTimeoutSeconds)
            request.cachePolicy = .reloadIgnoringLocalCacheData
            // libcurl would otherwise ask for gzip and inflate it, and the bytes hashed would not be
            // the bytes stored.
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            if let why = settings.refusal(of: request.url) {
                throw AttemptFailure.insecure(why).artifactError(path: path, store: store, attempts: attempt,
                                                                 elapsed: clock.now - start, settings: settings)
            }
            let failure: AttemptFailure
            switch await perform(request, into: sink, until: deadline) {
            case .success(let body): return body
            case .failure(let why): failure = why
            }
            let pause = settings.backoff(after: attempt)
            guard failure.isRetryable, attempt < settings.attempts, clock.now + pause < deadline, !Task.isCancelled else {
                throw failure.artifactError(path: path, store: store, attempts: attempt, elapsed: clock.now - start,
                                            settings: settings)
            }
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw AttemptFailure.cancelled.artifactError(path: path, store: store, attempts: attempt,
                                                             elapsed: clock.now - start, settings: settings)
            }
            attempt += 1
        }
    }

    /// One attempt: runs the task until it completes, the deadline passes, or the caller is cancelled.
    private func perform(_ request: URLRequest, into sink: BodySink, until deadline: ContinuousClock.Instant) async -> AttemptOutcome {
        var file: FileHandle?
        if case .file(let path, _, _) = sink {
            // Each attempt starts the file afresh.
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                return .failure(.local("cannot create \(path)"))
            }
            file = handle
        }
        let transfer = Transfer(sink: sink, file: file)
        let task = session.dataTask(with: request)
        delegate.register(transfer, for: task)
        // The request timeout catches silence; this catches a server that keeps sending, slowly.
        let watchdog = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard !Task.isCancelled else { return }
            transfer.finish(.failure(.deadline))
            task.cancel()
        }
        let outcome = await withTaskCancellationHandler {
            task.resume()
            return await transfer.wait()
        } onCancel: {
            transfer.finish(.failure(.cancelled))
            task.cancel()
        }
        watchdog.cancel()
        delegate.forget(task)
        return outcome
    }
}
