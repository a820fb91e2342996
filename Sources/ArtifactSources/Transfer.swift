import Storage
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Crypto
import Foundation
import Synchronization

/// Where a response body goes.
enum BodySink: Sendable {
    /// Kept in memory, at most `limit` bytes (LATEST, manifest.json).
    case memory(limit: Int)
    /// Written to `path` as it arrives and hashed on the way; it must end up exactly `bytes` long with
    /// this sha256 (lower-case hex).
    case file(path: String, bytes: Int, sha256: String)

    var limit: Int {
        switch self {
        case .memory(let limit): limit
        case .file(_, let bytes, _): bytes
        }
    }
}

/// How one attempt at one GET ended.
enum AttemptOutcome: Sendable {
    /// The body for a memory sink; empty for a file sink (the bytes are on disk, verified).
    case success([UInt8])
    case failure(AttemptFailure)
}

/// One GET between URLSession's delegate callbacks and the task awaiting its outcome.
///
/// Callbacks arrive on the session's serial delegate queue, while the awaiting task, the deadline
/// watchdog and task cancellation act from other threads; all of them go through one lock, and the
/// first ending (completion, size limit, deadline, cancellation) is the one reported. Later callbacks
/// for an ended transfer are ignored, so nothing is written to the file after it is closed.
final class Transfer: Sendable {
    private struct State {
        var continuation: CheckedContinuation<AttemptOutcome, Never>?
        var outcome: AttemptOutcome?
        var status = 0
        var received = 0
        var memory: [UInt8] = []
        /// The body of an error answer, kept for its message (S3 explains refusals in XML).
        var errorBody: [UInt8] = []
        var file: FileHandle?
        var hasher = SHA256()
    }

    /// How much of an error answer's body is kept.
    static let errorBodyLimit = 64 * 1024

    private let sink: BodySink
    private let state: Mutex<State>

    /// `file` is the open, empty destination of a file sink.
    init(sink: BodySink, file: FileHandle?) {
        self.sink = sink
        self.state = Mutex(State(file: file))
    }

    /// Records the response head. Returns false when the transfer ended (the body is declared larger
    /// than allowed, or the transfer was already over) and the task should be cancelled.
    func responded(_ response: URLResponse) -> Bool {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let declared = response.expectedContentLength
        let tooLarge = state.withLock { state -> Bool in
            state.status = status
            return (200..<300).contains(status) && declared > Int64(sink.limit)
        }
        if tooLarge {
            finish(.failure(.tooLarge(limit: sink.limit, received: Int(clamping: declared))))
            return false
        }
        return state.withLock { $0.outcome == nil }
    }

    /// Takes a piece of the body. Returns false when the transfer ended and the task should be cancelled.
    func received(_ data: Data) -> Bool {
        enum Step { case keep, stop, fail(AttemptFailure) }
        let sink = self.sink
        let step = state.withLock { state -> Step in
            guard state.outcome == nil else { return .stop }
            guard (200..<300).contains(state.status) else {
                let room = Self.errorBodyLimit - state.errorBody.count
                if room > 0 { state.errorBody.append(contentsOf: data.prefix(room)) }
                return .keep
            }
            state.received += data.count
            guard state.received <= sink.limit else {
                return .fail(.tooLarge(limit: sink.limit, received: state.received))
            }
            switch sink {
            case .memory:
                state.memory.append(contentsOf: data)
            case .file(let path, _, _):
                state.hasher.update(data: data)
                do {
                    try state.file?.write(contentsOf: data)
                } catch {
                    return .fail(.local("cannot write \(path): \(error)"))
                }
            }
            return .keep
        }
        switch step {
        case .keep: return true
        case .stop: return false
        case .fail(let failure):
            finish(.failure(failure))
            return false
        }
    }

    /// URLSession's completion: maps it to an outcome, verifying a file's size and sha256.
    func completed(error: (any Error)?) {
        if let error {
            finish(.failure(Self.failure(for: error)))
            return
        }
        let sink = self.sink
        let outcome = state.withLock { state -> AttemptOutcome in
            guard (200..<300).contains(state.status) else {
                return .failure(.status(state.status, body: state.errorBody))
            }
            switch sink {
            case .memory:
                return .success(state.memory)
            case .file(_, let bytes, let sha256):
                guard state.received == bytes else {
                    return .failure(.sizeMismatch(expected: bytes, actual: state.received))
                }
                let digest = hexString(state.hasher.finalize())
                guard digest == sha256 else { return .failure(.checksumMismatch(expected: sha256, actual: digest)) }
                return .success([])
            }
        }
        finish(outcome)
    }

    /// Ends the transfer with `outcome` unless it already ended; closes the file either way.
    func finish(_ outcome: AttemptOutcome) {
        let waiter = state.withLock { state -> CheckedContinuation<AttemptOutcome, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            try? state.file?.close()
            state.file = nil
            defer { state.continuation = nil }
            return state.continuation
        }
        waiter?.resume(returning: outcome)
    }

    /// The outcome, once the transfer has ended.
    func wait() async -> AttemptOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<AttemptOutcome, Never>) in
            let ended = state.withLock { state -> AttemptOutcome? in
                if let outcome = state.outcome { return outcome }
                state.continuation = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    private static func failure(for error: any Error) -> AttemptFailure {
        let code = (error as? URLError)?.errorCode ?? (error as NSError).code
        switch code {
        case NSURLErrorCancelled: return .cancelled
        case NSURLErrorTimedOut: return .idleTimeout
        default: return .transport(code: code)
        }
    }
}

/// URLSession's delegate for all tasks of one fetcher: hands each callback to its task's ``Transfer``.
///
/// A session-level delegate routing by task identifier, rather than a delegate per task: older
/// swift-corelibs-foundation releases deliver data callbacks only to the session's delegate.
final class TransferDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Mutex<[Int: Transfer]>([:])
    /// Decides which redirects are followed (``DownloadSettings/refusal(of:redirectedFrom:)``).
    private let settings: DownloadSettings

    init(settings: DownloadSettings) {
        self.settings = settings
    }

    /// Must be called before the task is resumed, so that no callback finds it missing.
    func register(_ transfer: Transfer, for task: URLSessionTask) {
        transfers.withLock { $0[task.taskIdentifier] = transfer }
    }

    /// Drops the task's entry (when its outcome came from the deadline or cancellation instead of a
    /// completion callback).
    func forget(_ task: URLSessionTask) {
        _ = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
    }

    private func transfer(for task: URLSessionTask) -> Transfer? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let keep = transfer(for: dataTask)?.responded(response) ?? false
        completionHandler(keep ? .allow : .cancel)
    }

    /// A redirect is followed only where a request of our own could go: never from https to plain
    /// http (libcurl would follow it, and the rest of the download would travel unprotected), to
    /// plain http only when allowed. A refused redirect ends the transfer with a message naming it.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        let from = response.url ?? task.currentRequest?.url
        if let why = settings.refusal(of: request.url, redirectedFrom: from) {
            transfer(for: task)?.finish(.failure(.insecure(why)))
            completionHandler(nil)
            task.cancel()
            return
        }
        completionHandler(request)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard transfer(for: dataTask)?.received(data) == true else {
            dataTask.cancel()
            return
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        transfer?.completed(error: error)
    }
}
