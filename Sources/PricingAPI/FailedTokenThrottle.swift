import Foundation
import Synchronization

/// Slows down guessing of the admin token: after ``maxFailures`` wrong or missing tokens from one
/// client address within ``window``, that address is refused (429 with `Retry-After`) for
/// ``lockout``, whatever it presents, so a guesser gets a handful of tries per lockout instead of
/// thousands per second. A correct token clears the address's count.
///
/// Bounded: at most ``maxTrackedClients`` addresses are remembered; when full, entries whose window
/// and lockout are over are dropped, then the oldest, so a flood of addresses costs memory only up to
/// the bound (and the newest addresses are the ones kept).
public final class FailedTokenThrottle: Sendable {
    /// Wrong tokens from one address, within ``window``, that start a lockout.
    public let maxFailures: Int
    /// How long failures are counted together; an address quiet for longer starts afresh.
    public let window: Duration
    /// How long a locked-out address is refused.
    public let lockout: Duration
    /// Addresses remembered at most.
    public let maxTrackedClients: Int

    struct Record {
        var failures: Int
        var firstFailure: ContinuousClock.Instant
        var lockedUntil: ContinuousClock.Instant?
    }

    private let records = Mutex<[String: Record]>([:])

    /// The defaults: 5 wrong tokens within 60 s lock an address out for 60 s.
    public init(maxFailures: Int = 5, window: Duration = .seconds(60), lockout: Duration = .seconds(60),
                maxTrackedClients: Int = 4096) {
        self.maxFailures = maxFailures
        self.window = window
        self.lockout = lockout
        self.maxTrackedClients = maxTrackedClients
    }

    /// Whole seconds until `client` may try again, or nil when it may try now.
    public func retryAfter(_ client: String, now: ContinuousClock.Instant = .now) -> Int? {
        records.withLock { records in
            guard let until = records[client]?.lockedUntil, until > now else { return nil }
            return Self.wholeSeconds(now.duration(to: until))
        }
    }

    /// Counts a failed attempt; returns the seconds of the lockout it started, if it started one.
    @discardableResult
    public func recordFailure(_ client: String, now: ContinuousClock.Instant = .now) -> Int? {
        records.withLock { records in
            var record = records[client] ?? Record(failures: 0, firstFailure: now, lockedUntil: nil)
            if record.firstFailure.duration(to: now) > window || (record.lockedUntil.map { $0 <= now } ?? false) {
                record = Record(failures: 0, firstFailure: now, lockedUntil: nil)
            }
            record.failures += 1
            var started: Int?
            if record.failures >= maxFailures {
                record.lockedUntil = now + lockout
                started = Self.wholeSeconds(lockout)
            }
            if records[client] == nil && records.count >= maxTrackedClients { evict(from: &records, now: now) }
            records[client] = record
            return started
        }
    }

    /// A correct token: the address starts afresh.
    public func recordSuccess(_ client: String) {
        _ = records.withLock { $0.removeValue(forKey: client) }
    }

    private func evict(from records: inout [String: Record], now: ContinuousClock.Instant) {
        records = records.filter { _, record in
            record.firstFailure.duration(to: now) <= window || (record.lockedUntil.map { $0 > now } ?? false)
        }
        while records.count >= maxTrackedClients, let oldest = records.min(by: { $0.value.firstFailure < $1.value.firstFailure }) {
            records.removeValue(forKey: oldest.key)
        }
    }

    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    /// The client part of a remote address: `127.0.0.1:5123` → `127.0.0.1`, `[::1]:5123` → `::1`;
    /// an address without a port (Lambda's source IP) as it is.
    public static func clientAddress(_ remote: String) -> String {
        if remote.hasPrefix("["), let close = remote.firstIndex(of: "]") {
            return String(remote[remote.index(after: remote.startIndex)..<close])
        }
        let colons = remote.reduce(0) { $0 + ($1 == ":" ? 1 : 0) }
        if colons == 1, let colon = remote.firstIndex(of: ":") { return String(remote[..<colon]) }
        return remote
    }
}
