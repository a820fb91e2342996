// ArtifactSources module: where artifact versions come from besides a local folder: http(s) and S3
// models roots (transfers with retries, SigV4, the AWS credential providers) downloaded into a verified
// local cache, and the factory that picks a source from the `MODELS` setting. Depends on Storage.

public import ArtifactFormats
public import Storage

/// The artifact source for a `MODELS` setting (see ``ArtifactLocation``): a local folder as is, an
/// http(s):// or s3:// models root downloading into `cacheDirectory`.
///
/// Remote sources verify each version's manifest signature against `trust` before downloading it
/// (the service verifies every version it loads again, local ones included). A plain http:// models
/// root or S3 endpoint is refused here, at start-up, unless `download.allowInsecureHTTP` is set.
///
/// S3 settings come from `environment` (see ``S3Settings/fromEnvironment(_:location:)``); it is a
/// parameter rather than the process environment so that callers and tests decide what is read.
/// Throws when the setting cannot be parsed or the S3 credential settings are incomplete or name
/// nothing usable, so a misconfiguration stops the service at start-up rather than at its first
/// download. Role credentials (web identity, container, EC2 instance metadata) are fetched at the first
/// request, which is the service's first load: failing there stops it too, naming what was tried.
public func makeArtifactSource(
    location: String,
    cacheDirectory: String,
    environment: [String: String],
    download: DownloadSettings = DownloadSettings(),
    trust: ArtifactTrust
) throws(ArtifactError) -> any ArtifactSource {
    let parsed = try ArtifactLocation(parsing: location)
    switch parsed {
    case .local(let path):
        return LocalArtifactSource(path: path)
    case .http(let baseURL):
        if let why = download.refusal(of: baseURL) { throw ArtifactError(file: parsed.description, .insecure(why)) }
        return HTTPArtifactSource(baseURL: baseURL, cacheDirectory: cacheDirectory, settings: download, trust: trust)
    case .s3(let bucket, let prefix):
        let settings = try S3Settings.fromEnvironment(environment, location: parsed.description)
        if let endpoint = settings.endpoint, let why = download.refusal(of: endpoint) {
            throw ArtifactError(file: parsed.description, .insecure("the S3 endpoint \(endpoint.absoluteString): \(why)"))
        }
        return S3ArtifactSource(bucket: bucket, prefix: prefix, settings: settings, cacheDirectory: cacheDirectory,
                                download: download, trust: trust)
    }
}
