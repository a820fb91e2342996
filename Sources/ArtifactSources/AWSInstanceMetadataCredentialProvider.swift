import Foundation

/// The instance profile's credentials from the EC2 instance metadata service, IMDSv2 only: a session
/// token from `PUT /latest/api/token`, then the role name and the role's credentials with that token.
///
/// IMDSv1 (tokenless GETs) is not used: instances are commonly configured to refuse it, and the token
/// step is what keeps a server-side request forgery from reading the credentials. Timeouts are short
/// (1 s, 2 attempts) because this is the last resort of the chain and, off EC2, nothing answers there.
struct AWSInstanceMetadataCredentialProvider: AWSCredentialProvider {
    /// `http://169.254.169.254`, or `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    let endpoint: URL
    /// What the chain looked for before falling back to IMDS, said when IMDS fails too (so the
    /// message names everything that was tried); nil when IMDS was chosen directly.
    let triedBefore: String?
    let client: AWSCredentialHTTPClient

    static let defaultEndpoint = URL(string: "http://169.254.169.254")!
    /// Six hours, the longest IMDS allows; a token is used for one fetch only anyway.
    static let tokenTTLSeconds = 21_600

    init(endpoint: URL = defaultEndpoint, triedBefore: String? = nil,
         client: AWSCredentialHTTPClient = AWSCredentialHTTPClient(timeoutSeconds: 1, attempts: 2)) {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = URL(string: base) ?? endpoint
        self.triedBefore = triedBefore
        self.client = client
    }

    var name: String { "EC2 instance metadata (\(ArtifactLocation.redacted(endpoint)))" }

    func fetchCredentials() async throws(AWSCredentialError) -> AWSCredentials {
        let tokenURL = url("/latest/api/token")
        let token = try await exchange("PUT", tokenURL, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "\(Self.tokenTTLSeconds)"],
                                       body: [])
        let session = String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !session.isEmpty, !session.contains(where: \.isNewline) else {
            throw failure("PUT \(tokenURL) answered 200 without a token")
        }
        let authorized = ["X-aws-ec2-metadata-token": session]
        let listURL = url("/latest/meta-data/iam/security-credentials/")
        let list = try await exchange("GET", listURL, headers: authorized)
        guard let role = String(decoding: list, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map({ $0.trimmingCharacters(in: .whitespaces) }), !role.isEmpty else {
            throw failure("GET \(listURL) names no role: the instance has no instance profile (IAM role) attached")
        }
        let roleURL = url("/latest/meta-data/iam/security-credentials/" + awsPercentEncode(role, keepSlash: false))
        let body = try await exchange("GET", roleURL, headers: authorized)
        let what = "GET \(roleURL)"
        let answer: AWSRoleCredentialsJSON
        do {
            answer = try JSONDecoder().decode(AWSRoleCredentialsJSON.self, from: Data(body))
        } catch {
            throw failure("\(what) answered 200 with something other than credentials JSON")
        }
        guard answer.Code == "Success" else {
            let message = answer.Message.map { ": \($0.prefix(200))" } ?? ""
            throw failure("\(what) answered Code \(answer.Code ?? "(none)") rather than Success\(message)")
        }
        do {
            return try answer.credentials(source: "EC2 instance metadata (role \(role))", what: what)
        } catch {
            throw failure(error.description)
        }
    }

    private func url(_ path: String) -> URL {
        URL(string: endpoint.absoluteString + path)!
    }

    /// One exchange that must answer 200; its body.
    private func exchange(_ method: String, _ url: URL, headers: [String: String],
                          body: [UInt8]? = nil) async throws(AWSCredentialError) -> [UInt8] {
        let what = "\(method) \(ArtifactLocation.redacted(url))"
        let response: AWSCredentialHTTPClient.Response
        do {
            response = try await client.send(method, url, headers: headers, body: body, what: what)
        } catch {
            throw failure(error.description)
        }
        guard response.status == 200 else {
            var reason = "\(what) answered \(AWSCredentialHTTPClient.describe(status: response.status, body: response.body))"
            if response.status == 403, method == "PUT" { reason += " (IMDS may be disabled for this instance)" }
            throw failure(reason)
        }
        return response.body
    }

    private func failure(_ reason: String) -> AWSCredentialError {
        guard let triedBefore else { return AWSCredentialError(provider: name, reason: reason) }
        return AWSCredentialError(provider: name, reason: "no AWS credentials: \(triedBefore); and \(reason)")
    }
}
