import ArtifactFormats
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The credentials endpoint of a container's task role: ECS (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
/// below `http://169.254.170.2`) or EKS Pod Identity and others (`AWS_CONTAINER_CREDENTIALS_FULL_URI`),
/// answering a GET with JSON `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`.
///
/// The `Authorization` header comes from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read again on every
/// fetch (Pod Identity rotates it), else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
struct AWSContainerCredentialProvider: AWSCredentialProvider {
    /// Where the token comes from; the token itself is read when needed and never kept in a message.
    enum Authorization: Sendable {
        case none
        case file(String)
        case value(String)
    }

    let url: URL
    let authorization: Authorization
    let client: AWSCredentialHTTPClient

    /// The ECS agent's address for relative URIs.
    static let ecsHost = "http://169.254.170.2"

    init(url: URL, authorization: Authorization,
         client: AWSCredentialHTTPClient = AWSCredentialHTTPClient(timeoutSeconds: 2, attempts: 2)) {
        self.url = url
        self.authorization = authorization
        self.client = client
    }

    /// The provider `aws` configures, nil when neither URI variable is set. Throws for a full URI that
    /// is not https and not one of the hosts a container endpoint lives on: plain http to anywhere else
    /// would hand the authorization token and the credentials to whoever is on the path.
    static func configured(in aws: AWSEnvironment) throws(ArtifactError) -> AWSContainerCredentialProvider? {
        let url: URL
        if let relative = aws.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            guard let parsed = URL(string: ecsHost + path) else {
                throw ArtifactError(file: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", .malformed("\"\(relative)\" is not a URI path"))
            }
            url = parsed
        } else if let full = aws.value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard let parsed = URL(string: full), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty,
                  scheme == "http" || scheme == "https" else {
                throw ArtifactError(file: "AWS_CONTAINER_CREDENTIALS_FULL_URI", .malformed("\"\(full)\" is not an http(s) URL"))
            }
            guard scheme == "https" || isAllowedPlainHost(host) else {
                throw ArtifactError(file: "AWS_CONTAINER_CREDENTIALS_FULL_URI", .unsupported(
                    "\(ArtifactLocation.redacted(parsed)) is plain http to \(host); container credentials over http are only "
                        + "fetched from a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 (use https otherwise)"))
            }
            url = parsed
        } else {
            return nil
        }
        let authorization: Authorization
        if let file = aws.value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            authorization = .file(file)
        } else if let token = aws.value("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            authorization = .value(token)
        } else {
            authorization = .none
        }
        return AWSContainerCredentialProvider(url: url, authorization: authorization)
    }

    /// Loopback (127.0.0.0/8, ::1, localhost) and the link-local addresses of the ECS and EKS agents.
    static func isAllowedPlainHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if ["localhost", "::1", "169.254.170.2", "169.254.170.23"].contains(name) { return true }
        if let address = ipv6Bytes(name), address == ipv6Bytes("fd00:ec2::23") { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    var name: String { "container credentials (\(ArtifactLocation.redacted(url)))" }

    func fetchCredentials() async throws(AWSCredentialError) -> AWSCredentials {
        var headers = ["Accept": "application/json"]
        switch authorization {
        case .none:
            break
        case .file(let path):
            let token: String
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw failure("cannot read the authorization token file \(path) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): "
                    + error.localizedDescription)
            }
            guard Self.isHeaderSafe(token) else {
                throw failure("the authorization token file \(path) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) is empty or holds line breaks")
            }
            headers["Authorization"] = token
        case .value(let token):
            guard Self.isHeaderSafe(token) else {
                throw failure("AWS_CONTAINER_AUTHORIZATION_TOKEN holds line breaks")
            }
            headers["Authorization"] = token
        }
        let what = "GET \(ArtifactLocation.redacted(url))"
        let response: AWSCredentialHTTPClient.Response
        do {
            response = try await client.send("GET", url, headers: headers, what: what)
        } catch {
            throw failure(error.description)
        }
        guard response.status == 200 else {
            throw failure("\(what) answered \(AWSCredentialHTTPClient.describe(status: response.status, body: response.body))")
        }
        do {
            let answer = try JSONDecoder().decode(AWSRoleCredentialsJSON.self, from: Data(response.body))
            return try answer.credentials(source: name, what: what)
        } catch let reason as AWSRoleCredentialsJSON.Problem {
            throw failure(reason.description)
        } catch {
            // Not the decoder's message: it may quote the body, and the body holds the secret.
            throw failure("\(what) answered 200 without AccessKeyId, SecretAccessKey, Token and Expiration in JSON")
        }
    }

    /// The 16 bytes of an IPv6 literal, so that any spelling of fd00:ec2::23 matches.
    private static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    private static func isHeaderSafe(_ token: String) -> Bool {
        !token.isEmpty && !token.contains(where: { $0 == "\r" || $0 == "\n" })
    }

    private func failure(_ reason: String) -> AWSCredentialError {
        AWSCredentialError(provider: name, reason: reason)
    }
}

/// The JSON the container endpoint and IMDS answer with (IMDS adds `Code`). Field names are AWS's.
struct AWSRoleCredentialsJSON: Decodable {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    let Code: String?
    let Message: String?
    let AccessKeyId: String?
    let SecretAccessKey: String?
    let Token: String?
    let Expiration: String?

    func credentials(source: String, what: String) throws(Problem) -> AWSCredentials {
        // A Token is what role credentials always have; an endpoint handing out long-term keys (a
        // local stand-in for the ECS agent) may leave it out, and such keys are sent without one.
        guard let keyID = AccessKeyId, !keyID.isEmpty, let secret = SecretAccessKey, !secret.isEmpty,
              let expirationText = Expiration else {
            throw Problem(description: "\(what) answered 200 without AccessKeyId, SecretAccessKey and Expiration")
        }
        let token = Token.flatMap { $0.isEmpty ? nil : $0 }
        guard let expiration = AWSTimestamp.parse(expirationText) else {
            throw Problem(description: "\(what) answered an Expiration that is not an ISO 8601 time: \"\(expirationText.prefix(40))\"")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token, source: source,
                              expiration: expiration)
    }
}
