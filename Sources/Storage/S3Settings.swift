public import Foundation

/// How to reach S3: credentials, region, and for S3-compatible stores (MinIO, Ceph, LocalStack, moto…)
/// a custom endpoint, usually with path-style addressing.
public struct S3Settings: Sendable, Equatable {
    public var credentials: AWSCredentials
    /// The region requests are signed for (and, without a custom endpoint, the endpoint's region).
    public var region: String
    /// A custom endpoint such as `http://minio:9000`, or nil for AWS's regional endpoint.
    public var endpoint: URL?
    /// `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint host>/<key>` (virtual-hosted).
    public var pathStyle: Bool

    /// `pathStyle` defaults to true with a custom endpoint (S3-compatible stores rarely have DNS for
    /// bucket subdomains) and false for AWS.
    public init(credentials: AWSCredentials, region: String = "us-east-1", endpoint: URL? = nil, pathStyle: Bool? = nil) {
        self.credentials = credentials
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle ?? (endpoint != nil)
    }

    /// Reads the standard AWS settings from `environment` (and the shared files it points to):
    ///
    /// - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, else the
    ///   profile `AWS_PROFILE` (default `default`) in `AWS_SHARED_CREDENTIALS_FILE` (default
    ///   `~/.aws/credentials`) or `AWS_CONFIG_FILE` (default `~/.aws/config`, `[profile name]`);
    /// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the config file, else
    ///   `us-east-1`;
    /// - endpoint: `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS;
    /// - `AWS_S3_FORCE_PATH_STYLE=true|false` overrides the addressing style.
    ///
    /// Throws, naming `location`, when there are no credentials or a setting is malformed.
    public static func fromEnvironment(_ environment: [String: String], location: String) throws(ArtifactError) -> S3Settings {
        let aws = AWSEnvironment(environment)
        let credentials = try aws.credentials(for: location)
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
        return S3Settings(credentials: credentials, region: aws.region, endpoint: endpoint, pathStyle: pathStyle)
    }
}
