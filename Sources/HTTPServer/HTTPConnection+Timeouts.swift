import Dispatch

extension HTTPConnection {
    /// Sets the connection's single deadline (uptime ns; 0 clears it). The timer is only reprogrammed
    /// when the new deadline is earlier than its next firing; a later deadline is picked up when the
    /// timer fires, so the per-request path usually touches no timer at all.
    func setDeadline(_ at: UInt64) {
        deadline = at
        guard at != 0, timerFireAt == 0 || at < timerFireAt, let timer else { return }
        timerFireAt = at
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: at), leeway: .milliseconds(10))
    }

    func onTimer() {
        timerFireAt = 0
        guard phase != .closed, deadline != 0 else { return }
        let now = Self.now
        if now < deadline {
            let at = deadline
            deadline = 0
            setDeadline(at)
            return
        }
        deadline = 0
        timedOut()
    }

    private func timedOut() {
        switch phase {
        case .idle:
            // Idle keep-alive connection (or one that never sent anything): close quietly.
            close()
        case .head, .body:
            respondWithError(.timeout)
        case .handling, .closing, .lingering, .closed:
            // The client stopped reading our output, or lingering is over.
            close()
        }
    }
}
