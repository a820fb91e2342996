public import Foundation
import Synchronization

/// The credentials of one ``AWSCredentialProvider``, kept until shortly before they expire.
///
/// Temporary credentials are fetched again `refreshMargin` before their expiration, or at half their
/// lifetime when that comes later (a role session shorter than twice the margin would otherwise be
/// refreshed on every use). Callers that arrive while a refresh runs wait for that one refresh rather
/// than starting their own. When a refresh fails while the cached credentials still work, they stay in
/// use (the failure is kept in ``lastRefreshFailure``; the next attempt waits `retryDelay`, so an
/// unreachable endpoint is not asked on every request); once they have expired, the failure is the error.
///
/// Expirations are wall-clock times (the endpoints send them that way), so `now` is the wall clock,
/// injectable for tests.
public final class AWSCredentialCache: Sendable {
    private struct State {
        var cached: AWSCredentials?
        /// When the cached credentials should be replaced; nil for credentials that never expire.
        var refreshAt: Date?
        var refreshing: Task<Void, Never>?
        var lastFailure: AWSCredentialError?
        /// No new attempt before this, while the cached credentials are still valid.
        var retryAfter: Date?
    }

    /// Default lead time of a refresh: the AWS SDKs refresh about five minutes before expiration.
    public static let defaultRefreshMargin: Duration = .seconds(300)

    public let provider: any AWSCredentialProvider
    let refreshMargin: Duration
    let retryDelay: Duration
    private let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// - Parameters:
    ///   - refreshMargin: how long before their expiration credentials are replaced.
    ///   - retryDelay: the pause after a failed refresh while the cached credentials remain valid.
    ///   - now: the wall clock (tests move it instead of sleeping).
    public init(provider: any AWSCredentialProvider, refreshMargin: Duration = AWSCredentialCache.defaultRefreshMargin,
                retryDelay: Duration = .seconds(10), now: @escaping @Sendable () -> Date = { Date() }) {
        self.provider = provider
        self.refreshMargin = refreshMargin
        self.retryDelay = retryDelay
        self.now = now
        // Fixed keys need no fetch: requests can be signed at once, also by callers that never await.
        let fixed = (provider as? StaticCredentialProvider)?.credentials
        self.state = Mutex(State(cached: fixed))
    }

    /// Credentials valid now, fetched or refreshed first when due. Throws when there are none: never
    /// fetched, or expired, and the provider failed.
    public func credentials() async throws(AWSCredentialError) -> AWSCredentials {
        await refreshIfDue()
        return try current(startingRefresh: false)
    }

    /// The failure of the last refresh, while cached credentials outlive it; nil after a success.
    public var lastRefreshFailure: AWSCredentialError? {
        state.withLock { $0.lastFailure }
    }

    /// Refreshes when the cached credentials are missing or due (joining a refresh under way), and
    /// returns once that is settled either way.
    func refreshIfDue() async {
        let date = now()
        let task = state.withLock { state -> Task<Void, Never>? in
            if let running = state.refreshing { return running }
            guard needsRefresh(state, at: date) else { return nil }
            return startRefresh(&state)
        }
        await task?.value
    }

    /// The cached credentials when they are still valid, without waiting: for callers that cannot
    /// await (a request built synchronously). When they are due it starts a refresh in the background
    /// for the next caller. Throws the provider's failure when there are no valid credentials.
    func current(startingRefresh: Bool = true) throws(AWSCredentialError) -> AWSCredentials {
        let date = now()
        let answer = state.withLock { state -> Result<AWSCredentials, AWSCredentialError> in
            if startingRefresh, state.refreshing == nil, needsRefresh(state, at: date) { _ = startRefresh(&state) }
            if let cached = state.cached, !Self.isExpired(cached, at: date) { return .success(cached) }
            return .failure(unusable(state, at: date))
        }
        return try answer.get()
    }

    /// The cached credentials for messages (masked key and source), or the provider's name.
    var summary: String {
        state.withLock { $0.cached?.description } ?? provider.name
    }

    private func needsRefresh(_ state: State, at date: Date) -> Bool {
        guard let cached = state.cached else { return true }
        if Self.isExpired(cached, at: date) { return true }
        guard let refreshAt = state.refreshAt, date >= refreshAt else { return false }
        if let retryAfter = state.retryAfter, date < retryAfter { return false }
        return true
    }

    /// Starts the one refresh; the state's lock is held by the caller.
    private func startRefresh(_ state: inout State) -> Task<Void, Never> {
        let task = Task { await self.refresh() }
        state.refreshing = task
        return task
    }

    private func refresh() async {
        let outcome: Result<AWSCredentials, AWSCredentialError>
        do {
            outcome = .success(try await provider.fetchCredentials())
        } catch {
            outcome = .failure(error)
        }
        let date = now()
        state.withLock { state in
            state.refreshing = nil
            switch outcome {
            case .success(let fresh):
                state.cached = fresh
                state.refreshAt = refreshTime(of: fresh, fetchedAt: date)
                state.lastFailure = nil
                state.retryAfter = nil
            case .failure(let failure):
                state.lastFailure = failure
                state.retryAfter = date.addingTimeInterval(retryDelay.inSeconds)
            }
        }
    }

    /// `refreshMargin` before the expiration, but not before half the lifetime has passed.
    private func refreshTime(of credentials: AWSCredentials, fetchedAt date: Date) -> Date? {
        guard let expiration = credentials.expiration else { return nil }
        let lifetime = max(0, expiration.timeIntervalSince(date))
        return expiration.addingTimeInterval(-min(refreshMargin.inSeconds, lifetime / 2))
    }

    private static func isExpired(_ credentials: AWSCredentials, at date: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return date >= expiration
    }

    private func unusable(_ state: State, at date: Date) -> AWSCredentialError {
        let why = state.lastFailure?.reason ?? "no credentials fetched yet"
        guard let cached = state.cached, let expiration = cached.expiration else {
            return AWSCredentialError(provider: provider.name, reason: why)
        }
        return AWSCredentialError(provider: provider.name, reason:
            "the credentials (\(cached)) expired at \(AWSTimestamp.format(expiration)) and refreshing them failed: \(why)")
    }
}
