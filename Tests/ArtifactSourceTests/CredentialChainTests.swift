@testable import ArtifactSources
import Foundation
import XCTest

/// Which provider the environment picks, in the AWS SDKs' order, and what is said when none is there.
final class CredentialChainTests: XCTestCase {
    private let location = "s3://pricing-models/prod"

    func testChainOrderEnvironmentProfileWebIdentityContainerInstanceMetadata() async throws {
        let sts = try STSStandIn()
        let container = try ContainerCredentialsStandIn()
        let imds = try InstanceMetadataStandIn()
        let folder = temporaryDirectory(self, "chain")
        try Data("[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n".utf8)
            .write(to: URL(fileURLWithPath: folder + "/credentials"))
        try Data("eyJ.token".utf8).write(to: URL(fileURLWithPath: folder + "/token"))
        var environment = [
            "HOME": temporaryDirectory(self, "home"),
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
            "AWS_SHARED_CREDENTIALS_FILE": folder + "/credentials",
            "AWS_WEB_IDENTITY_TOKEN_FILE": folder + "/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
            "AWS_ENDPOINT_URL_STS": sts.server.baseURL.absoluteString,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.server.baseURL.absoluteString,
        ]
        func keyID() async throws -> String {
            let provider = try AWSCredentialChain.provider(for: AWSEnvironment(environment), location: location)
            return try await provider.fetchCredentials().accessKeyID
        }
        let first = try await keyID()
        XCTAssertEqual(first, "AKIAENV")
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let second = try await keyID()
        XCTAssertEqual(second, "AKIAPROFILE")
        environment["AWS_SHARED_CREDENTIALS_FILE"] = folder + "/none"
        let third = try await keyID()
        XCTAssertEqual(third, "ASIASTS1")
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = nil
        environment["AWS_ROLE_ARN"] = nil
        let fourth = try await keyID()
        XCTAssertEqual(fourth, "ASIACONTAINER1")
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = nil
        let fifth = try await keyID()
        XCTAssertEqual(fifth, "ASIAIMDS1")
        // Each endpoint was asked only while it was the first configured source.
        XCTAssertEqual(sts.received.count, 1)
        XCTAssertEqual(container.fetchCount, 1)
        XCTAssertEqual(imds.fetchCount, 1)
        for server in [sts.server, container.server, imds.server] { await server.stop() }
    }

    func testMetadataDisabledLeavesNothingAndSaysWhatWasTried() async throws {
        let imds = try InstanceMetadataStandIn()
        let home = temporaryDirectory(self, "home")
        for disabled in ["true", "TRUE"] {
            let environment = ["HOME": home, "AWS_EC2_METADATA_DISABLED": disabled,
                               "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.server.baseURL.absoluteString]
            XCTAssertThrowsError(try S3Settings.fromEnvironment(environment, location: location)) { error in
                let text = "\(error)"
                for expected in ["no AWS credentials", "AWS_ACCESS_KEY_ID", "profile default", home + "/.aws/config",
                                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED"] {
                    XCTAssertTrue(text.contains(expected), "\(expected) not in: \(text)")
                }
            }
        }
        XCTAssertEqual(imds.server.requests.count, 0, "disabled means not asked at all")
        // Anything else leaves it on.
        let enabled = try S3Settings.fromEnvironment(["HOME": home, "AWS_EC2_METADATA_DISABLED": "false"], location: location)
        XCTAssertTrue(enabled.credentialProvider is AWSInstanceMetadataCredentialProvider)
        XCTAssertNil(enabled.credentials)
        await imds.server.stop()
    }

    /// Without IMDS off, whether the instance has a role shows at the first request: the first load
    /// fails (and the service with it) naming everything that was tried.
    func testNoCredentialsAnywhereFailsTheFirstLoadNamingWhatWasTried() async throws {
        let home = temporaryDirectory(self, "home")
        let port = try MotoServer.freePort()
        let source = try makeTestSource(location: location, cacheDirectory: temporaryDirectory(self, "cache"), environment: [
            "HOME": home, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)",
        ], download: fastSettings())
        let failure = await artifactError { try await source.latestVersion() }
        let error = try XCTUnwrap(failure)
        XCTAssertEqual(error.file, location + "/LATEST")
        for expected in ["no usable AWS credentials", "AWS_ACCESS_KEY_ID", home + "/.aws/credentials", "AWS_WEB_IDENTITY_TOKEN_FILE",
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "EC2 instance metadata", "127.0.0.1:\(port)/latest/api/token"] {
            XCTAssertTrue(error.description.contains(expected), "\(expected) not in: \(error)")
        }
    }

    func testIncompleteRoleSettingsAreRefusedAtStartUp() {
        let home = temporaryDirectory(self, "home")
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home, "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"], location: location)) {
            XCTAssertTrue("\($0)".contains("AWS_WEB_IDENTITY_TOKEN_FILE"), "\($0)")
        }
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"], location: location)) {
            XCTAssertTrue("\($0)".contains("AWS_ROLE_ARN"), "\($0)")
        }
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"],
                                                            location: location)) {
            XCTAssertTrue("\($0)".contains("AWS_EC2_METADATA_SERVICE_ENDPOINT"), "\($0)")
        }
    }
}
