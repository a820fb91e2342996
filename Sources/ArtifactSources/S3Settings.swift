public import ArtifactFormats
public import Foundation

/// How to reach S3: where credentials come from, region, and for S3-compatible stores (MinIO, Ceph,
/// LocalStack, moto…) a custom endpoint, usually with path-style addressing.
public struct S3Settings: Sendable {
    /// Where the credentials every request is signed with come from: fixed keys, or a role provider
    /// (web identity, container, EC2 instance metadata) whose temporary credentials are refreshed.
    public var credentialProvider: any AWSCredentialProvider
    /// How long before their expiration temporary credentials are fetched again (at most half their
    /// lifetime before; see ``AWSCredentialCache``).
    public var credentialRefreshMargin: Duration = AWSCredentialCache.defaultRefreshMargin
    /// The region requests are signed for (and, without a custom endpoint, the endpoint's region).
    public var region: String
    /// A custom endpoint such as `http://minio:9000`, or nil for AWS's regional endpoint.
    public var endpoint: URL?
    /// `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint host>/<key>` (virtual-hosted).
    public var pathStyle: Bool

    /// `pathStyle` defaults to true with a custom endpoint (S3-compatible stores rarely have DNS for
    /// bucket subdomains) and false for AWS.
    public init(credentials: AWSCredentials, region: String = "us-east-1", endpoint: URL? = nil, pathStyle: Bool? = nil) {
        self.init(credentialProvider: StaticCredentialProvider(credentials), region: region, endpoint: endpoint,
                  pathStyle: pathStyle)
    }

    /// Settings whose credentials come from `credentialProvider`; `pathStyle` as in
    /// ``init(credentials:region:endpoint:pathStyle:)``.
    public init(credentialProvider: any AWSCredentialProvider, region: String = "us-east-1", endpoint: URL? = nil,
                pathStyle: Bool? = nil) {
        self.credentialProvider = credentialProvider
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle ?? (endpoint != nil)
    }

    /// The fixed credentials, when there are such (keys from the environment, a profile or a caller);
    /// nil when a role provider fetches temporary ones.
    public var credentials: AWSCredentials? {
        (credentialProvider as? StaticCredentialProvider)?.credentials
    }

    /// Reads the standard AWS settings from `environment` (and the shared files it points to):
    ///
    /// - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, else the
    ///   profile `AWS_PROFILE` (default `default`) in `AWS_SHARED_CREDENTIALS_FILE` (default
    ///   `~/.aws/credentials`) or `AWS_CONFIG_FILE` (default `~/.aws/config`, `[profile name]`), else
    ///   web identity, container credentials or EC2 instance metadata (see ``AWSCredentialChain``);
    /// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the config file, else
    ///   `us-east-1`;
    /// - endpoint: `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS;
    /// - `AWS_S3_FORCE_PATH_STYLE=true|false` overrides the addressing style.
    ///
    /// Throws, naming `location`, when a setting is malformed or incomplete, or when there are no
    /// credentials and EC2 instance metadata is disabled. Otherwise whether role credentials can be had
    /// shows at the first request (the service's first load, which stops it when it fails).
    public static func fromEnvironment(_ environment: [String: String], location: String) throws(ArtifactError) -> S3Settings {
        let aws = AWSEnvironment(environment)
        let provider = try AWSCredentialChain.provider(for: aws, location: location)
        var endpoint: URL?
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            guard let text = aws.value(name) else { continue }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty, url.query == nil else {
                throw ArtifactError(file: name, .malformed("\"\(text)\" is not an http(s):// endpoint URL"))
            }
            endpoint = url
            break
        }
        var pathStyle: Bool?
        if let text = aws.value("AWS_S3_FORCE_PATH_STYLE") {
            switch text.lowercased() {
            case "true", "1", "yes": pathStyle = true
            case "false", "0", "no": pathStyle = false
            default: throw ArtifactError(file: "AWS_S3_FORCE_PATH_STYLE", .malformed("\"\(text)\" is not true or false"))
            }
        }
        return S3Settings(credentialProvider: provider, region: aws.region, endpoint: endpoint, pathStyle: pathStyle)
    }
}
