public import Foundation

/// An AWS access key pair, with a session token for temporary credentials.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Sent as `x-amz-security-token` with temporary (STS, SSO) credentials.
    public var sessionToken: String?
    /// Where they were found, for messages: "environment", "profile dev in /home/x/.aws/credentials".
    public var source: String
    /// When temporary credentials stop working; nil for long-term keys, which never need refreshing.
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "given",
                expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
        self.expiration = expiration
    }

    /// The key ID masked down to its last four characters, and the source; never the secret.
    public var description: String {
        "access key …\(accessKeyID.suffix(4)) from \(source)"
    }
}
