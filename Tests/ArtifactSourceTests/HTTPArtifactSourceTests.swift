import ArtifactFormats
import ArtifactSources
import Foundation
import Storage
import TestSupport
import XCTest

/// The HTTP source against a real file server on loopback, healthy and faulty.
final class HTTPArtifactSourceTests: ServedModelsTestCase {
    private func source(_ cache: String, settings: DownloadSettings = fastSettings()) throws(ArtifactError) -> any ArtifactSource {
        try makeTestSource(location: server.baseURL.absoluteString + "/", cacheDirectory: cache, environment: [:],
                               download: settings)
    }

    private func requests(for file: String) -> Int {
        server.requests.filter { $0 == file }.count
    }

    /// Requests one complete download makes: manifest.json and its signature, then every file it lists,
    /// once each.
    private func completeDownload() throws -> Int { try CommittedModels.folder().manifest.files.count + 2 }

    /// svr.safetensors' size, as the manifest gives it.
    private func svrBytes() throws -> Int { try XCTUnwrap(CommittedModels.folder().manifest.files["svr.safetensors"]).bytes }

    func testLoadsTheLatestVersionIntoTheCache() async throws {
        let cache = temporaryDirectory(self, "cache") + "/nested/cache"
        let source = try source(cache)
        XCTAssertTrue(source is HTTPArtifactSource)
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, version)
        let folder = try await source.localVersion(latest)
        XCTAssertEqual(folder, cache + "/" + version)
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(cacheEntries(cache), [version], "no partial folder may be left behind")
    }

    func testModelsRootBelowAPath() async throws {
        // Serve the parent folder, so the models root is at /<name>.
        let parent = (modelsRoot as NSString).deletingLastPathComponent
        let name = (modelsRoot as NSString).lastPathComponent
        let wide = try TestFileServer(root: parent)
        addTeardownBlock { await wide.stop() }
        let cache = temporaryDirectory(self, "cache")
        let source = try makeTestSource(location: "\(wide.baseURL.absoluteString)/\(name)", cacheDirectory: cache,
                                            environment: [:], download: fastSettings())
        let folder = try await source.localVersion(try await source.latestVersion())
        try assertLoadsCommittedVersion(folder)
        XCTAssertTrue(wide.requests.allSatisfy { $0.hasPrefix(name + "/") }, "\(wide.requests)")
    }

    func testSecondLoadReusesTheCacheAfterCheckingTheRemoteManifest() async throws {
        let cache = temporaryDirectory(self, "cache")
        let folder = try await source(cache).localVersion(version)
        let afterFirst = server.requests.count
        XCTAssertEqual(afterFirst, try completeDownload(), "manifest.json, its signature and each of its files, once")
        let again = try await source(cache).localVersion(version)
        XCTAssertEqual(again, folder)
        // The cache is checked against the remote, signed manifest; none of the files is fetched again.
        XCTAssertEqual(Array(server.requests.dropFirst(afterFirst)), ["\(version)/manifest.json", "\(version)/manifest.json.sig"],
                       "a complete cached version must not be downloaded again")
        try assertLoadsCommittedVersion(again)
    }

    func testDamagedOrHalfCachedVersionIsDownloadedAgain() async throws {
        let cache = temporaryDirectory(self, "cache")
        let source = try source(cache)
        let folder = try await source.localVersion(version)
        // A file changed in place: same name, different bytes.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: folder + "/svr.safetensors"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        var before = server.requests.count
        _ = try await source.localVersion(version)
        XCTAssertEqual(server.requests.count - before, try completeDownload(), "a damaged cached version must be fetched again")
        try assertLoadsCommittedVersion(folder)
        // A half folder: files present, one missing.
        try FileManager.default.removeItem(atPath: folder + "/features/context-003.safetensors.gz")
        before = server.requests.count
        _ = try await source.localVersion(version)
        XCTAssertEqual(server.requests.count - before, try completeDownload())
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(cacheEntries(cache), [version])
    }

    func testCorruptedFileIsRejectedAndNothingIsCached() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.corrupt = ["\(version)/lightgbm.txt"] }
        let error = await artifactError { try await source(cache).localVersion(version) }
        let failure = try XCTUnwrap(error)
        guard case .checksumMismatch = failure.problem else { return XCTFail("expected a checksum mismatch: \(failure)") }
        XCTAssertTrue(failure.file.hasSuffix("/\(version)/lightgbm.txt"), failure.file)
        XCTAssertTrue(failure.description.contains("sha256"), failure.description)
        XCTAssertEqual(cacheEntries(cache), [], "a version with a bad file must leave nothing in the cache")
        XCTAssertEqual(requests(for: "\(version)/lightgbm.txt"), 1, "a checksum mismatch is not retried")
    }

    func testBodyLongerThanTheManifestSaysIsCutOff() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.oversize = ["\(version)/svr.safetensors"] }
        let error = await artifactError { try await source(cache).localVersion(version) }
        let failure = try XCTUnwrap(error)
        guard case .sizeMismatch(let expected, let actual) = failure.problem else { return XCTFail("\(failure)") }
        XCTAssertEqual(expected, try svrBytes())
        XCTAssertGreaterThan(actual, expected)
        XCTAssertLessThan(actual, expected + 64 * 1024 + 1)
        XCTAssertTrue(failure.file.hasSuffix("/svr.safetensors"), failure.file)
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testDeclaredLengthLongerThanTheManifestIsRefusedUpFront() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.oversizeDeclared = ["\(version)/svr.safetensors"] }
        let error = await artifactError { try await source(cache).localVersion(version) }
        let failure = try XCTUnwrap(error)
        let size = try svrBytes()
        XCTAssertEqual(failure.problem, ArtifactError.Problem.sizeMismatch(expected: size, actual: size + 4096))
        XCTAssertEqual(requests(for: "\(version)/svr.safetensors"), 1, "a size mismatch is not retried")
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testConcurrentLoadsOfOneVersionShareTheResult() async throws {
        let cache = temporaryDirectory(self, "cache")
        let first = try source(cache)
        let second = try source(cache)
        let version = self.version
        async let a = first.localVersion(version)
        async let b = second.localVersion(version)
        let (folderA, folderB) = try await (a, b)
        XCTAssertEqual(folderA, cache + "/" + version)
        XCTAssertEqual(folderB, folderA)
        try assertLoadsCommittedVersion(folderA)
        XCTAssertEqual(cacheEntries(cache), [version], "the loser's partial folder must be removed")
    }

    func testAbandonedPartialDownloadsAreSweptAway() async throws {
        let cache = temporaryDirectory(self, "cache")
        let fileManager = FileManager.default
        for name in [".\(version).partial-old", ".\(version).partial-fresh", ".old.trash-1"] {
            try fileManager.createDirectory(atPath: cache + "/" + name + "/features", withIntermediateDirectories: true)
        }
        try fileManager.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3 * 86_400)],
                                      ofItemAtPath: cache + "/.\(version).partial-old")
        _ = try await source(cache).localVersion(version)
        XCTAssertEqual(cacheEntries(cache), [".\(version).partial-fresh", version],
                       "a day-old partial folder and trash go; a recent partial folder may still be in use")
    }

    func testServerDownFailsClearlyAfterRetries() async throws {
        await server.stop()
        let cache = temporaryDirectory(self, "cache")
        let clock = ContinuousClock()
        let start = clock.now
        let error = await artifactError { try await source(cache, settings: fastSettings(attempts: 3)).latestVersion() }
        let elapsed = clock.now - start
        let failure = try XCTUnwrap(error)
        guard case .unreadable(let why) = failure.problem else { return XCTFail("\(failure)") }
        XCTAssertTrue(why.contains("cannot connect"), why)
        XCTAssertTrue(why.contains("3 attempts"), why)
        XCTAssertTrue(failure.file.hasSuffix("/LATEST"), failure.file)
        XCTAssertLessThan(elapsed, .seconds(5))
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testServerStallingMidBodyFailsByTimeout() async throws {
        let cache = temporaryDirectory(self, "cache")
        let file = "\(version)/lightgbm.txt"
        server.setFaults { $0.stallAfter = [file: 100_000] }
        let clock = ContinuousClock()
        let start = clock.now
        let error = await artifactError { try await source(cache, settings: fastSettings(attempts: 2)).localVersion(version) }
        let elapsed = clock.now - start
        let failure = try XCTUnwrap(error)
        guard case .unreadable(let why) = failure.problem else { return XCTFail("\(failure)") }
        XCTAssertTrue(why.contains("timed out"), why)
        XCTAssertTrue(failure.file.hasSuffix("/lightgbm.txt"), failure.file)
        XCTAssertEqual(requests(for: file), 2, "a timeout is retried")
        XCTAssertLessThan(elapsed, .seconds(8), "two 1 s timeouts and a short backoff")
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testFileDeadlineStopsASlowDownload() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.stallAfter = ["\(version)/golden.json": 1000] }
        var settings = fastSettings(attempts: 5)
        settings.requestTimeout = .seconds(30)
        settings.fileDeadline = .milliseconds(800)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await artifactError { try await source(cache, settings: settings).localVersion(version) }
        let failure = try XCTUnwrap(error)
        guard case .unreadable(let why) = failure.problem else { return XCTFail("\(failure)") }
        XCTAssertTrue(why.contains("deadline"), why)
        XCTAssertLessThan(clock.now - start, .seconds(5))
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testServerErrorsAreRetriedUntilTheyPass() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.failFirst = 3 }
        let source = try source(cache, settings: fastSettings(attempts: 4))
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, version)
        XCTAssertEqual(requests(for: "LATEST"), 4, "three 500s, then the answer")
        server.setFaults { $0.failFirst = 2 }
        let folder = try await source.localVersion(latest)
        try assertLoadsCommittedVersion(folder)
    }

    func testPersistentServerErrorsFailAfterTheLastAttempt() async throws {
        let cache = temporaryDirectory(self, "cache")
        server.setFaults { $0.failFirst = 1000 }
        let error = await artifactError { try await source(cache, settings: fastSettings(attempts: 2)).latestVersion() }
        let failure = try XCTUnwrap(error)
        XCTAssertTrue(failure.description.contains("HTTP 500"), failure.description)
        XCTAssertTrue(failure.description.contains("2 attempts"), failure.description)
        XCTAssertEqual(requests(for: "LATEST"), 2)
    }

    func testMissingLatestIsReportedAndNotRetried() async throws {
        try FileManager.default.removeItem(atPath: modelsRoot + "/LATEST")
        let cache = temporaryDirectory(self, "cache")
        let error = await artifactError { try await source(cache).latestVersion() }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.problem, ArtifactError.Problem.missing)
        XCTAssertEqual(failure.file, server.baseURL.absoluteString + "/LATEST")
        XCTAssertEqual(requests(for: "LATEST"), 1, "a 404 is not retried")
    }

    func testMissingVersionIsReported() async throws {
        let cache = temporaryDirectory(self, "cache")
        let error = await artifactError { try await source(cache).localVersion("v0-not-published") }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.problem, ArtifactError.Problem.missing)
        XCTAssertEqual(failure.file, server.baseURL.absoluteString + "/v0-not-published/manifest.json")
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testVersionNamesThatEscapeAreRejected() async throws {
        let cache = temporaryDirectory(self, "cache")
        try Data("../../etc\n".utf8).write(to: URL(fileURLWithPath: modelsRoot + "/LATEST"))
        let latest = await artifactError { try await source(cache).latestVersion() }
        guard case .malformed(let why)? = latest?.problem else { return XCTFail("\(String(describing: latest))") }
        XCTAssertTrue(why.contains("not a version name"), why)
        for bad in ["..", ".", "a/b", ".hidden", ""] {
            let error = await artifactError { try await source(cache).localVersion(bad) }
            guard case .malformed? = error?.problem else { return XCTFail("\(bad): \(String(describing: error))") }
        }
        XCTAssertFalse(server.requests.contains { $0.hasSuffix("manifest.json") }, "nothing may be fetched for a bad name")
    }

    func testManifestFileNamesThatEscapeAreRejected() async throws {
        let cache = temporaryDirectory(self, "cache") + "/inner"
        let manifestPath = modelsRoot + "/\(version)/manifest.json"
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
        var files = try XCTUnwrap(manifest["files"] as? [String: Any])
        files["../../escaped.txt"] = ["sha256": sha256Hex([]), "bytes": 0]
        manifest["files"] = files
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        try TestSigning.sign(folder: modelsRoot + "/\(version)")  // signed: the name check is what must refuse it
        let error = await artifactError { try await source(cache).localVersion(version) }
        guard case .malformed(let why)? = error?.problem else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(why.contains("escapes the version folder"), why)
        XCTAssertEqual(server.requests, ["\(version)/manifest.json", "\(version)/manifest.json.sig"],
                       "no file may be fetched from a manifest that is refused")
        XCTAssertFalse(FileManager.default.fileExists(atPath: (cache as NSString).deletingLastPathComponent + "/escaped.txt"))
        XCTAssertEqual(cacheEntries(cache), [])
    }
}
