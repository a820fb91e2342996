import ArtifactFormats
import Foundation

/// A role assumed with an OIDC token (EKS IAM roles for service accounts): the token file Kubernetes
/// mounts (`AWS_WEB_IDENTITY_TOKEN_FILE`) is sent to STS `AssumeRoleWithWebIdentity` for `AWS_ROLE_ARN`.
///
/// The request is an unsigned form POST (the token is the proof). The token file is read again on
/// every fetch because the kubelet rotates it; a token read once at start-up expires within hours.
struct AWSWebIdentityCredentialProvider: AWSCredentialProvider {
    let tokenFile: String
    let roleARN: String
    let sessionName: String
    /// The STS endpoint, without a path: `https://sts.eu-west-1.amazonaws.com`.
    let endpoint: URL
    let client: AWSCredentialHTTPClient

    init(tokenFile: String, roleARN: String, sessionName: String, endpoint: URL,
         client: AWSCredentialHTTPClient = AWSCredentialHTTPClient(timeoutSeconds: 5, attempts: 2)) {
        self.tokenFile = tokenFile
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.endpoint = endpoint
        self.client = client
    }

    /// `pricing-server-<unix seconds>`: STS wants a session name, and CloudTrail shows it.
    static func defaultSessionName(_ date: Date = Date()) -> String {
        "pricing-server-\(Int(date.timeIntervalSince1970))"
    }

    /// The STS endpoint: `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the region's.
    static func endpoint(in aws: AWSEnvironment) throws(ArtifactError) -> URL {
        for name in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
            guard let text = aws.value(name) else { continue }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty else {
                throw ArtifactError(file: name, .malformed("\"\(text)\" is not an http(s):// endpoint URL"))
            }
            return url
        }
        let region = aws.region
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://sts.\(region).\(domain)")!
    }

    var name: String {
        "web identity (role \(roleARN), token file \(tokenFile), STS \(ArtifactLocation.redacted(endpoint)))"
    }

    func fetchCredentials() async throws(AWSCredentialError) -> AWSCredentials {
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw failure("cannot read the token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE): \(error.localizedDescription)")
        }
        guard !token.isEmpty else { throw failure("the token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE) is empty") }
        let form = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
                    ("RoleSessionName", sessionName), ("WebIdentityToken", token)]
        let body = form.map { "\($0.0)=\(awsPercentEncode($0.1, keepSlash: false))" }.joined(separator: "&")
        let what = "STS AssumeRoleWithWebIdentity at \(ArtifactLocation.redacted(endpoint))"
        let response: AWSCredentialHTTPClient.Response
        do {
            response = try await client.send(
                "POST", endpoint, headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
                body: Array(body.utf8), what: what)
        } catch {
            throw failure(error.description)
        }
        guard response.status == 200 else {
            // STS explains itself in <ErrorResponse><Error><Code>…</Code><Message>…</Message>.
            let reply = S3ErrorResponse(body: response.body)
            guard let code = reply.code else {
                throw failure("\(what) answered \(AWSCredentialHTTPClient.describe(status: response.status, body: response.body))")
            }
            throw failure("\(what) answered HTTP \(response.status) \(code)" + (reply.message.map { ": \($0)" } ?? ""))
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard let keyID = Self.element("AccessKeyId", in: text), let secret = Self.element("SecretAccessKey", in: text),
              let sessionToken = Self.element("SessionToken", in: text), let expirationText = Self.element("Expiration", in: text)
        else {
            throw failure("\(what) answered 200 without AccessKeyId, SecretAccessKey, SessionToken and Expiration")
        }
        guard let expiration = AWSTimestamp.parse(expirationText) else {
            throw failure("\(what) answered an Expiration that is not an ISO 8601 time: \"\(expirationText.prefix(40))\"")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: sessionToken,
                              source: "web identity (role \(roleARN))", expiration: expiration)
    }

    private func failure(_ reason: String) -> AWSCredentialError {
        AWSCredentialError(provider: name, reason: reason)
    }

    /// The text of the first `<name>` element; STS's answer is flat enough not to need an XML parser.
    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        let value = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}
