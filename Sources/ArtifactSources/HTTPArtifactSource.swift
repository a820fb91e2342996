public import Storage
public import Foundation

/// A models root served over HTTP(S), e.g. a static file server, a CDN or an object store's web
/// endpoint: `<baseURL>/LATEST` names the current version and `<baseURL>/<version>/manifest.json` and
/// `<baseURL>/<version>/<file>` hold it.
///
/// Versions are downloaded into `cacheDirectory` (see ``ArtifactSource/localVersion(_:)``), every
/// file checked against the manifest's size and sha256, once the manifest's signature is verified
/// against `trust` (``ArtifactTrust``); a version already complete there is reused when it matches the
/// remote manifest. Timeouts, retries and whether plain http:// is allowed follow ``DownloadSettings``.
public struct HTTPArtifactSource: RemoteArtifactSource {
    /// The models root, without a trailing slash.
    public let baseURL: URL
    /// Where downloaded versions are kept.
    public let cacheDirectory: String
    let loader: RemoteArtifactLoader

    public init(baseURL: URL, cacheDirectory: String, settings: DownloadSettings = DownloadSettings(), trust: ArtifactTrust) {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let root = URL(string: base) ?? baseURL
        self.baseURL = root
        self.cacheDirectory = cacheDirectory
        self.loader = RemoteArtifactLoader(store: HTTPStore(baseURL: root), cacheDirectory: cacheDirectory, settings: settings,
                                           trust: trust)
    }

    public var description: String { ArtifactLocation.redacted(baseURL) }
}
