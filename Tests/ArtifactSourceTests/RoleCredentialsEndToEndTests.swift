@testable import ArtifactSources
import Foundation
import TestSupport
import XCTest

/// A model version loaded from moto's S3 (auth enforced) with role credentials instead of keys in the
/// environment.
final class RoleCredentialsEndToEndTests: XCTestCase {
    override class func tearDown() {
        MotoServer.stopShared()
        super.tearDown()
    }

    /// The container endpoint stand-in hands out the IAM user's keys moto knows.
    func testLoadsAVersionFromS3WithContainerCredentials() async throws {
        let moto = try await MotoServer.get()
        let standIn = try ContainerCredentialsStandIn(.init(
            issued: IssuedCredentials(fixedKeys: (moto.accessKeyID, moto.secretAccessKey)), requiredAuthorization: "pod-token"))
        let cache = temporaryDirectory(self, "cache")
        let source = try makeTestSource(location: "s3://\(MotoServer.bucket)/\(MotoServer.prefix)", cacheDirectory: cache,
                                            environment: [
                                                "HOME": temporaryDirectory(self, "home"), "AWS_REGION": "us-east-1",
                                                "AWS_ENDPOINT_URL_S3": moto.endpoint.absoluteString,
                                                "AWS_CONTAINER_CREDENTIALS_FULL_URI": standIn.url,
                                                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-token",
                                            ], download: fastSettings())
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, moto.version)
        let folder = try await source.localVersion(latest)
        try assertLoadsCommittedVersion(folder)
        XCTAssertEqual(standIn.fetchCount, 1, "one fetch serves every request while the credentials are fresh")
        await standIn.server.stop()
    }

    /// moto's STS issues the credentials (AssumeRoleWithWebIdentity), and moto's S3 checks requests
    /// signed with them, session token included.
    func testLoadsAVersionFromS3WithWebIdentityCredentialsFromMotoSTS() async throws {
        let moto = try await MotoWebIdentityServer.start()
        defer { moto.stop() }
        let tokenFile = temporaryDirectory(self, "irsa") + "/token"
        try Data("eyJhbGciOiJSUzI1NiJ9.e30.c2ln".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let cache = temporaryDirectory(self, "cache")
        let prefix = "models/web-identity"
        let source = try XCTUnwrap(try makeTestSource(
            location: "s3://\(MotoServer.bucket)/\(prefix)", cacheDirectory: cache, environment: [
                "HOME": temporaryDirectory(self, "home"), "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": MotoWebIdentityServer.roleARN,
            ], download: fastSettings()) as? S3ArtifactSource)
        // The one unauthenticated call moto allows: the provider's AssumeRoleWithWebIdentity.
        let credentials = try await source.credentials.credentials()
        XCTAssertTrue(credentials.accessKeyID.hasPrefix("ASIA"), credentials.description)
        XCTAssertNotNil(credentials.sessionToken)
        XCTAssertNotNil(credentials.expiration)
        XCTAssertTrue(credentials.source.contains(MotoWebIdentityServer.roleARN), credentials.source)

        // From here on moto checks signatures: publish with the role's credentials, then load.
        try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)", body: [])
        let version = (try CommittedModels.versionPath() as NSString).lastPathComponent
        for (file, bytes) in try committedVersionFiles() {
            try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/\(version)/\(file)",
                                     body: bytes)
        }
        try await MotoServer.put(port: moto.port, credentials: credentials, path: "/\(MotoServer.bucket)/\(prefix)/LATEST",
                                 body: Array("\(version)\n".utf8))
        let latest = try await source.latestVersion()
        XCTAssertEqual(latest, version)
        let folder = try await source.localVersion(latest)
        try assertLoadsCommittedVersion(folder)
    }
}
