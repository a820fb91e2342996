import Foundation
import ArtifactSources
import Storage
import XCTest

/// The signer against the worked examples of the Amazon S3 API reference ("Signature Calculations for
/// the Authorization Header: Transferring Payload in a Single Chunk").
final class SigV4SignerTests: XCTestCase {
    private let signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    /// Fri, 24 May 2013 00:00:00 GMT
    private let date = Date(timeIntervalSince1970: 1_369_353_600)
    private let host = "examplebucket.s3.amazonaws.com"

    func testGetObjectExample() {
        let headers = signer.signatureHeaders(method: "GET", host: host, path: "/test.txt", headers: ["Range": "bytes=0-9"],
                                              payloadSHA256: SigV4Signer.emptyPayloadSHA256, date: date)
        XCTAssertEqual(headers["x-amz-date"], "20130524T000000Z")
        XCTAssertEqual(headers["x-amz-content-sha256"], SigV4Signer.emptyPayloadSHA256)
        XCTAssertEqual(headers["Authorization"],
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                           + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                           + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertNil(headers["x-amz-security-token"])
    }

    func testPutObjectExample() {
        let body = Array("Welcome to Amazon S3.".utf8)
        XCTAssertEqual(sha256Hex(body), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let headers = signer.signatureHeaders(
            method: "PUT", host: host, path: "/test%24file.text",
            headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            payloadSHA256: sha256Hex(body), date: date)
        XCTAssertEqual(headers["Authorization"],
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                           + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                           + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    func testGetBucketLifecycleExample() {
        let headers = signer.signatureHeaders(method: "GET", host: host, path: "/", query: [("lifecycle", "")],
                                              payloadSHA256: SigV4Signer.emptyPayloadSHA256, date: date)
        XCTAssertTrue(headers["Authorization"]!.hasSuffix(
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"), headers["Authorization"]!)
    }

    func testListObjectsExampleSortsTheQuery() {
        let headers = signer.signatureHeaders(method: "GET", host: host, path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                              payloadSHA256: SigV4Signer.emptyPayloadSHA256, date: date)
        XCTAssertTrue(headers["Authorization"]!.hasSuffix(
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"), headers["Authorization"]!)
    }

    func testSessionTokenIsSentAndSigned() {
        var credentials = signer.credentials
        credentials.sessionToken = "token/with+chars="
        let temporary = SigV4Signer(credentials: credentials, region: "eu-west-3")
        let headers = temporary.signatureHeaders(method: "GET", host: host, path: "/k",
                                                 payloadSHA256: SigV4Signer.emptyPayloadSHA256, date: date)
        XCTAssertEqual(headers["x-amz-security-token"], "token/with+chars=")
        XCTAssertTrue(headers["Authorization"]!.contains("/20130524/eu-west-3/s3/aws4_request"), headers["Authorization"]!)
        XCTAssertTrue(headers["Authorization"]!.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
                      headers["Authorization"]!)
    }

    func testTimestampIsUTC() {
        let headers = signer.signatureHeaders(method: "GET", host: host, path: "/", payloadSHA256: SigV4Signer.emptyPayloadSHA256,
                                              date: Date(timeIntervalSince1970: 951_868_799))
        XCTAssertEqual(headers["x-amz-date"], "20000229T235959Z")
    }

    func testCredentialsDescriptionHidesTheSecret() {
        let text = "\(signer.credentials)"
        XCTAssertFalse(text.contains("EXAMPLEKEY"), text)
        XCTAssertFalse(text.contains("AKIAIOSFODNN7"), text)
        XCTAssertTrue(text.contains("MPLE"), text)
    }
}
