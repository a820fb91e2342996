@testable import ArtifactSources
import Foundation
import XCTest

/// Caching and refreshing temporary credentials, against the container stand-in. The cache's clock is
/// moved forward instead of sleeping; the stand-in's expirations are real times.
final class CredentialCacheTests: XCTestCase {
    /// The wall clock, moved forward by `skip`.
    private final class Clock: Sendable {
        let offset = Shared<TimeInterval>(0)
        func skip(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
        var now: @Sendable () -> Date { { [offset] in Date().addingTimeInterval(offset.withLock { $0 }) } }
    }

    private func cache(for standIn: ContainerCredentialsStandIn, margin: Duration = .seconds(300),
                       clock: Clock) -> AWSCredentialCache {
        let provider = AWSContainerCredentialProvider(url: URL(string: standIn.url)!, authorization: .none)
        return AWSCredentialCache(provider: provider, refreshMargin: margin, retryDelay: .seconds(10), now: clock.now)
    }

    func testRefreshesAheadOfExpirationNotBefore() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(issued: IssuedCredentials(keyPrefix: "ASIAC", lifetime: 600)))
        let clock = Clock()
        let credentials = cache(for: standIn, margin: .seconds(300), clock: clock)
        let first = try await credentials.credentials()
        XCTAssertEqual(first.accessKeyID, "ASIAC1")
        clock.skip(200)  // 400 s left, more than the margin: the cached ones
        let cached = try await credentials.credentials()
        XCTAssertEqual(cached.accessKeyID, "ASIAC1")
        XCTAssertEqual(standIn.fetchCount, 1)
        clock.skip(110)  // 290 s left: inside the margin, refreshed though still valid
        let refreshed = try await credentials.credentials()
        XCTAssertEqual(refreshed.accessKeyID, "ASIAC2")
        XCTAssertEqual(standIn.fetchCount, 2)
        await standIn.server.stop()
    }

    func testShortLivedCredentialsAreRefreshedAtHalfTheirLife() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(issued: IssuedCredentials(keyPrefix: "ASIAC", lifetime: 120)))
        let clock = Clock()
        let credentials = cache(for: standIn, margin: .seconds(300), clock: clock)
        _ = try await credentials.credentials()
        clock.skip(50)
        let early = try await credentials.credentials()
        XCTAssertEqual(early.accessKeyID, "ASIAC1", "a 5 minute margin must not refresh 2 minute credentials on every use")
        clock.skip(15)  // past half of 120 s
        let refreshed = try await credentials.credentials()
        XCTAssertEqual(refreshed.accessKeyID, "ASIAC2")
        await standIn.server.stop()
    }

    func testConcurrentCallersShareOneRefresh() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(delay: .milliseconds(300)))
        let credentials = cache(for: standIn, clock: Clock())
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await credentials.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        XCTAssertEqual(keys, ["ASIACONTAINER1"])
        XCTAssertEqual(standIn.fetchCount, 1)
        XCTAssertEqual(standIn.server.requests.count, 1)
        await standIn.server.stop()
    }

    func testAFailingRefreshKeepsTheValidCachedCredentials() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(issued: IssuedCredentials(keyPrefix: "ASIAC", lifetime: 600)))
        let clock = Clock()
        let credentials = cache(for: standIn, clock: clock)
        _ = try await credentials.credentials()
        standIn.change { $0.failStatus = 403 }
        clock.skip(400)  // due for a refresh, 200 s still valid
        let kept = try await credentials.credentials()
        XCTAssertEqual(kept.accessKeyID, "ASIAC1")
        XCTAssertEqual(standIn.server.requests.count, 2, "the refresh was attempted")
        let failure = try XCTUnwrap(credentials.lastRefreshFailure)
        XCTAssertTrue(failure.reason.contains("403"), failure.description)
        // Within the retry delay the endpoint is left alone; after it, asked again, and it recovers.
        _ = try await credentials.credentials()
        XCTAssertEqual(standIn.server.requests.count, 2)
        standIn.change { $0.failStatus = nil }
        clock.skip(11)
        let recovered = try await credentials.credentials()
        XCTAssertEqual(recovered.accessKeyID, "ASIAC2")
        XCTAssertNil(credentials.lastRefreshFailure)
        await standIn.server.stop()
    }

    func testExpiredCredentialsAndAFailingRefreshAreAClearError() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(issued: IssuedCredentials(keyPrefix: "ASIAC", lifetime: 600)))
        let clock = Clock()
        let credentials = cache(for: standIn, clock: clock)
        _ = try await credentials.credentials()
        standIn.change { $0.failStatus = 403 }
        clock.skip(700)
        do {
            let stale = try await credentials.credentials()
            XCTFail("expired credentials were handed out: \(stale)")
        } catch {
            for expected in ["container credentials", standIn.url, "expired at", "403", "access key …IAC1"] {
                XCTAssertTrue(error.description.contains(expected), "\(expected) not in: \(error)")
            }
            XCTAssertFalse(error.description.contains("secret-1") || error.description.contains("session-token-1"), error.description)
        }
        // Synchronous signing (S3Store) refuses them too.
        XCTAssertThrowsError(try credentials.current())
        await standIn.server.stop()
    }

    func testNeverFetchedAndFailingNamesTheProvider() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(failStatus: 404))
        let credentials = cache(for: standIn, clock: Clock())
        do {
            _ = try await credentials.credentials()
            XCTFail("no credentials were expected")
        } catch {
            XCTAssertEqual(error.provider, "container credentials (\(standIn.url))")
            XCTAssertTrue(error.reason.contains("HTTP 404"), error.reason)
        }
        await standIn.server.stop()
    }

    func testFixedKeysNeedNoFetch() throws {
        let keys = AWSCredentials(accessKeyID: "AKIAFIXED", secretAccessKey: "s")
        let credentials = AWSCredentialCache(provider: StaticCredentialProvider(keys))
        XCTAssertEqual(try credentials.current(), keys)
    }
}
