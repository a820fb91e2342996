import ArtifactFormats
import XCTest

/// What ``CredentialRedaction`` masks and what it leaves alone.
final class CredentialRedactionTests: XCTestCase {
    func testPasswordsAndCredentialParametersAreMasked() {
        let cases: [(String, String)] = [
            ("https://user:s3cret@host/models", "https://user:***@host/models"),
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            ("http://user:pa/ss@word@host:8080/m", "http://user:***@host:8080/m"),
            ("https://host/m?X-Amz-Signature=abc&X-Amz-Date=2026&X-Amz-Credential=AKIA%2Fx&token=t",
             "https://host/m?X-Amz-Signature=***&X-Amz-Date=2026&X-Amz-Credential=***&token=***"),
            ("https://user@host/m", "https://user@host/m"),
            ("https://host/models", "https://host/models"),
            ("/var/models", "/var/models"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(CredentialRedaction.redactingURL(input), expected, input)
            XCTAssertEqual(CredentialRedaction.redactingURLs(in: input), expected, input)
        }
    }

    func testURLsInsideAMessageAreMaskedAndTheRestKept() {
        let message = #"cannot load models from https://u:pw@h/m: "redis://:x@r:1" failed; see s3://bucket/key"#
        XCTAssertEqual(CredentialRedaction.redactingURLs(in: message),
                       #"cannot load models from https://u:***@h/m: "redis://:***@r:1" failed; see s3://bucket/key"#)
    }
}
