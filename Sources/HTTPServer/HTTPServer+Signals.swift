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
        let signals = [SIGTERM, SIGINT]
        Self.blockOnCurrentThread(signals)
        DispatchQueue.main.async { Self.blockOnCurrentThread(signals) }
        for signalNumber in signals {
            signal(signalNumber, SIG_IGN)
            core.withLock { core in
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { [self] in signalReceived(signalNumber, gracePeriod: gracePeriod, onShutdown: onShutdown) }
                source.activate()
                core.signalSources.append(source)
            }
        }
    }

    private static func blockOnCurrentThread(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in signals { sigaddset(&set, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
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

/// Runs `handler` on `queue` each time the process receives `signalNumber` (e.g. SIGHUP), the same
/// way ``HTTPServer/installSignalHandlers(gracePeriod:onShutdown:)`` observes SIGTERM: the signal is
/// ignored and blocked so that only Dispatch's signal source sees it. Keep the returned source alive.
public func observeSignal(_ signalNumber: Int32, queue: DispatchQueue = .global(),
                          handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signalNumber)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    DispatchQueue.main.async {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
    source.setEventHandler(handler: handler)
    source.activate()
    return source
}
