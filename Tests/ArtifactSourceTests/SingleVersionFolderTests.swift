import Foundation
import ArtifactSources
import Storage
import TestSupport
import XCTest

/// `MODELS` naming one version folder over http(s) or S3, as it may on disk: the folder's own
/// manifest.json names the version when there is no LATEST above it (against the real file server
/// and moto).
final class SingleVersionFolderTests: XCTestCase {
    override class func tearDown() {
        MotoServer.stopShared()
        super.tearDown()
    }

    private func httpSource(_ location: String, cache: String) throws -> any ArtifactSource {
        try makeTestSource(location: location, cacheDirectory: cache, environment: [:], download: fastSettings())
    }

    /// The folder's manifest with `model_version` replaced (the files it lists stay the committed ones),
    /// signed with the test key.
    private func rewriteManifest(in folder: String, modelVersion: String) throws {
        let path = folder + "/manifest.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        manifest["model_version"] = modelVersion
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: path))
        try TestSigning.sign(folder: folder)
    }

    func testHTTPVersionFolderBelowARootWithLATEST() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        let files = try TestFileServer(root: root)
        addTeardownBlock { await files.stop() }
        let cache = temporaryDirectory(self, "cache")
        let source = try httpSource("\(files.baseURL.absoluteString)/\(version)/", cache: cache)
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, version)
        let folder = try await source.localVersion(latest)
        XCTAssertEqual(folder, cache + "/" + version)
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(cacheEntries(cache), [version])
        XCTAssertEqual(Array(files.requests.prefix(2)), ["\(version)/LATEST", "\(version)/manifest.json"], "\(files.requests)")
        XCTAssertTrue(files.requests.allSatisfy { $0.hasPrefix(version + "/") }, "\(files.requests)")
        XCTAssertFalse(files.requests.contains("LATEST"), "the root's LATEST is not what MODELS names")
    }

    func testHTTPVersionFolderWithoutAnyLATEST() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        try FileManager.default.removeItem(atPath: root + "/LATEST")
        let files = try TestFileServer(root: root + "/" + version)
        addTeardownBlock { await files.stop() }
        let cache = temporaryDirectory(self, "cache")
        let source = try httpSource(files.baseURL.absoluteString, cache: cache)
        let folder = try await source.localVersion(try await source.latestVersion())
        XCTAssertEqual(folder, cache + "/" + version)
        try assertLoadsCommittedVersion(folder)
        // Once cached, a check for a new version reads LATEST (absent) and the manifest; using the cached
        // copy reads the manifest and its signature again (the cache is checked against them), no file.
        let before = files.requests.count
        let again = try await source.latestVersion()
        XCTAssertEqual(again, version)
        let cached = try await source.localVersion(version)
        XCTAssertEqual(cached, folder)
        XCTAssertEqual(Array(files.requests.dropFirst(before)),
                       ["LATEST", "manifest.json", "\(version)/manifest.json", "manifest.json", "manifest.json.sig"])
    }

    func testHTTPVersionFolderNamingAnotherVersionIsNotServedAsIt() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        let files = try TestFileServer(root: root + "/" + version)
        addTeardownBlock { await files.stop() }
        let source = try httpSource(files.baseURL.absoluteString, cache: temporaryDirectory(self, "cache"))
        let error = await artifactError { try await source.localVersion("v9-other") }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.problem, .missing)
        XCTAssertEqual(failure.file, files.baseURL.absoluteString + "/v9-other/manifest.json")
    }

    func testHTTPVersionFolderWhoseManifestNamesNoPlainVersionIsRefused() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        try rewriteManifest(in: root + "/" + version, modelVersion: "v1/../../etc")
        let files = try TestFileServer(root: root + "/" + version)
        addTeardownBlock { await files.stop() }
        let cache = temporaryDirectory(self, "cache")
        let error = await artifactError { try await self.httpSource(files.baseURL.absoluteString, cache: cache).latestVersion() }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.file, files.baseURL.absoluteString + "/manifest.json")
        XCTAssertTrue(failure.description.contains("path separator"), failure.description)
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testNeitherLATESTNorAManifestReportsLATESTMissing() async throws {
        let empty = temporaryDirectory(self, "empty")
        let files = try TestFileServer(root: empty)
        addTeardownBlock { await files.stop() }
        let error = await artifactError { try await self.httpSource(files.baseURL.absoluteString, cache: empty + "-cache").latestVersion() }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.problem, .missing)
        XCTAssertEqual(failure.file, files.baseURL.absoluteString + "/LATEST")
        XCTAssertEqual(files.requests, ["LATEST", "manifest.json"])
    }

    func testS3VersionFolderWithoutLATEST() async throws {
        let moto = try await MotoServer.get()
        let credentials = AWSCredentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
        let prefix = "single/\(UUID().uuidString.prefix(8))/\(moto.version)"
        for (file, bytes) in try committedVersionFiles() {
            try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/\(file)", body: bytes)
        }
        let cache = temporaryDirectory(self, "cache")
        let source = try makeTestSource(location: "s3://\(MotoServer.bucket)/\(prefix)/", cacheDirectory: cache, environment: [
            "HOME": temporaryDirectory(self, "home"), "AWS_ACCESS_KEY_ID": moto.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey, "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": moto.endpoint.absoluteString,
        ], download: fastSettings())
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, moto.version)
        let folder = try await source.localVersion(latest)
        XCTAssertEqual(folder, cache + "/" + latest)
        try assertLoadsCommittedVersion(folder)
    }

    /// `serve` on a single version folder over HTTP answers, and a folder whose content is replaced by
    /// another version is swapped in on reload, as LATEST's change would be.
    func testServeFromAnHTTPVersionFolderAndReloadWhenItIsReplaced() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        try FileManager.default.removeItem(atPath: root + "/LATEST")
        let files = try TestFileServer(root: root)
        addTeardownBlock { await files.stop() }
        let token = "single-folder-token"
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)),
                                       models: "\(files.baseURL.absoluteString)/\(version)/",
                                       environment: ["ADMIN_TOKEN": token, "MODELS_CACHE_DIR": temporaryDirectory(self, "serve-cache"),
                                                     "ALLOW_INSECURE_HTTP": "true"])
        let ready = try await server.waitForVersion(version)
        XCTAssertTrue(ready, "serve did not load the version folder: \(server.log)")
        let answer = try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5")
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.header("x-model-version"), version)

        try rewriteManifest(in: root + "/" + version, modelVersion: "v2-replaced")
        let reload = try server.request("POST", "/admin/reload", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(reload.status, 200, reload.text)
        XCTAssertTrue(reload.text.contains(#""result":"swapped""#), reload.text)
        XCTAssertEqual(try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5").header("x-model-version"), "v2-replaced")
    }
}
