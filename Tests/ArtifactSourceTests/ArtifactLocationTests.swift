import ArtifactFormats
import ArtifactSources
import Foundation
import Storage
import TestSupport
import XCTest

/// Parsing the MODELS setting, and the factory's choice of source.
final class ArtifactLocationTests: XCTestCase {
    func testParsesEachKindOfLocation() throws {
        XCTAssertEqual(try ArtifactLocation(parsing: "/srv/models"), .local(path: "/srv/models"))
        XCTAssertEqual(try ArtifactLocation(parsing: "models"), .local(path: "models"))
        XCTAssertEqual(try ArtifactLocation(parsing: "file:///srv/my%20models"), .local(path: "/srv/my models"))
        XCTAssertEqual(try ArtifactLocation(parsing: " http://127.0.0.1:8000/models/ "),
                       .http(baseURL: URL(string: "http://127.0.0.1:8000/models")!))
        XCTAssertEqual(try ArtifactLocation(parsing: "HTTPS://cdn.example.com"), .http(baseURL: URL(string: "HTTPS://cdn.example.com")!))
        XCTAssertEqual(try ArtifactLocation(parsing: "s3://pricing-models/prod/eu/"), .s3(bucket: "pricing-models", prefix: "prod/eu"))
        XCTAssertEqual(try ArtifactLocation(parsing: "s3://pricing-models"), .s3(bucket: "pricing-models", prefix: ""))
        XCTAssertEqual(try ArtifactLocation(parsing: "s3://my.bucket.example/"), .s3(bucket: "my.bucket.example", prefix: ""))
    }

    func testRejectsBadLocationsWithClearMessages() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("   ", "empty"),
            ("s3://", "bucket name"),
            ("s3://ab/x", "bucket name"),
            ("s3://Pricing_Models/x", "bucket name"),
            ("s3://-bucket/x", "bucket name"),
            ("s3://pricing-models/a/../b", "\"..\""),
            ("s3://pricing-models/a//b", "empty"),
            ("http://", "not a valid URL"),
            ("https://host/models?version=2", "query"),
            ("ftp://host/models", "not supported"),
            ("gs://bucket/models", "not supported"),
            ("file://host/models", "file:///"),
        ]
        for (setting, expected) in cases {
            do {
                let parsed = try ArtifactLocation(parsing: setting)
                XCTFail("\(setting) parsed as \(parsed)")
            } catch {
                XCTAssertTrue(error.description.contains(expected), "\(setting): \(error.description)")
            }
        }
    }

    func testDescriptionHidesAPassword() throws {
        let location = try ArtifactLocation(parsing: "https://reader:s3cret@models.example.com/root")
        XCTAssertFalse(location.description.contains("s3cret"), location.description)
        XCTAssertTrue(location.description.contains("models.example.com/root"), location.description)
    }

    func testFactoryPicksTheSource() throws {
        let cache = temporaryDirectory(self, "cache")
        XCTAssertTrue(try makeTestSource(location: "/srv/models", cacheDirectory: cache, environment: [:]) is LocalArtifactSource)
        XCTAssertTrue(try makeTestSource(location: "http://127.0.0.1:1/m", cacheDirectory: cache, environment: [:]) is HTTPArtifactSource)
        let environment = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "HOME": cache]
        let s3 = try makeTestSource(location: "s3://pricing-models/prod", cacheDirectory: cache, environment: environment)
        XCTAssertTrue(s3 is S3ArtifactSource)
        XCTAssertEqual(s3.description, "s3://pricing-models/prod")
    }

    /// With instance metadata off nothing is left to ask, so the factory refuses at once (with IMDS on,
    /// see CredentialChainTests: the first load fails instead).
    func testFactoryRefusesS3WithoutCredentials() {
        let home = temporaryDirectory(self, "home")
        XCTAssertThrowsError(try makeTestSource(location: "s3://pricing-models/prod", cacheDirectory: home,
                                                    environment: ["HOME": home, "AWS_EC2_METADATA_DISABLED": "true"])) { error in
            let failure = error as! ArtifactError
            XCTAssertEqual(failure.file, "s3://pricing-models/prod")
            for expected in ["no AWS credentials", "AWS_ACCESS_KEY_ID", home + "/.aws/credentials", "AWS_WEB_IDENTITY_TOKEN_FILE",
                             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_DISABLED"] {
                XCTAssertTrue(failure.description.contains(expected), "\(expected) not in: \(failure.description)")
            }
        }
    }
}

/// The local source through the factory: nothing is downloaded, the folder is the committed one.
final class LocalArtifactSourceTests: XCTestCase {
    func testLoadsTheCommittedModelsFromALocalPath() async throws {
        for setting in [CommittedModels.root, "file://" + CommittedModels.root] {
            let source = try makeTestSource(location: setting, cacheDirectory: "/nonexistent", environment: [:])
            let version = try await source.latestVersion()
            let folder = try await source.localVersion(version)
            XCTAssertEqual(folder, try CommittedModels.versionPath())
            try assertLoadsCommittedVersion(folder)
        }
    }
}
