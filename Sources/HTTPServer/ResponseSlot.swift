import Synchronization

/// Hands a handler's response back to the connection that dispatched it.
///
/// The handler task starts synchronously (`Task.immediate`). If the handler returns before its
/// first suspension, the response is left here and the connection writes it inline, without a task
/// suspension or another trip through its queue. Otherwise the connection has already closed the
/// slot and the task delivers the response by `await`ing into the connection.
final class ResponseSlot: Sendable {
    private let state = Mutex<(open: Bool, response: HTTPResponse?)>((true, nil))

    /// Called by the handler task. Returns true if the dispatcher will pick the response up.
    func offer(_ response: HTTPResponse) -> Bool {
        state.withLock { state in
            guard state.open else { return false }
            state.open = false
            state.response = response
            return true
        }
    }

    /// Called by the dispatcher once the task has started: the response if it is already there.
    /// Closes the slot either way.
    func take() -> HTTPResponse? {
        state.withLock { state in
            state.open = false
            defer { state.response = nil }
            return state.response
        }
    }
}
