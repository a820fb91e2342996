@testable import ArtifactFormats
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ArtifactSources
import Storage
import TestSupport
import XCTest

/// A remote version is trusted on its signature, not on the connection: against the real file server
/// on loopback, an unsigned, mis-signed or altered version is refused before its files are fetched;
/// plain http needs the explicit setting and an https→http redirect is never followed.
final class ArtifactTrustSourceTests: ServedModelsTestCase {
    private func source(_ cache: String) throws(ArtifactError) -> any ArtifactSource {
        try makeTestSource(location: server.baseURL.absoluteString, cacheDirectory: cache, environment: [:], download: fastSettings())
    }

    private func localVersionError(_ cache: String) async throws -> ArtifactError {
        let source = try source(cache)
        let failure = await artifactError { try await source.localVersion(self.version) }
        return try XCTUnwrap(failure)
    }

    /// Only the manifest and its signature may have been asked for.
    private func assertNoFileFetched(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(server.requests), ["\(version)/manifest.json", "\(version)/manifest.json.sig"], file: file, line: line)
    }

    func testUnsignedRemoteVersionIsRefusedBeforeAnyFileIsFetched() async throws {
        try FileManager.default.removeItem(atPath: "\(modelsRoot)/\(version)/manifest.json.sig")
        let cache = temporaryDirectory(self, "cache")
        let error = try await localVersionError(cache)
        XCTAssertEqual(error.problem, .unsigned(version: version))
        XCTAssertEqual(error.file, "\(server.baseURL.absoluteString)/\(version)/manifest.json")
        XCTAssertTrue(error.description.contains("unsigned"), error.description)
        assertNoFileFetched()
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testVersionSignedWithAKeyThatIsNotPinnedIsRefused() async throws {
        try TestSigning.sign(folder: "\(modelsRoot)/\(version)", byStranger: true)
        let error = try await localVersionError(temporaryDirectory(self, "cache"))
        XCTAssertEqual(error.problem, .unpinnedKey(version: version, key: TestSigning.strangerPublicKey))
        XCTAssertTrue(error.description.contains("does not match any pinned key"), error.description)
        assertNoFileFetched()
    }

    func testFlippedByteInTheServedManifestIsAChangedManifest() async throws {
        server.setFaults { $0.corrupt = ["\(version)/manifest.json"] }
        let error = try await localVersionError(temporaryDirectory(self, "cache"))
        guard case .manifestChanged = error.problem else { return XCTFail("\(error)") }
        XCTAssertTrue(error.description.contains("manifest changed"), error.description)
        assertNoFileFetched()
    }

    func testFlippedByteInAServedArtifactFileFailsItsChecksum() async throws {
        server.setFaults { $0.corrupt = ["\(version)/golden.json"] }
        let error = try await localVersionError(temporaryDirectory(self, "cache"))
        guard case .checksumMismatch = error.problem else { return XCTFail("\(error)") }
        XCTAssertTrue(error.file.hasSuffix("/\(version)/golden.json"), error.file)
    }

    func testPlainHTTPNeedsTheExplicitSetting() throws {
        let cache = temporaryDirectory(self, "cache")
        XCTAssertThrowsError(try makeTestSource(location: server.baseURL.absoluteString, cacheDirectory: cache, environment: [:],
                                                download: fastSettings(allowInsecureHTTP: false))) { error in
            let failure = error as! ArtifactError
            guard case .insecure(let why) = failure.problem else { return XCTFail("\(failure)") }
            XCTAssertTrue(why.contains("allow_insecure_http"), why)
        }
        // An S3 endpoint over plain http is the same thing.
        XCTAssertThrowsError(try makeTestSource(location: "s3://pricing-models/m", cacheDirectory: cache, environment: [
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "HOME": cache,
            "AWS_ENDPOINT_URL_S3": server.baseURL.absoluteString,
        ], download: fastSettings(allowInsecureHTTP: false))) { error in
            XCTAssertTrue("\(error)".contains("allow_insecure_http"), "\(error)")
        }
        XCTAssertTrue(server.requests.isEmpty, "nothing may be fetched over plain http without the setting")
    }

    /// A real redirect on loopback goes through the fetcher's redirect decision and, plain http being
    /// allowed here, is followed: the decision refuses downgrades, not redirects.
    func testAnAllowedRedirectIsFollowed() async throws {
        let file = "\(version)/golden.json"
        server.setFaults { [base = server.baseURL.absoluteString] in $0.redirectOnce[file] = "\(base)/\(file)" }
        let folder = try await source(temporaryDirectory(self, "cache")).localVersion(version)
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(server.requests.filter { $0 == file }.count, 2, "the 302, then the file")
    }

    /// The fetcher's redirect decision on a real URLSession with the fetcher's own delegate: libcurl
    /// is never told to follow an https→http redirect, even with plain http allowed, and the transfer
    /// ends with a message naming the cause. (No test server here speaks TLS, and libcurl on Linux
    /// trusts only the system's CA bundle, so the https side cannot be a real loopback server.)
    func testRedirectFromHTTPSToHTTPIsRefused() async throws {
        let delegate = TransferDelegate(settings: fastSettings(allowInsecureHTTP: true))
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let from = URL(string: "https://127.0.0.1:9/models/\(version)/manifest.json")!
        func redirect(to target: String) async -> (followed: Bool, outcome: AttemptOutcome?) {
            let task = session.dataTask(with: from)
            let transfer = Transfer(sink: .memory(limit: 1024), file: nil)
            delegate.register(transfer, for: task)
            defer { delegate.forget(task) }
            let response = HTTPURLResponse(url: from, statusCode: 302, httpVersion: "HTTP/1.1", headerFields: ["Location": target])!
            let followed = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                delegate.urlSession(session, task: task, willPerformHTTPRedirection: response,
                                    newRequest: URLRequest(url: URL(string: target)!)) { done.resume(returning: $0 != nil) }
            }
            if followed { return (true, nil) }
            return (false, await transfer.wait())
        }
        let downgrade = await redirect(to: "http://127.0.0.1:9/models/\(version)/manifest.json")
        XCTAssertFalse(downgrade.followed)
        guard case .failure(.insecure(let why))? = downgrade.outcome else { return XCTFail("\(String(describing: downgrade.outcome))") }
        XCTAssertTrue(why.contains("redirect from https to plain http"), why)
        let error = AttemptFailure.insecure(why).artifactError(path: "\(version)/manifest.json", store: HTTPStore(baseURL: from),
                                                               attempts: 1, elapsed: .zero, settings: fastSettings())
        XCTAssertTrue(error.description.contains("refused"), error.description)
        let https = await redirect(to: "https://mirror.invalid/models/\(version)/manifest.json")
        XCTAssertTrue(https.followed, "an https→https redirect is followed")
    }
}
