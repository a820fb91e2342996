import Dispatch
import Synchronization
#if canImport(Glibc)
import CEpoll
import Glibc
#elseif canImport(Musl)
import CEpoll
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Readiness of the connections' sockets: one kernel event queue (epoll on Linux, kqueue on Darwin)
/// waited on by one thread, which hands each event to its connection's queue.
///
/// Why not Dispatch read and write sources: on Linux, libdispatch keeps one shared record per file
/// descriptor for its read and write sources, and tearing sources down while the socket reports a
/// hang-up (both directions shut, which every lingering close reaches) can leave that record freed
/// but still registered; its event loop then dereferences it and the process dies with SIGSEGV in
/// `_dispatch_event_loop_drain` (swift-corelibs-libdispatch issues 833 and 949; reproduced here by the
/// HTTP fuzz tests under `MALLOC_PERTURB_`). Here a registration is a number looked up under a lock,
/// so an event for a socket that has just been closed finds nothing and is dropped.
///
/// Every registration is one-shot: an event disarms it until its owner asks again (``arm``) from its
/// own queue once the event is handled, as Dispatch sources re-arm after their handler. Owners must
/// tolerate an event they no longer want (a read that would block, a write with nothing queued).
final class SocketPoller: Sendable {
    /// What an event says about a socket; a hang-up or an error wakes both sides so they see it.
    struct Readiness: Sendable {
        var readable: Bool
        var writable: Bool
    }

    typealias Delivery = @Sendable (Readiness) -> Void

    /// The process's poller, started on first use.
    static let shared = SocketPoller()

    private let queue: Int32
    private let deliveries = Mutex<[UInt64: Delivery]>([:])
    private let nextToken = Atomic<UInt64>(1)

    private init() {
        #if canImport(Darwin)
        queue = kqueue()
        #else
        queue = epoll_create1(Int32(EPOLL_CLOEXEC))
        #endif
        precondition(queue >= 0, "cannot create the socket event queue: \(Socket.describe(errno))")
        // A serial queue of its own: the blocking wait holds one thread for the life of the process.
        DispatchQueue(label: "SocketPoller", qos: .userInteractive).async { [self] in run() }
    }

    /// Starts watching `fd`, disarmed; `deliver` is called on the poller's thread and must only hand
    /// the event on (to the owner's queue). Returns the registration's token.
    func register(_ fd: Int32, deliver: @escaping Delivery) -> UInt64 {
        let token = nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
        deliveries.withLock { $0[token] = deliver }
        #if !canImport(Darwin)
        // Added with no events asked for (a hang-up may still be reported once, and is then dropped by
        // an owner that wants nothing): ``arm`` enables what the owner wants.
        var event = epoll_event()
        event.events = UInt32(EPOLLONESHOT.rawValue)
        event.data.u64 = token
        _ = epoll_ctl(queue, EPOLL_CTL_ADD, fd, &event)
        #endif
        return token
    }

    /// Asks for one event on `fd` when it is readable (`read`), writable (`write`) or either.
    func arm(_ fd: Int32, token: UInt64, read: Bool, write: Bool) {
        guard read || write else { return }
        #if canImport(Darwin)
        var changes: [kevent] = []
        if read { changes.append(Self.change(fd, Int16(EVFILT_READ), token)) }
        if write { changes.append(Self.change(fd, Int16(EVFILT_WRITE), token)) }
        _ = kevent(queue, changes, Int32(changes.count), nil, 0, nil)
        #else
        var event = epoll_event()
        event.events = UInt32(EPOLLONESHOT.rawValue)
            | (read ? UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue) : 0)
            | (write ? UInt32(EPOLLOUT.rawValue) : 0)
        event.data.u64 = token
        _ = epoll_ctl(queue, EPOLL_CTL_MOD, fd, &event)
        #endif
    }

    /// Stops watching `fd`; no event is delivered for `token` afterwards, so the descriptor may be
    /// closed at once (an event already handed to the owner's queue is the owner's to ignore).
    func deregister(_ fd: Int32, token: UInt64) {
        _ = deliveries.withLock { $0.removeValue(forKey: token) }
        #if canImport(Darwin)
        // One-shot filters that fired are gone already; deleting them again fails harmlessly.
        for filter in [Int16(EVFILT_READ), Int16(EVFILT_WRITE)] {
            var change = Self.change(fd, filter, token)
            change.flags = UInt16(EV_DELETE)
            _ = kevent(queue, &change, 1, nil, 0, nil)
        }
        #else
        _ = epoll_ctl(queue, EPOLL_CTL_DEL, fd, nil)
        #endif
    }

    private func run() {
        let capacity = 64
        #if canImport(Darwin)
        var events = [kevent](repeating: kevent(), count: capacity)
        #else
        var events = [epoll_event](repeating: epoll_event(), count: capacity)
        #endif
        while true {
            #if canImport(Darwin)
            let count = Int(kevent(queue, nil, 0, &events, Int32(capacity), nil))
            #else
            let count = Int(epoll_wait(queue, &events, Int32(capacity), -1))
            #endif
            guard count > 0 else { continue }  // EINTR
            for index in 0..<count {
                let (token, readiness) = Self.decode(events[index])
                if let deliver = deliveries.withLock({ $0[token] }) { deliver(readiness) }
            }
        }
    }

    #if canImport(Darwin)
    private static func change(_ fd: Int32, _ filter: Int16, _ token: UInt64) -> kevent {
        kevent(ident: UInt(fd), filter: filter, flags: UInt16(EV_ADD | EV_ONESHOT), fflags: 0, data: 0,
               udata: UnsafeMutableRawPointer(bitPattern: UInt(token)))
    }

    private static func decode(_ event: kevent) -> (UInt64, Readiness) {
        let token = UInt64(UInt(bitPattern: event.udata))
        let failed = event.flags & UInt16(EV_EOF | EV_ERROR) != 0
        return (token, Readiness(readable: event.filter == Int16(EVFILT_READ) || failed,
                                 writable: event.filter == Int16(EVFILT_WRITE) || failed))
    }
    #else
    private static func decode(_ event: epoll_event) -> (UInt64, Readiness) {
        let mask = event.events
        let failed = mask & (UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0
        let readable = mask & (UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue)) != 0
        return (event.data.u64, Readiness(readable: readable || failed,
                                          writable: mask & UInt32(EPOLLOUT.rawValue) != 0 || failed))
    }
    #endif
}
