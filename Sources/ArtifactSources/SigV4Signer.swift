import Storage
public import Foundation
import Crypto

/// AWS Signature Version 4 for requests authenticated with an `Authorization` header, as S3 (and
/// S3-compatible stores) check them.
///
/// The signature covers the method, the path exactly as sent, the query, the headers listed in
/// `SignedHeaders` and the payload hash, under a key derived from the secret, the day, the region and
/// the service. See "Signature Calculations for the Authorization Header: Transferring Payload in a
/// Single Chunk" in the Amazon S3 API reference; the tests check the examples published there.
public struct SigV4Signer: Sendable {
    /// The sha256 of an empty body, the payload hash of a GET.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to a request so that AWS accepts it: `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` (temporary credentials only) and `Authorization`. `Host` is signed but not
    /// returned: the HTTP client sends it from the URL.
    ///
    /// - Parameters:
    ///   - host: the `Host` header the client will send: the host, with `:port` when the URL has a port
    ///     that is not the scheme's default.
    ///   - path: the request path exactly as sent, already percent-encoded (S3 does not normalize it).
    ///   - query: names and values before encoding; they are encoded and sorted here.
    ///   - headers: further headers to sign (any case); they must be sent with these exact values.
    ///   - payloadSHA256: lower-case hex sha256 of the body (``emptyPayloadSHA256`` for none), or
    ///     `UNSIGNED-PAYLOAD`.
    public func signatureHeaders(
        method: String, host: String, path: String, query: [(name: String, value: String)] = [],
        headers: [String: String] = [:], payloadSHA256: String, date: Date = Date()
    ) -> [String: String] {
        let timestamp = Self.timestamp(date)
        var added = ["x-amz-date": timestamp, "x-amz-content-sha256": payloadSHA256]
        if let token = credentials.sessionToken { added["x-amz-security-token"] = token }
        var signed = ["host": host]
        for (name, value) in headers { signed[name.lowercased()] = value }
        for (name, value) in added { signed[name] = value }
        let (canonical, signedNames) = Self.canonicalRequest(
            method: method, path: path, query: query, headers: signed, payloadSHA256: payloadSHA256)
        let day = String(timestamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(sha256Hex(Array(canonical.utf8)))"
        let key = Self.signingKey(secret: credentials.secretAccessKey, day: day, region: region, service: service)
        let signature = hexString(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        added["Authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedNames), Signature=\(signature)"
        return added
    }

    /// The canonical request and the `SignedHeaders` list. `headers` has lower-case names.
    static func canonicalRequest(method: String, path: String, query: [(name: String, value: String)],
                                 headers: [String: String], payloadSHA256: String) -> (String, String) {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (awsPercentEncode(pair.name, keepSlash: false), awsPercentEncode(pair.value, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let canonicalQuery = sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(trimmed(headers[$0]!))\n" }.joined()
        let signedNames = names.joined(separator: ";")
        let request = [method, path.isEmpty ? "/" : path, canonicalQuery, canonicalHeaders, signedNames, payloadSHA256]
            .joined(separator: "\n")
        return (request, signedNames)
    }

    /// HMAC chain: "AWS4" + secret → day → region → service → "aws4_request".
    static func signingKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, computed from the epoch seconds (no locale or calendar involved).
    static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)\(two(month))\(two(day))T\(two(secondOfDay / 3_600))\(two(secondOfDay / 60 % 60))\(two(secondOfDay % 60))Z"
    }

    /// Header values are signed trimmed, with runs of spaces collapsed to one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }
}
