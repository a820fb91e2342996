#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation
@testable import ArtifactSources
import XCTest

/// Each role provider against a loopback stand-in of its endpoint (container, IMDSv2, STS).
final class CredentialProviderTests: XCTestCase {
    private func environment(_ extra: [String: String]) -> [String: String] {
        ["HOME": temporaryDirectory(self, "home"), "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
    }

    private func provider(_ environment: [String: String]) throws -> any AWSCredentialProvider {
        try AWSCredentialChain.provider(for: AWSEnvironment(environment), location: "s3://bucket/prefix")
    }

    private func fetchError(_ provider: any AWSCredentialProvider) async -> AWSCredentialError? {
        do {
            let credentials = try await provider.fetchCredentials()
            XCTFail("expected a failure, got \(credentials)")
            return nil
        } catch {
            return error
        }
    }

    // MARK: container

    func testContainerCredentialsWithTheAuthorizationTokenFromTheEnvironment() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(requiredAuthorization: "env-token"))
        let container = try provider(environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": standIn.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "env-token",
        ]))
        XCTAssertTrue(container is AWSContainerCredentialProvider, container.name)
        let credentials = try await container.fetchCredentials()
        XCTAssertEqual(credentials.accessKeyID, "ASIACONTAINER1")
        XCTAssertEqual(credentials.secretAccessKey, "secret-1")
        XCTAssertEqual(credentials.sessionToken, "session-token-1")
        let expiration = try XCTUnwrap(credentials.expiration)
        XCTAssertGreaterThan(expiration.timeIntervalSinceNow, 3000)
        XCTAssertEqual(standIn.server.requests.map(\.path), ["/v2/credentials/stand-in"])
        XCTAssertEqual(standIn.server.requests.first?.headers["authorization"], "env-token")
        await standIn.server.stop()
    }

    func testContainerAuthorizationTokenFileIsReadOnEveryFetchAndWinsOverTheVariable() async throws {
        let folder = temporaryDirectory(self, "pod-identity")
        let tokenFile = folder + "/eks-pod-identity-token"
        try Data("first-token\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let standIn = try ContainerCredentialsStandIn(.init(requiredAuthorization: "first-token"))
        let container = try provider(environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": standIn.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-token",
        ]))
        let first = try await container.fetchCredentials()
        XCTAssertEqual(first.accessKeyID, "ASIACONTAINER1")
        // The agent rotates the token: the next fetch must send the new one.
        try Data("second-token".utf8).write(to: URL(fileURLWithPath: tokenFile))
        standIn.change { $0.requiredAuthorization = "second-token" }
        let second = try await container.fetchCredentials()
        XCTAssertEqual(second.accessKeyID, "ASIACONTAINER2")
        XCTAssertEqual(standIn.server.requests.map { $0.headers["authorization"] }, ["first-token", "second-token"])
        await standIn.server.stop()
    }

    func testContainerRefusalNamesTheEndpointAndStatusButNotTheToken() async throws {
        let standIn = try ContainerCredentialsStandIn(.init(requiredAuthorization: "right-token"))
        let container = try provider(environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": standIn.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-token",
        ]))
        let error = await fetchError(container)
        let text = error?.description ?? ""
        for expected in [standIn.url, "401", "container credentials"] {
            XCTAssertTrue(text.contains(expected), "\(expected) not in: \(text)")
        }
        XCTAssertFalse(text.contains("wrong-token"), text)
        await standIn.server.stop()
    }

    func testFullURIOverPlainHTTPOnlyToLoopbackAndTheAgentAddresses() throws {
        for allowed in ["http://127.0.0.1:8080/creds", "http://127.0.0.2/creds", "http://localhost/creds", "http://[::1]/creds",
                        "http://169.254.170.2/v2/credentials/x", "http://169.254.170.23/v1/credentials",
                        "http://[fd00:ec2::23]/v1/credentials", "http://[fd00:ec2:0::23]/v1/credentials",
                        "https://credentials.example.com/creds"] {
            let chosen = try provider(environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": allowed]))
            XCTAssertTrue(chosen is AWSContainerCredentialProvider, allowed)
        }
        for refused in ["http://credentials.example.com/creds", "http://10.0.0.8/creds", "http://169.254.169.254/creds",
                        "http://[fd00:ec2::24]/creds"] {
            XCTAssertThrowsError(try provider(environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": refused])), refused) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"), text)
                XCTAssertTrue(text.contains("plain http"), text)
                XCTAssertTrue(text.contains("https"), text)
            }
        }
        // A relative URI goes to the ECS agent.
        let ecs = try XCTUnwrap(try provider(environment(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]))
            as? AWSContainerCredentialProvider)
        XCTAssertEqual(ecs.url.absoluteString, "http://169.254.170.2/v2/credentials/abc")
    }

    // MARK: instance metadata

    func testInstanceMetadataUsesTheIMDSv2TokenFlow() async throws {
        let standIn = try InstanceMetadataStandIn()
        let imds = try provider(["HOME": temporaryDirectory(self, "home"),
                                 "AWS_EC2_METADATA_SERVICE_ENDPOINT": standIn.server.baseURL.absoluteString + "/"])
        XCTAssertTrue(imds is AWSInstanceMetadataCredentialProvider, imds.name)
        let credentials = try await imds.fetchCredentials()
        XCTAssertEqual(credentials.accessKeyID, "ASIAIMDS1")
        XCTAssertEqual(credentials.sessionToken, "session-token-1")
        XCTAssertNotNil(credentials.expiration)
        XCTAssertTrue(credentials.source.contains(InstanceMetadataStandIn.role), credentials.source)
        let requests = standIn.server.requests
        XCTAssertEqual(requests.map { "\($0.method) \($0.path)" }, [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/\(InstanceMetadataStandIn.role)",
        ])
        XCTAssertEqual(requests.first?.headers["x-aws-ec2-metadata-token-ttl-seconds"], "21600")
        let token = try XCTUnwrap(requests.dropFirst().first?.headers["x-aws-ec2-metadata-token"])
        XCTAssertTrue(requests.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == token })

        // The stand-in enforces the token, as an instance requiring IMDSv2 does: a tokenless GET is refused.
        let url = URL(string: standIn.server.baseURL.absoluteString + "/latest/meta-data/iam/security-credentials/")!
        let (_, response) = try await URLSession.shared.data(from: url)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 401)
        await standIn.server.stop()
    }

    func testInstanceMetadataAnswerOtherThanSuccessIsAnError() async throws {
        let standIn = try InstanceMetadataStandIn(code: "AssumeRoleUnauthorizedAccess")
        let imds = AWSInstanceMetadataCredentialProvider(endpoint: standIn.server.baseURL)
        let text = await fetchError(imds)?.description ?? ""
        XCTAssertTrue(text.contains("AssumeRoleUnauthorizedAccess"), text)
        XCTAssertTrue(text.contains("/latest/meta-data/iam/security-credentials/\(InstanceMetadataStandIn.role)"), text)
        XCTAssertFalse(text.contains("secret-1"), text)
        await standIn.server.stop()
    }

    func testInstanceMetadataNobodyThereFailsFast() async throws {
        // A port nothing listens on: what a machine off EC2 sees, minus the network's silence.
        let port = try MotoServer.freePort()
        let imds = AWSInstanceMetadataCredentialProvider(endpoint: URL(string: "http://127.0.0.1:\(port)")!)
        let started = ContinuousClock.now
        let text = await fetchError(imds)?.description ?? ""
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(15), "generous bound: 2 attempts of 1 s")
        XCTAssertTrue(text.contains("PUT http://127.0.0.1:\(port)/latest/api/token"), text)
        XCTAssertTrue(text.contains("2 attempts"), text)
    }

    // MARK: web identity

    func testWebIdentityReadsTheRotatedTokenFileOnEveryFetch() async throws {
        let sts = try STSStandIn()
        let folder = temporaryDirectory(self, "irsa")
        let tokenFile = folder + "/token"
        try Data("eyJ.first.jwt\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let roleARN = "arn:aws:iam::123456789012:role/pricing-reader"
        let webIdentity = try provider(environment([
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleARN, "AWS_ROLE_SESSION_NAME": "pod-a",
            "AWS_ENDPOINT_URL_STS": sts.server.baseURL.absoluteString, "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        ]))
        XCTAssertTrue(webIdentity is AWSWebIdentityCredentialProvider, webIdentity.name)
        let first = try await webIdentity.fetchCredentials()
        XCTAssertEqual(first.accessKeyID, "ASIASTS1")
        XCTAssertEqual(first.secretAccessKey, "sts-secret-1")
        XCTAssertEqual(first.sessionToken, "sts-session-1")
        XCTAssertGreaterThan(try XCTUnwrap(first.expiration).timeIntervalSinceNow, 3000)
        try Data("eyJ.second.jwt".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let second = try await webIdentity.fetchCredentials()
        XCTAssertEqual(second.accessKeyID, "ASIASTS2")
        let forms = sts.received
        XCTAssertEqual(forms.map { $0["WebIdentityToken"] }, ["eyJ.first.jwt", "eyJ.second.jwt"])
        XCTAssertEqual(forms.first?["Action"], "AssumeRoleWithWebIdentity")
        XCTAssertEqual(forms.first?["Version"], "2011-06-15")
        XCTAssertEqual(forms.first?["RoleArn"], roleARN)
        XCTAssertEqual(forms.first?["RoleSessionName"], "pod-a")
        XCTAssertNil(sts.server.requests.first?.headers["authorization"], "AssumeRoleWithWebIdentity is unsigned")
        await sts.server.stop()
    }

    func testWebIdentityRefusalNamesTheSTSErrorCodeButNotTheToken() async throws {
        let sts = try STSStandIn()
        sts.refuse(with: "InvalidIdentityToken")
        let tokenFile = temporaryDirectory(self, "irsa") + "/token"
        try Data("eyJ.secret.jwt".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let webIdentity = try provider(environment([
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
            "AWS_ENDPOINT_URL": sts.server.baseURL.absoluteString,
        ]))
        let text = await fetchError(webIdentity)?.description ?? ""
        for expected in ["InvalidIdentityToken", "HTTP 400", "AssumeRoleWithWebIdentity", sts.server.baseURL.absoluteString] {
            XCTAssertTrue(text.contains(expected), "\(expected) not in: \(text)")
        }
        XCTAssertFalse(text.contains("eyJ.secret.jwt"), text)
        XCTAssertTrue(sts.received.first?["RoleSessionName"]?.hasPrefix("pricing-server-") == true, "\(sts.received)")

        // A missing token file is named.
        try FileManager.default.removeItem(atPath: tokenFile)
        let missing = await fetchError(webIdentity)?.description ?? ""
        XCTAssertTrue(missing.contains(tokenFile) && missing.contains("AWS_WEB_IDENTITY_TOKEN_FILE"), missing)
        await sts.server.stop()
    }

    func testSTSEndpointDefaultsToTheRegion() throws {
        let tokenFile = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
        let base = ["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
                    "AWS_REGION": "eu-west-3"]
        let regional = try XCTUnwrap(try provider(environment(base)) as? AWSWebIdentityCredentialProvider)
        XCTAssertEqual(regional.endpoint.absoluteString, "https://sts.eu-west-3.amazonaws.com")
        XCTAssertTrue(regional.sessionName.hasPrefix("pricing-server-"), regional.sessionName)
        var china = base
        china["AWS_REGION"] = "cn-north-1"
        let chinese = try XCTUnwrap(try provider(environment(china)) as? AWSWebIdentityCredentialProvider)
        XCTAssertEqual(chinese.endpoint.absoluteString, "https://sts.cn-north-1.amazonaws.com.cn")
    }

    func testTimestampsInTheFormsEndpointsUse() {
        XCTAssertEqual(AWSTimestamp.parse("2026-11-25T06:07:30Z")?.timeIntervalSince1970, 1_795_586_850)
        XCTAssertEqual(AWSTimestamp.parse("2026-11-25T06:07:30.104210Z")!.timeIntervalSince1970, 1_795_586_850.10421, accuracy: 0.0001)
        XCTAssertEqual(AWSTimestamp.parse("2026-11-25T08:07:30+02:00")?.timeIntervalSince1970, 1_795_586_850)
        XCTAssertNil(AWSTimestamp.parse("2026-11-25 06:07"))
        XCTAssertNil(AWSTimestamp.parse("tomorrow"))
        XCTAssertEqual(AWSTimestamp.format(Date(timeIntervalSince1970: 1_795_586_850)), "2026-11-25T06:07:30Z")
    }
}
