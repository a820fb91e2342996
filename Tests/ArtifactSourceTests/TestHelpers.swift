import ArtifactFormats
import ArtifactSources
import Foundation
import Storage
import TestSupport
import XCTest

/// A temporary folder removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase, _ label: String) -> String {
    let path = NSTemporaryDirectory() + "artifact-source-\(label)-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// A copy of the committed models root (LATEST and its version) that a test may alter.
func copyOfCommittedModels(_ test: XCTestCase) throws -> (root: String, version: String) {
    let versionPath = try CommittedModels.versionPath()
    let version = (versionPath as NSString).lastPathComponent
    let root = temporaryDirectory(test, "models")
    try FileManager.default.copyItem(atPath: versionPath, toPath: root + "/" + version)
    try Data((version + "\n").utf8).write(to: URL(fileURLWithPath: root + "/LATEST"))
    return (root, version)
}

/// The committed version's files, by path relative to the version folder (sorted), with their bytes.
func committedVersionFiles() throws -> [(name: String, bytes: [UInt8])] {
    let versionPath = try CommittedModels.versionPath()
    let fileManager = FileManager.default
    guard let names = fileManager.enumerator(atPath: versionPath)?.compactMap({ $0 as? String }) else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: versionPath])
    }
    var files: [(name: String, bytes: [UInt8])] = []
    for name in names.sorted() {
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: versionPath + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        files.append((name, [UInt8](try Data(contentsOf: URL(fileURLWithPath: versionPath + "/" + name)))))
    }
    return files
}

/// The ArtifactError `operation` throws, or nil when it succeeds (any other error fails the test).
func artifactError<T>(_ operation: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> ArtifactError? {
    do {
        _ = try await operation()
        return nil
    } catch let error as ArtifactError {
        return error
    } catch {
        XCTFail("expected an ArtifactError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Fast failure settings: short timeouts and backoff so fault tests take seconds. Plain http is
/// allowed explicitly: the test servers (the file server, moto) listen on loopback without TLS.
func fastSettings(attempts: Int = 3, allowInsecureHTTP: Bool = true) -> DownloadSettings {
    DownloadSettings(requestTimeout: .seconds(1), fileDeadline: .seconds(20), maxAttempts: attempts,
                     initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200), parallelDownloads: 4,
                     allowInsecureHTTP: allowInsecureHTTP)
}

/// `makeArtifactSource` as these tests use it: trusting the committed key and this process's test key
/// (``TestSigning``), with plain http allowed for the loopback test servers unless `download` says not.
func makeTestSource(location: String, cacheDirectory: String, environment: [String: String],
                    download: DownloadSettings = DownloadSettings(allowInsecureHTTP: true),
                    trust: ArtifactTrust = TestSigning.trust) throws(ArtifactError) -> any ArtifactSource {
    try makeArtifactSource(location: location, cacheDirectory: cacheDirectory, environment: environment,
                           download: download, trust: trust)
}

/// Entries of the cache folder (hidden partial folders included).
func cacheEntries(_ cache: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).sorted()
}

extension XCTestCase {
    /// Asserts that `folder` loads as a verified version identical to the committed one, its signature
    /// (kept next to the manifest in the cache) included.
    func assertLoadsCommittedVersion(_ folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let loaded = try ArtifactFolder.load(path: folder, trust: TestSigning.trust)
        let committed = try CommittedModels.folder()
        XCTAssertEqual(loaded.manifest.modelVersion, committed.manifest.modelVersion, file: file, line: line)
        XCTAssertEqual(loaded.manifest.files.mapValues { "\($0.sha256) \($0.bytes)" },
                       committed.manifest.files.mapValues { "\($0.sha256) \($0.bytes)" }, file: file, line: line)
        XCTAssertTrue(loaded.modelFailures.isEmpty, "\(loaded.modelFailures)", file: file, line: line)
        let manifest = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let committedManifest = try Data(contentsOf: URL(fileURLWithPath: try CommittedModels.versionPath() + "/manifest.json"))
        XCTAssertEqual(manifest, committedManifest, "manifest.json differs from the committed one", file: file, line: line)
    }
}
