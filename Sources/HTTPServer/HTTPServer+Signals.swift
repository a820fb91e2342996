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
    /// The signals are observed through ``observeSignal(_:queue:handler:)``, which catches them on
    /// whichever thread receives them. On the first signal the server shuts down, then `onShutdown`
    /// runs; when it is nil the process exits with status 0. Later signals are ignored.
    public func installSignalHandlers(gracePeriod: Duration = .seconds(10), onShutdown: (@Sendable () -> Void)? = nil) {
        for signalNumber in [SIGTERM, SIGINT] {
            core.withLock { core in
                core.signalObservations.append(observeSignal(signalNumber) { [self] in
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
