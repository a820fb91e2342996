/// A models root in an S3 bucket (or an S3-compatible store): `s3://bucket/prefix/LATEST` names the
/// current version and `prefix/<version>/manifest.json` and `prefix/<version>/<file>` hold it, the same
/// layout as on disk.
///
/// Requests are GETs signed with AWS Signature Version 4 (``SigV4Signer``) using ``S3Settings``.
/// Versions are downloaded into `cacheDirectory`, every file checked against the manifest's size and
/// sha256; a version already complete there is reused without a request. A refusal (wrong or unknown
/// keys, access denied) fails with an error naming the bucket, the key and S3's error code.
public struct S3ArtifactSource: RemoteArtifactSource {
    public let bucket: String
    /// Key prefix of the models root, without leading or trailing slash; empty for the bucket's root.
    public let prefix: String
    /// Where downloaded versions are kept.
    public let cacheDirectory: String
    let loader: RemoteArtifactLoader

    public init(bucket: String, prefix: String, settings: S3Settings, cacheDirectory: String,
                download: DownloadSettings = DownloadSettings()) {
        var trimmed = prefix
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.bucket = bucket
        self.prefix = trimmed
        self.cacheDirectory = cacheDirectory
        self.loader = RemoteArtifactLoader(store: S3Store(bucket: bucket, prefix: trimmed, settings: settings),
                                           cacheDirectory: cacheDirectory, settings: download)
    }

    public var description: String { ArtifactLocation.s3(bucket: bucket, prefix: prefix).description }
}
