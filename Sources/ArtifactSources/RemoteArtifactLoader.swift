import ArtifactFormats
import Foundation
import Storage

/// The HTTP and S3 sources: ``ArtifactSource``s whose work their ``RemoteArtifactLoader`` does; they
/// differ only in the ``RemoteStore`` it fetches from.
protocol RemoteArtifactSource: ArtifactSource {
    var loader: RemoteArtifactLoader { get }
}

extension RemoteArtifactSource {
    public func latestVersion() async throws(ArtifactError) -> String {
        try await loader.latestVersion()
    }

    public func localVersion(_ version: String) async throws(ArtifactError) -> String {
        try await loader.localVersion(version)
    }

    public func retainOnly(_ versions: Set<String>) {
        loader.cache.prune(keeping: versions)
    }
}

/// The download logic the HTTP and S3 sources share: read LATEST, and bring a version into the local
/// cache (manifest and its signature first, verified against the pinned keys, then every file it lists,
/// each verified, the version renamed into place last).
struct RemoteArtifactLoader: Sendable {
    let store: any RemoteStore
    let fetcher: HTTPFetcher
    let cache: VersionCache
    /// The pinned keys the remote manifest must be signed with.
    let trust: ArtifactTrust

    /// LATEST is one line; anything longer is not a LATEST file.
    static let latestLimit = 4096
    /// A manifest lists files; even a large version's is well below this.
    static let manifestLimit = 64 << 20

    init(store: any RemoteStore, cacheDirectory: String, settings: DownloadSettings, trust: ArtifactTrust) {
        self.store = store
        self.trust = trust
        self.fetcher = HTTPFetcher(settings: settings)
        var directory = cacheDirectory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.cache = VersionCache(directory: directory)
    }

    /// The version LATEST names now; fetched every time (it is how a new version is noticed).
    ///
    /// Without LATEST the location may be one version folder (as `MODELS` may name one on disk): its
    /// manifest.json's `model_version` is then the current version, read every time too, so a folder
    /// whose content is replaced is noticed the same way. When neither exists, LATEST is reported missing.
    func latestVersion() async throws(ArtifactError) -> String {
        let bytes: [UInt8]
        do throws(ArtifactError) {
            bytes = try await fetcher.fetch("LATEST", from: store, into: .memory(limit: Self.latestLimit))
        } catch where error.problem == .missing {
            guard let manifest = try await versionFolderManifest() else { throw error }
            return manifest.modelVersion
        }
        let version = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try ArtifactNames.checkVersion(version, file: store.displayName(for: "LATEST"))
        return version
    }

    /// The cached folder of `version`, downloading it first unless the cache already holds it intact.
    ///
    /// `version` is looked for in its folder below the models root, and then, when that has no
    /// manifest, as the location itself being that one version folder. The remote manifest and its
    /// signature are fetched every time and verified against the pinned keys before anything else:
    /// a cached copy is used only when it is that very manifest (and signature) with every file
    /// matching it, so the cache cannot serve a version the store no longer vouches for.
    func localVersion(_ version: String) async throws(ArtifactError) -> String {
        try ArtifactNames.checkVersion(version, file: store.displayName(for: version))
        var folder = version + "/"
        var manifest: [UInt8]
        do throws(ArtifactError) {
            manifest = try await fetcher.fetch(folder + "manifest.json", from: store, into: .memory(limit: Self.manifestLimit))
        } catch where error.problem == .missing {
            guard let single = try await versionFolderManifest(), single.modelVersion == version else { throw error }
            folder = ""
            manifest = single.bytes
        }
        let manifestPath = folder + "manifest.json"
        let signature = try await signatureFile(of: folder)
        try trust.verify(manifest: manifest, signature: signature, file: store.displayName(for: manifestPath))
        let list = try ManifestFileList(bytes: manifest, file: store.displayName(for: manifestPath))
        guard list.modelVersion == version else {
            throw ArtifactError(file: store.displayName(for: manifestPath), .malformed(
                "model_version is \(list.modelVersion), but it was fetched as version \(version)"))
        }
        if let cached = try cache.completeVersion(version, manifest: manifest, signature: signature) { return cached }
        return try await cache.install(version, manifest: manifest, signature: signature) { (partial: String) async throws(ArtifactError) in
            try await download(list, from: folder, into: partial)
        }
    }

    /// manifest.json.sig in `remoteFolder` (ending in "/", or "" for the root), nil when there is none.
    private func signatureFile(of remoteFolder: String) async throws(ArtifactError) -> [UInt8]? {
        do throws(ArtifactError) {
            return try await fetcher.fetch(remoteFolder + ManifestSignature.fileName, from: store,
                                           into: .memory(limit: ManifestSignature.sizeLimit))
        } catch where error.problem == .missing {
            return nil
        }
    }

    /// The location's own manifest.json when the location is one version folder, nil when it has none.
    /// Its `model_version` must be a plain version name: it becomes the cache folder's name.
    private func versionFolderManifest() async throws(ArtifactError) -> (modelVersion: String, bytes: [UInt8])? {
        let bytes: [UInt8]
        do throws(ArtifactError) {
            bytes = try await fetcher.fetch("manifest.json", from: store, into: .memory(limit: Self.manifestLimit))
        } catch where error.problem == .missing {
            return nil
        }
        let name = store.displayName(for: "manifest.json")
        let list = try ManifestFileList(bytes: bytes, file: name)
        try ArtifactNames.checkVersion(list.modelVersion, file: name)
        return (list.modelVersion, bytes)
    }

    /// Downloads every file of `list` from `remoteFolder` (a path below the root ending in "/", or ""
    /// for the root itself), a few at a time; the first failure cancels the rest.
    private func download(_ list: ManifestFileList, from remoteFolder: String, into folder: String) async throws(ArtifactError) {
        let subfolders = Set(list.files.compactMap { file -> String? in
            let parent = (file.name as NSString).deletingLastPathComponent
            return parent.isEmpty ? nil : parent
        })
        for subfolder in subfolders.sorted() {
            try cache.createDirectory(folder + "/" + subfolder, purpose: "a download folder")
        }
        let files = list.files
        let parallelism = fetcher.settings.parallelism
        let failure = await withTaskGroup(of: ArtifactError?.self) { group -> ArtifactError? in
            var next = 0
            var firstFailure: ArtifactError?
            func start(_ file: ManifestFileList.File) {
                group.addTask {
                    do throws(ArtifactError) {
                        _ = try await fetcher.fetch(remoteFolder + file.name, from: store, into: .file(
                            path: folder + "/" + file.name, bytes: file.bytes, sha256: file.sha256))
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            while next < min(parallelism, files.count) {
                start(files[next])
                next += 1
            }
            while let result = await group.next() {
                if let result, firstFailure == nil {
                    firstFailure = result
                    group.cancelAll()
                }
                if firstFailure == nil, next < files.count {
                    start(files[next])
                    next += 1
                }
            }
            return firstFailure
        }
        if let failure { throw failure }
    }
}
