import ArtifactFormats
import ArtifactSources
import Foundation
import Storage
import TestSupport
import XCTest

/// The download cache is a folder only the service's user can change, links in it are never followed,
/// and a cached version is used only when it is the one the remote store serves now (real files, the
/// real file server on loopback).
final class CacheFolderSafetyTests: ServedModelsTestCase {
    private func source(_ cache: String) throws(ArtifactError) -> any ArtifactSource {
        try makeTestSource(location: server.baseURL.absoluteString, cacheDirectory: cache, environment: [:], download: fastSettings())
    }

    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func testCacheFolderIsCreatedOwnerOnly() async throws {
        let cache = temporaryDirectory(self, "cache") + "/fresh"
        let source = try source(cache)
        let folder = try await source.localVersion(version)
        XCTAssertEqual(try mode(cache), 0o700)
        XCTAssertEqual(try mode(folder), 0o700, "a renamed partial folder keeps its 0700")
    }

    func testCacheFolderWritableByOthersIsRefused() async throws {
        let cache = temporaryDirectory(self, "cache")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: cache)
        let source = try source(cache)
        let failure = await artifactError { try await source.localVersion(self.version) }
        let error = try XCTUnwrap(failure)
        guard case .insecure(let why) = error.problem else { return XCTFail("\(error)") }
        XCTAssertTrue(why.contains("group- or world-writable (mode 777)"), why)
        XCTAssertEqual(error.file, cache)
    }

    func testCacheFolderOwnedByAnotherUserIsRefused() async throws {
        guard geteuid() == 0 else { throw XCTSkip("changing a folder's owner needs root") }
        let cache = temporaryDirectory(self, "cache")
        XCTAssertEqual(chown(cache, 65534, 65534), 0)
        let source = try source(cache)
        let failure = await artifactError { try await source.localVersion(self.version) }
        let error = try XCTUnwrap(failure)
        XCTAssertTrue(error.description.contains("is owned by uid 65534"), error.description)
    }

    func testCacheFolderThatIsASymlinkIsRefused() async throws {
        let real = temporaryDirectory(self, "real")
        let cache = temporaryDirectory(self, "links") + "/cache"
        try FileManager.default.createSymbolicLink(atPath: cache, withDestinationPath: real)
        let source = try source(cache)
        let failure = await artifactError { try await source.localVersion(self.version) }
        let error = try XCTUnwrap(failure)
        XCTAssertTrue(error.description.contains("is a symbolic link"), error.description)
    }

    func testSymlinkInsideACachedVersionIsRefused() async throws {
        let cache = temporaryDirectory(self, "cache")
        let source = try source(cache)
        let folder = try await source.localVersion(version)
        // The same bytes, outside the cache, linked in: the content checks out, the link must not.
        let outside = temporaryDirectory(self, "outside") + "/golden.json"
        try FileManager.default.copyItem(atPath: folder + "/golden.json", toPath: outside)
        try FileManager.default.removeItem(atPath: folder + "/golden.json")
        try FileManager.default.createSymbolicLink(atPath: folder + "/golden.json", withDestinationPath: outside)
        let failure = await artifactError { try await source.localVersion(self.version) }
        let error = try XCTUnwrap(failure)
        guard case .insecure(let why) = error.problem else { return XCTFail("\(error)") }
        XCTAssertTrue(why.contains("symbolic link"), why)
        XCTAssertEqual(error.file, folder + "/golden.json")
    }

    func testPruningRemovesALinkNotWhatItPointsTo() async throws {
        let cache = temporaryDirectory(self, "cache")
        let source = try source(cache)
        _ = try await source.localVersion(version)
        let precious = temporaryDirectory(self, "precious")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: precious + "/file"))
        try FileManager.default.createSymbolicLink(atPath: cache + "/v0-link", withDestinationPath: precious)
        source.retainOnly([])
        XCTAssertEqual(cacheEntries(cache), [])
        XCTAssertEqual(try String(contentsOfFile: precious + "/file", encoding: .utf8), "keep me")
    }

    /// A cached copy altered consistently (a file and its manifest entry) passes its own manifest; it
    /// must still be the remote, signed manifest's version, so it is downloaded again.
    func testCachedVersionIsCheckedAgainstTheRemoteManifest() async throws {
        let cache = temporaryDirectory(self, "cache")
        let source = try source(cache)
        let folder = try await source.localVersion(version)
        let original = try Data(contentsOf: URL(fileURLWithPath: folder + "/golden.json"))
        let forged = Data("{}".utf8)
        try forged.write(to: URL(fileURLWithPath: folder + "/golden.json"))
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as! [String: Any]
        var files = manifest["files"] as! [String: Any]
        files["golden.json"] = ["sha256": sha256Hex([UInt8](forged)), "bytes": forged.count]
        manifest["files"] = files
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let again = try await source.localVersion(version)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again + "/golden.json")), original)
        XCTAssertTrue(server.requests.filter { $0 == "\(version)/golden.json" }.count == 2, "\(server.requests)")
        try assertLoadsCommittedVersion(again)
    }
}
