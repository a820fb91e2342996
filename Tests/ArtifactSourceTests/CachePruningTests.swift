import Foundation
import ArtifactSources
import Storage
import TestSupport
import XCTest

/// Old downloaded versions are removed when a source is told which to keep; in-progress downloads
/// (hidden partial folders) and local sources are left alone.
final class CachePruningTests: XCTestCase {
    func testRetainOnlyRemovesOtherVersionsButNotPartialDownloads() throws {
        let cache = temporaryDirectory(self, "prune")
        for name in ["v1", "v2", "v3", ".v4.partial-1234"] {
            try FileManager.default.createDirectory(atPath: cache + "/" + name, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: cache + "/" + name + "/manifest.json"))
        }
        let source = HTTPArtifactSource(baseURL: URL(string: "http://127.0.0.1:9")!, cacheDirectory: cache, trust: TestSigning.trust)
        source.retainOnly(["v2", "v3"])
        let left = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
        XCTAssertEqual(left, [".v4.partial-1234", "v2", "v3"])
    }

    func testLocalSourcesKeepEverything() throws {
        let (root, version) = try copyOfCommittedModels(self)
        LocalArtifactSource(path: root).retainOnly([])
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + version + "/manifest.json"))
    }
}
