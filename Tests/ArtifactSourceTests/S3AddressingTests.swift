@testable import ArtifactSources
import Foundation
import XCTest

/// Which URL and Host header an S3 object gets (both are signed, so both must be exact).
final class S3AddressingTests: XCTestCase {
    private let credentials = AWSCredentials(accessKeyID: "AKIA", secretAccessKey: "s")

    func testAWSVirtualHostedAndPathStyle() {
        let virtual = S3Store(bucket: "pricing-models", prefix: "prod", settings: S3Settings(credentials: credentials, region: "eu-west-3"))
        let address = virtual.address(of: virtual.key(for: "v1/features/context 000.gz"))
        XCTAssertEqual(address.url?.absoluteString, "https://pricing-models.s3.eu-west-3.amazonaws.com/prod/v1/features/context%20000.gz")
        XCTAssertEqual(address.host, "pricing-models.s3.eu-west-3.amazonaws.com")
        XCTAssertEqual(virtual.displayName(for: "LATEST"), "s3://pricing-models/prod/LATEST")

        let pathStyle = S3Store(bucket: "pricing-models", prefix: "", settings: S3Settings(
            credentials: credentials, region: "us-east-1", pathStyle: true))
        XCTAssertEqual(pathStyle.address(of: "LATEST").url?.absoluteString, "https://s3.us-east-1.amazonaws.com/pricing-models/LATEST")

        let dotted = S3Store(bucket: "models.example.com", prefix: "", settings: S3Settings(credentials: credentials))
        XCTAssertEqual(dotted.address(of: "LATEST").url?.absoluteString, "https://s3.us-east-1.amazonaws.com/models.example.com/LATEST")
    }

    func testCustomEndpoint() {
        let minio = S3Store(bucket: "models", prefix: "a/b", settings: S3Settings(
            credentials: credentials, endpoint: URL(string: "http://minio:9000/")))
        let address = minio.address(of: minio.key(for: "LATEST"))
        XCTAssertEqual(address.url?.absoluteString, "http://minio:9000/models/a/b/LATEST")
        XCTAssertEqual(address.host, "minio:9000")
        XCTAssertEqual(address.path, "/models/a/b/LATEST")

        let defaultPort = S3Store(bucket: "models", prefix: "", settings: S3Settings(
            credentials: credentials, endpoint: URL(string: "https://store.example.com:443"), pathStyle: false))
        let virtual = defaultPort.address(of: "LATEST")
        XCTAssertEqual(virtual.host, "models.store.example.com", "libcurl leaves the default port out of Host")
        XCTAssertEqual(virtual.url?.absoluteString, "https://models.store.example.com/LATEST")
    }

    func testRefusalsNameBucketKeyAndCode() {
        let store = S3Store(bucket: "models", prefix: "p", settings: S3Settings(credentials: credentials))
        let body = Array("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".utf8)
        let error = store.explain(status: 403, body: body, path: "LATEST")
        XCTAssertEqual(error?.file, "s3://models/p/LATEST")
        let text = error?.description ?? ""
        for expected in ["403 AccessDenied", "bucket \"models\"", "key \"p/LATEST\"", "check the AWS credentials", "Access Denied"] {
            XCTAssertTrue(text.contains(expected), "\(expected) not in \(text)")
        }
        XCTAssertEqual(store.explain(status: 404, body: Array("<Error><Code>NoSuchKey</Code></Error>".utf8), path: "x")?.problem, .missing)
        XCTAssertTrue(store.explain(status: 404, body: Array("<Error><Code>NoSuchBucket</Code></Error>".utf8), path: "x")!
            .description.contains("does not exist"))
        XCTAssertNil(store.explain(status: 500, body: Array("<Error><Code>InternalError</Code></Error>".utf8), path: "x"))
    }
}
