import ArtifactFormats
import ArtifactSources
import Foundation
import TestSupport
import XCTest

/// The S3 source against moto's S3 server with authentication enforced (see ``MotoServer``).
final class S3ArtifactSourceTests: XCTestCase {
    override class func tearDown() {
        MotoServer.stopShared()
        super.tearDown()
    }

    private func environment(_ moto: MotoServer, secret: String? = nil, keyID: String? = nil) -> [String: String] {
        [
            "HOME": temporaryDirectory(self, "home"),
            "AWS_ACCESS_KEY_ID": keyID ?? moto.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": secret ?? moto.secretAccessKey,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": moto.endpoint.absoluteString,
        ]
    }

    private var location: String { "s3://\(MotoServer.bucket)/\(MotoServer.prefix)" }

    func testLoadsTheLatestVersionFromS3() async throws {
        let moto = try await MotoServer.get()
        let cache = temporaryDirectory(self, "cache")
        let source = try makeTestSource(location: location + "/", cacheDirectory: cache, environment: environment(moto),
                                            download: fastSettings())
        XCTAssertTrue(source is S3ArtifactSource)
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, moto.version)
        let folder = try await source.localVersion(latest)
        XCTAssertEqual(folder, cache + "/" + latest)
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(cacheEntries(cache), [latest])
        let again = try await source.localVersion(latest)
        XCTAssertEqual(again, folder)
    }

    func testWrongSecretIsAClearCredentialsError() async throws {
        let moto = try await MotoServer.get()
        let cache = temporaryDirectory(self, "cache")
        let source = try makeTestSource(location: location, cacheDirectory: cache,
                                            environment: environment(moto, secret: "not-the-secret"), download: fastSettings())
        let error = await artifactError { try await source.latestVersion() }
        let failure = try XCTUnwrap(error)
        XCTAssertEqual(failure.file, "\(location)/LATEST")
        for expected in ["SignatureDoesNotMatch", "bucket \"\(MotoServer.bucket)\"", "key \"\(MotoServer.prefix)/LATEST\"",
                         "check the AWS credentials"] {
            XCTAssertTrue(failure.description.contains(expected), "\(expected) not in: \(failure.description)")
        }
        XCTAssertFalse(failure.description.contains("not-the-secret"), "the secret must never be printed")
        let download = await artifactError { try await source.localVersion(moto.version) }
        XCTAssertTrue(download?.description.contains("SignatureDoesNotMatch") == true, "\(String(describing: download))")
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testUnknownAccessKeyIsAClearCredentialsError() async throws {
        let moto = try await MotoServer.get()
        let source = try makeTestSource(location: location, cacheDirectory: temporaryDirectory(self, "cache"),
                                            environment: environment(moto, keyID: "AKIAUNKNOWN0000000000"), download: fastSettings())
        let error = await artifactError { try await source.latestVersion() }
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("InvalidAccessKeyId"), text)
        XCTAssertTrue(text.contains("check the AWS credentials"), text)
    }

    func testMissingLatestAndMissingVersion() async throws {
        let moto = try await MotoServer.get()
        let cache = temporaryDirectory(self, "cache")
        let empty = try makeTestSource(location: "s3://\(MotoServer.bucket)/nothing-here", cacheDirectory: cache,
                                           environment: environment(moto), download: fastSettings())
        let latest = await artifactError { try await empty.latestVersion() }
        XCTAssertEqual(latest, ArtifactError(file: "s3://\(MotoServer.bucket)/nothing-here/LATEST", .missing))

        let source = try makeTestSource(location: location, cacheDirectory: cache, environment: environment(moto),
                                            download: fastSettings())
        let version = await artifactError { try await source.localVersion("v0-not-published") }
        XCTAssertEqual(version, ArtifactError(file: "\(location)/v0-not-published/manifest.json", .missing))
        XCTAssertEqual(cacheEntries(cache), [])
    }

    func testMissingBucketIsReported() async throws {
        let moto = try await MotoServer.get()
        let source = try makeTestSource(location: "s3://no-such-bucket-here/x", cacheDirectory: temporaryDirectory(self, "cache"),
                                            environment: environment(moto), download: fastSettings())
        let error = await artifactError { try await source.latestVersion() }
        XCTAssertTrue(error?.description.contains("NoSuchBucket") == true, "\(String(describing: error))")
    }
}
