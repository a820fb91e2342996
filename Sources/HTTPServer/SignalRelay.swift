public import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `handler` on `queue` each time the process receives `signalNumber` (e.g. SIGHUP), until the
/// returned observation is cancelled. Several observers of one signal all run; signals of one number
/// arriving together may run the handler once (as the kernel itself merges pending signals).
///
/// Why not a Dispatch signal source: on Linux it reads signals from a `signalfd`, which only sees a
/// signal that no thread takes first, so every thread of the process would have to block it, and
/// threads started before (a model-loading thread, libcurl's, the test runner's) do not. Here a
/// `sigaction` handler catches the signal on whichever thread the kernel picks and writes its number
/// into a pipe; a Dispatch read source on the pipe runs the observers. `SA_RESTART`, so system calls
/// on the interrupted thread resume instead of failing with `EINTR`.
///
/// Once a signal has been observed it stays caught for the life of the process: after the last
/// observation is cancelled it is received and dropped, not given back its default action.
public func observeSignal(_ signalNumber: Int32, queue: DispatchQueue = .global(),
                          handler: @escaping @Sendable () -> Void) -> SignalObservation {
    SignalRelay.shared.add(signalNumber, queue: queue, handler: handler)
}

/// A registration made by ``observeSignal(_:queue:handler:)``.
public final class SignalObservation: Sendable {
    private let id: Int

    fileprivate init(id: Int) { self.id = id }

    /// Stops running the handler; signals already relayed may still run it once. Idempotent.
    public func cancel() { SignalRelay.shared.remove(id) }
}

/// The write end of the relay's pipe, read by the signal handler. An atomic, not a property, because
/// the handler is a C function pointer that can capture nothing, and it must not take a lock.
private let relayWriteEnd = Atomic<Int32>(-1)

/// The process-wide `sigaction` handler: only async-signal-safe work (an atomic load, `write(2)`).
private func relaySignal(_ signalNumber: Int32) {
    let savedErrno = errno
    let fd = relayWriteEnd.load(ordering: .acquiring)
    if fd >= 0 {
        var byte = UInt8(truncatingIfNeeded: signalNumber)
        // Non-blocking: with the pipe full (64 KiB of unread signals) the extra ones are dropped.
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}

/// The pipe between the signal handler and the observers, created on first use.
private final class SignalRelay: Sendable {
    static let shared = SignalRelay()

    private struct Observer {
        let signalNumber: Int32
        let queue: DispatchQueue
        let handler: @Sendable () -> Void
    }

    private struct State {
        var observers: [Int: Observer] = [:]
        var nextID = 0
        var caught: Set<Int32> = []
        // Kept here only so the source lives as long as the relay.
        var source: (any DispatchSourceRead)?
    }

    private let state = Mutex(State())
    private let readEnd: Int32

    private init() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("cannot create the signal relay's pipe: errno \(errno)") }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = ends[0]
        relayWriteEnd.store(ends[1], ordering: .releasing)
        let fd = ends[0]
        state.withLock { state in
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "SignalRelay"))
            source.setEventHandler { SignalRelay.shared.drain() }
            source.activate()
            state.source = source
        }
    }

    func add(_ signalNumber: Int32, queue: DispatchQueue, handler: @escaping @Sendable () -> Void) -> SignalObservation {
        let (id, firstForSignal) = state.withLock { state in
            defer { state.nextID += 1 }
            state.observers[state.nextID] = Observer(signalNumber: signalNumber, queue: queue, handler: handler)
            return (state.nextID, state.caught.insert(signalNumber).inserted)
        }
        if firstForSignal { catchSignal(signalNumber) }
        return SignalObservation(id: id)
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.observers.removeValue(forKey: id) }
    }

    private func catchSignal(_ signalNumber: Int32) {
        var action = sigaction()
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = relaySignal
        #else
        action.__sigaction_handler.sa_handler = relaySignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        guard sigaction(signalNumber, &action, nil) == 0 else { fatalError("cannot catch signal \(signalNumber): errno \(errno)") }
        // Earlier code (or a parent process) may have blocked it on this thread; the handler needs it deliverable.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Reads every relayed signal number and runs the observers of each.
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }  // EAGAIN: drained
            let received = Set(buffer[0..<count].map { Int32($0) })
            let due = state.withLock { state in state.observers.values.filter { received.contains($0.signalNumber) } }
            for observer in due { observer.queue.async(execute: observer.handler) }
        }
    }
}
