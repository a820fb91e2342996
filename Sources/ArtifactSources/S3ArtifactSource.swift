public import ArtifactFormats
public import Storage

/// A models root in an S3 bucket (or an S3-compatible store): `s3://bucket/prefix/LATEST` names the
/// current version and `prefix/<version>/manifest.json` and `prefix/<version>/<file>` hold it, the same
/// layout as on disk.
///
/// Requests are GETs signed with AWS Signature Version 4 (``SigV4Signer``) using the credentials of
/// ``S3Settings/credentialProvider``, kept in an ``AWSCredentialCache`` and refreshed before they
/// expire. Versions are downloaded into `cacheDirectory`, every file checked against the manifest's size
/// and sha256 after the manifest's signature is verified against `trust`; a version already complete
/// there is reused once it matches the remote manifest. A refusal (wrong or
/// unknown keys, access denied) fails with an error naming the bucket, the key and S3's error code;
/// credentials that cannot be had fail with an error naming the provider and what it answered.
public struct S3ArtifactSource: RemoteArtifactSource {
    public let bucket: String
    /// Key prefix of the models root, without leading or trailing slash; empty for the bucket's root.
    public let prefix: String
    /// Where downloaded versions are kept.
    public let cacheDirectory: String
    /// The credentials requests are signed with, shared by every request of this source.
    public let credentials: AWSCredentialCache
    let loader: RemoteArtifactLoader

    public init(bucket: String, prefix: String, settings: S3Settings, cacheDirectory: String,
                download: DownloadSettings = DownloadSettings(), trust: ArtifactTrust) {
        var trimmed = prefix
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let credentials = AWSCredentialCache(provider: settings.credentialProvider, refreshMargin: settings.credentialRefreshMargin)
        self.bucket = bucket
        self.prefix = trimmed
        self.cacheDirectory = cacheDirectory
        self.credentials = credentials
        self.loader = RemoteArtifactLoader(
            store: S3Store(bucket: bucket, prefix: trimmed, settings: settings, credentials: credentials),
            cacheDirectory: cacheDirectory, settings: download, trust: trust)
    }

    public var description: String { ArtifactLocation.s3(bucket: bucket, prefix: prefix).description }

    // Requests are built synchronously (RemoteStore), so credentials are brought up to date here,
    // before any is built. A failure is not thrown here: a version already in the cache needs no
    // request, and a request that does need credentials reports the failure for its object.

    public func latestVersion() async throws(ArtifactError) -> String {
        await credentials.refreshIfDue()
        return try await loader.latestVersion()
    }

    public func localVersion(_ version: String) async throws(ArtifactError) -> String {
        await credentials.refreshIfDue()
        return try await loader.localVersion(version)
    }
}
