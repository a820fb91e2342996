public import ArtifactFormats
import Foundation

/// Where the training pipeline publishes artifact versions, as the service reads them: a models root
/// (`LATEST` names the current version, each version is a folder with manifest.json and its files),
/// or one version folder.
///
/// A source answers two questions: which version is current, and where a complete, verified local copy
/// of a version is. Remote sources download into a local cache folder; a version that was not fully
/// downloaded and verified is never returned.
///
/// Implementations: ``LocalArtifactSource`` (a folder on disk) here; `HTTPArtifactSource` (an http(s)://
/// models root) and `S3ArtifactSource` (`s3://bucket/prefix`) in the ArtifactSources module, whose
/// `makeArtifactSource(location:cacheDirectory:environment:download:trust:)` picks one from the `MODELS`
/// setting. Errors are ``ArtifactError``s naming the file (a path, URL or `s3://` key) and what is
/// wrong with it: `.missing` when LATEST, the version or a file does not exist, `.unreadable` for
/// network trouble, timeouts and refusals (after the retries of ``DownloadSettings``), `.malformed`
/// for names that would leave the models root, and size or checksum mismatches for damaged files.
public protocol ArtifactSource: Sendable, CustomStringConvertible {
    /// The version `LATEST` names now (for a version folder, on disk or remote: its manifest's version).
    func latestVersion() async throws(ArtifactError) -> String

    /// The path of a local folder holding `version` complete and verified against its manifest,
    /// downloading it first when the source is remote.
    func localVersion(_ version: String) async throws(ArtifactError) -> String

    /// Removes downloaded versions other than `versions` from the local cache, so a long-running
    /// service that swaps versions on every retraining does not fill its disk. Sources that download
    /// nothing keep everything.
    func retainOnly(_ versions: Set<String>)
}

extension ArtifactSource {
    public func retainOnly(_ versions: Set<String>) {}
}

/// A models root or a single version folder on the local disk: nothing to download.
public struct LocalArtifactSource: ArtifactSource {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public var description: String { path }

    /// Whether `path` is one version folder rather than a root with LATEST.
    var isVersionFolder: Bool { FileManager.default.fileExists(atPath: path + "/manifest.json") }

    public func latestVersion() async throws(ArtifactError) -> String {
        let folder = try ArtifactFolder.resolveVersion(path)
        guard isVersionFolder else { return (folder as NSString).lastPathComponent }
        // A version folder's name need not be its version: read the manifest's.
        let bytes = try ArtifactFolder.readFile(folder + "/manifest.json", name: folder + "/manifest.json")
        struct Head: Decodable { let modelVersion: String }
        guard let head = try? decodeArtifactJSON(Head.self, from: bytes, file: folder + "/manifest.json") else {
            throw ArtifactError(file: folder + "/manifest.json", .malformed("no model_version"))
        }
        return head.modelVersion
    }

    public func localVersion(_ version: String) async throws(ArtifactError) -> String {
        if isVersionFolder { return path }
        guard !version.isEmpty, !version.contains("/"), version != "..", version != "." else {
            throw ArtifactError(file: path + "/" + version, .malformed("not a version name"))
        }
        return path + "/" + version
    }
}
