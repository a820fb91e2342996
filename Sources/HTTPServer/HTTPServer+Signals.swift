public import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPServer {
    /// Makes SIGTERM and SIGINT trigger a graceful ``shutdown(gracePeriod:)``.
    ///
    /// The signals are observed by Dispatch signal sources. On the first signal the server shuts
    /// down, then `onShutdown` runs; when it is nil the process exits with status 0. Later signals
    /// are ignored.
    ///
    /// On Linux, Dispatch receives signals through a `signalfd`, which only sees a signal that no
    /// thread takes first. So the signals are also ignored (`SIG_IGN`) and blocked on the calling
    /// thread and on the main thread (Dispatch's own worker threads block all signals). Call this
    /// early, before starting threads of your own, or block the signals in them too.
    public func installSignalHandlers(gracePeriod: Duration = .seconds(10), onShutdown: (@Sendable () -> Void)? = nil) {
        for signalNumber in [SIGTERM, SIGINT] {
            core.withLock { core in
                core.signalSources.append(observeSignal(signalNumber) { [self] in
                    signalReceived(signalNumber, gracePeriod: gracePeriod, onShutdown: onShutdown)
                })
            }
        }
    }

    private func signalReceived(_ signalNumber: Int32, gracePeriod: Duration, onShutdown: (@Sendable () -> Void)?) {
        let first = core.withLock { core in
            defer { core.signalReceived = true }
            return !core.signalReceived
        }
        guard first else { return }
        logger.info("received signal \(signalNumber); shutting down (grace period \(gracePeriod))")
        Task {
            await self.shutdown(gracePeriod: gracePeriod)
            if let onShutdown {
                onShutdown()
            } else {
                exit(0)
            }
        }
    }
}

/// Runs `handler` on `queue` each time the process receives `signalNumber` (e.g. SIGHUP), as
/// ``HTTPServer/installSignalHandlers(gracePeriod:onShutdown:)`` does for SIGTERM and SIGINT: the
/// signal is ignored and blocked (on the calling and the main thread) so that only Dispatch's signal
/// source sees it. Keep the returned source alive.
public func observeSignal(_ signalNumber: Int32, queue: DispatchQueue = .global(),
                          handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
    blockOnCurrentThread(signalNumber)
    DispatchQueue.main.async { blockOnCurrentThread(signalNumber) }
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
    source.setEventHandler(handler: handler)
    source.activate()
    return source
}

private func blockOnCurrentThread(_ signalNumber: Int32) {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signalNumber)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}
