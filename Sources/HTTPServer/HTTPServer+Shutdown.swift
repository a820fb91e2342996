import Dispatch
import Logging

extension HTTPServer {
    /// Stops the server gracefully and returns once every connection is closed.
    ///
    /// Stops accepting (the listening socket is closed before anything else, so new connections are
    /// refused), closes idle connections, and lets requests in progress finish: their responses are
    /// sent with `Connection: close`. Connections still open after `gracePeriod` are closed forcibly.
    /// Calling it again (or concurrently) waits for the first call to finish.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        enum Step {
            case done
            case wait
            case proceed(listening: Bool)
        }
        let step: Step = core.withLock { core in
            switch core.state {
            case .initial:
                core.state = .shutdown
                return .done
            case .starting, .running:
                core.state = .shuttingDown
                let source = core.acceptSource
                core.acceptSource = nil
                if let source {
                    source.cancel()
                    if core.acceptSuspended {
                        core.acceptSuspended = false
                        source.resume()
                    }
                }
                return .proceed(listening: source != nil)
            case .shuttingDown:
                return .wait
            case .shutdown:
                return .done
            }
        }
        switch step {
        case .done:
            stopped.open()
            return
        case .wait:
            await stopped.wait()
            return
        case .proceed(let listening):
            if listening { await listenerClosed.wait() }
        }

        let connections = core.withLock { Array($0.connections.values) }
        logger.info("HTTP server shutting down; \(connections.count) open connection(s)")
        for connection in connections { connection.beginShutdown() }
        await waitForConnections(timeout: gracePeriod)

        let remaining = core.withLock { Array($0.connections.values) }
        if !remaining.isEmpty {
            logger.warning("grace period over; closing \(remaining.count) connection(s)")
            for connection in remaining { connection.forceClose() }
            await waitForConnections(timeout: .seconds(2))
        }
        core.withLock { $0.state = .shutdown }
        stopped.open()
        logger.info("HTTP server stopped")
    }

    /// Returns once the server has completely shut down (immediately if it already has).
    public func waitUntilShutdown() async {
        await stopped.wait()
    }

    /// Waits until there are no connections, or `timeout` has passed.
    private func waitForConnections(timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiterID: Int? = core.withLock { core in
                guard !core.connections.isEmpty else { return nil }
                core.nextWaiterID += 1
                core.drainWaiters[core.nextWaiterID] = continuation
                return core.nextWaiterID
            }
            guard let waiterID else {
                continuation.resume()
                return
            }
            let nanos = Int(clamping: timeout.nanosecondsClamped)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [self] in
                let waiter = core.withLock { $0.drainWaiters.removeValue(forKey: waiterID) }
                waiter?.resume()
            }
        }
    }
}
