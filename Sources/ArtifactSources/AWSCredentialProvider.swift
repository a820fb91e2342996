/// Somewhere AWS credentials come from: fixed keys, or a role's temporary credentials fetched from STS,
/// the container credentials endpoint or the EC2 instance metadata service.
///
/// A provider fetches; it does not cache. ``AWSCredentialCache`` keeps what it answered and asks again
/// ahead of the expiration, so a provider is called about once per credential lifetime.
public protocol AWSCredentialProvider: Sendable {
    /// What the provider is, for messages: "web identity (role arn:aws:iam::…:role/x via https://sts…)".
    /// Never a secret or a token.
    var name: String { get }

    /// Fresh credentials, with their ``AWSCredentials/expiration`` when they are temporary.
    func fetchCredentials() async throws(AWSCredentialError) -> AWSCredentials
}

/// Why a provider gave no credentials: the provider, and what its endpoint or file answered.
public struct AWSCredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ``AWSCredentialProvider/name`` of the provider that failed.
    public let provider: String
    /// What went wrong: the endpoint or file, and the HTTP status or error code. Never a secret.
    public let reason: String

    public init(provider: String, reason: String) {
        self.provider = provider
        self.reason = reason
    }

    public var description: String { "\(provider): \(reason)" }
}

/// Long-term keys (or a session token somebody else refreshes), from the environment, a profile or a
/// caller: always the same answer.
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let credentials: AWSCredentials

    public init(_ credentials: AWSCredentials) {
        self.credentials = credentials
    }

    public var name: String { credentials.source }

    public func fetchCredentials() async throws(AWSCredentialError) -> AWSCredentials { credentials }
}
