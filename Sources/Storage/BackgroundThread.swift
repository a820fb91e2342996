import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads for work nobody is waiting on interactively (a catalogue repricing run): the kernel gives
/// them a core only when no other thread wants it, and every parallel loop they reach runs inline on
/// them. So however many such runs a client starts, a request for one product is never queued
/// behind them: with two cores, a run uses at most one, and only what the interactive work leaves.
public enum BackgroundThread {
    /// Starts `body` on a new thread at the lowest CPU priority (Linux: `SCHED_IDLE`, else nice 19).
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            lowerPriority()
            pthread_setspecific(marker, UnsafeRawPointer(bitPattern: 1))
            body()
        }
        thread.name = name
        thread.start()
    }

    /// Whether the calling thread is a background thread: parallel loops must not fan out from it,
    /// since the pool's threads run at normal priority.
    public static var isCurrent: Bool { pthread_getspecific(marker) != nil }

    /// How many workers a parallel loop may use on the calling thread, at most `cores`.
    public static func workers(_ cores: Int) -> Int { isCurrent ? 1 : cores }

    private static func lowerPriority() {
        #if os(Linux)
        // SCHED_IDLE (5 in <sched.h>, not exported by the Glibc module): below every nice level, and
        // allowed without privileges.
        var param = sched_param()
        param.sched_priority = 0
        if pthread_setschedparam(pthread_self(), 5, &param) == 0 { return }
        #endif
        _ = setpriority(PRIO_PROCESS_SELF, 0, 19)
    }
}

#if os(Linux)
// On Linux, PRIO_PROCESS with id 0 acts on the calling thread alone (threads have their own nice value).
private let PRIO_PROCESS_SELF = __priority_which_t(PRIO_PROCESS.rawValue)
#else
private let PRIO_PROCESS_SELF = PRIO_PROCESS
#endif

/// The thread-specific key whose non-nil value marks a background thread.
private let marker: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
