import ArtifactFormats
import ArtifactSources
import Foundation
import TestSupport
import XCTest

/// `pricing-server serve` with MODELS on S3 (moto) and on HTTP: it loads, serves, swaps to a version
/// published later, rejects a bad one, and keeps serving when the source goes away.
final class RemoteServeTests: XCTestCase {
    static let token = "remote-serve-token"

    func serve(models: String, environment: [String: String], cache: String? = nil) async throws -> ServerProcess {
        var env = environment
        env["ADMIN_TOKEN"] = Self.token
        env["MODELS_CACHE_DIR"] = cache ?? temporaryDirectory(self, "serve-cache")
        env["ALLOW_INSECURE_HTTP"] = "true"  // moto and the file server listen on loopback without TLS
        return try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), models: models, environment: env)
    }

    func reload(_ server: ServerProcess) throws -> TestClient.Response {
        try server.request("POST", "/admin/reload", headers: [("Authorization", "Bearer \(Self.token)")])
    }

    /// The committed version's files, with manifest.json naming `version` (a new version to publish),
    /// signed with the test key.
    func versionFiles(named version: String) throws -> [(String, [UInt8])] {
        var files = try committedVersionFiles().filter { $0.name != ManifestSignature.fileName }.map { file -> (String, [UInt8]) in
            guard file.name == "manifest.json" else { return file }
            var manifest = try JSONSerialization.jsonObject(with: Data(file.bytes)) as! [String: Any]
            manifest["model_version"] = version
            return (file.name, [UInt8](try JSONSerialization.data(withJSONObject: manifest)))
        }
        let manifest = files.first { $0.0 == "manifest.json" }!.1
        files.append((ManifestSignature.fileName, TestSigning.signature(for: manifest)))
        // Readers must never see a manifest before its files and signature: publish it last.
        return files.sorted { ($0.0 == "manifest.json" ? 1 : 0, $0.0) < ($1.0 == "manifest.json" ? 1 : 0, $1.0) }
    }

    func testServesFromS3AndSwapsToAVersionPublishedLater() async throws {
        let moto = try await MotoServer.get()
        let credentials = AWSCredentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
        let prefix = "models/serve-\(UUID().uuidString.prefix(8))"
        func publish(_ version: String, latest: Bool = true) async throws {
            for (file, bytes) in try versionFiles(named: version) {
                try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/\(version)/\(file)", body: bytes)
            }
            if latest {
                try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/LATEST",
                                         body: Array("\(version)\n".utf8))
            }
        }
        try await publish("v1-s3")
        let cache = temporaryDirectory(self, "serve-cache")
        let server = try await serve(models: "s3://\(MotoServer.bucket)/\(prefix)", environment: [
            "AWS_ACCESS_KEY_ID": moto.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey, "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": moto.endpoint.absoluteString,
        ], cache: cache)
        let ready = try await server.waitForVersion("v1-s3")
        XCTAssertTrue(ready, "serve did not load v1-s3 from S3")
        let first = try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5")
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.header("x-model-version"), "v1-s3")

        try await publish("v2-s3")
        let swapped = try reload(server)
        XCTAssertEqual(swapped.status, 200, swapped.text)
        XCTAssertTrue(swapped.text.contains(#""result":"swapped""#), swapped.text)
        XCTAssertEqual(try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5").header("x-model-version"), "v2-s3")

        // A third version: the download cache keeps the one serving and the one before, no more.
        try await publish("v3-s3")
        XCTAssertEqual(try reload(server).status, 200)
        let cached = try FileManager.default.contentsOfDirectory(atPath: cache).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(cached, ["v2-s3", "v3-s3"])

        // LATEST naming a version whose files never arrived: rejected, v3 keeps serving.
        try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/LATEST",
                                 body: Array("v4-never-uploaded\n".utf8))
        let rejected = try reload(server)
        XCTAssertEqual(rejected.status, 422, rejected.text)
        XCTAssertEqual(rejected.errorCode, "version_rejected")
        XCTAssertEqual(server.readyVersion(), "v3-s3")
    }

    func testWrongS3CredentialsStopTheServiceWithAClearMessage() async throws {
        let moto = try await MotoServer.get()
        let process = Process()
        process.executableURL = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--models", "s3://\(MotoServer.bucket)/\(MotoServer.prefix)"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "AWS_ACCESS_KEY_ID": moto.accessKeyID, "AWS_SECRET_ACCESS_KEY": "not-the-secret", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": moto.endpoint.absoluteString, "MODELS_CACHE_DIR": temporaryDirectory(self, "bad-creds"),
            "ALLOW_INSECURE_HTTP": "true",
        ].merging(TestSigning.environment) { $1 }) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(log.contains("SignatureDoesNotMatch"), log)
        XCTAssertTrue(log.contains("credentials"), log)
    }

    /// SIGHUP's default action ends a process: it must be caught before the first load, which may be
    /// a long download, not only once that load is done.
    func testSIGHUPDuringTheFirstDownloadDoesNotEndTheProcess() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        let files = try TestFileServer(root: root)
        let held = "\(version)/manifest.json"
        files.setFaults { $0.stallAfter[held] = 16 }  // the first load waits mid-body
        let server = try await serve(models: files.baseURL.absoluteString, environment: [:])
        let deadline = Date().addingTimeInterval(30)
        while !files.requests.contains(held), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertTrue(files.requests.contains(held), "serve never asked for \(held): \(files.requests)")
        XCTAssertEqual(try server.request("GET", "/readyz").status, 503)

        kill(server.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(server.process.isRunning, "SIGHUP ended serve during its first load: \(server.log)")

        files.releaseStalls()  // the held body breaks off; the download is retried and completes
        let ready = try await server.waitForVersion(version)
        XCTAssertTrue(ready, "serve did not load after the stall: \(server.log)")
        await files.stop()
    }

    func testHTTPSourceGoingAwayKeepsTheServedVersion() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        let files = try TestFileServer(root: root)
        let server = try await serve(models: files.baseURL.absoluteString, environment: [:])
        let ready = try await server.waitForVersion(version)
        XCTAssertTrue(ready, "serve did not load from \(files.baseURL)")
        await files.stop()
        let answer = try reload(server)
        XCTAssertEqual(answer.status, 503, answer.text)
        XCTAssertEqual(answer.errorCode, "source_unavailable")
        XCTAssertTrue(answer.text.contains(#""model_version":"\#(version)""#), answer.text)
        XCTAssertEqual(try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5").status, 200)
    }
}
