import ArtifactFormats
import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local folder remote versions are downloaded into.
///
/// `<directory>/<version>` holds a complete, verified version. A download in progress lives in a
/// hidden, uniquely named `<directory>/.<version>.partial-<uuid>` and is renamed into place (one atomic
/// `rename(2)`) only after every file has been verified and manifest.json written last. So a reader
/// never sees half a version, and two downloaders (threads or processes) never write the same folder.
///
/// The folder is trusted no further than it can be: it is created 0700 and refused when another user
/// owns it or others can write to it (``PrivateFolder``); symbolic links in it are never followed,
/// not when reading, verifying or pruning; and a cached version is used only when its manifest and
/// signature are byte for byte the ones the remote store serves now (which were verified against the
/// pinned keys), with every file matching that manifest.
struct VersionCache: Sendable {
    let directory: String

    /// The folder of `version` when the cache holds it complete, intact, and exactly as `manifest`
    /// and `signature` (the remote store's current, verified bytes) describe it; else nil.
    ///
    /// Every file is checked rather than trusted: a folder can be damaged after it was renamed into
    /// place (edited by hand, a crash before the data reached the disk, a full disk), and a version
    /// republished under the same name must not be served from an older copy. A folder that does not
    /// match is removed, so the version is downloaded again. Throws when the cache folder itself is
    /// unsafe to use.
    func completeVersion(_ version: String, manifest: [UInt8], signature: [UInt8]?) throws(ArtifactError) -> String? {
        try PrivateFolder.ensure(directory, purpose: "the download cache folder")
        let folder = directory + "/" + version
        guard PrivateFolder.exists(folder) else { return nil }
        do throws(ArtifactError) {
            try verify(folder: folder, version: version)
            let manifestPath = folder + "/manifest.json"
            guard try ArtifactFolder.readFile(manifestPath, name: manifestPath, followLinks: false) == manifest,
                  try storedSignature(folder) == signature else {
                discard(folder)
                return nil
            }
            return folder
        } catch {
            // A link in the cache is someone's doing, not damage: refuse loudly instead of replacing it.
            if case .insecure = error.problem { throw error }
            discard(folder)
            return nil
        }
    }

    /// Downloads `version` into a fresh partial folder with `fill`, writes `signature` (when there is
    /// one) and then `manifest` last, and renames the folder into place. On any failure the partial
    /// folder is removed and the error rethrown.
    func install(_ version: String, manifest: [UInt8], signature: [UInt8]?,
                 fill: (String) async throws(ArtifactError) -> Void) async throws(ArtifactError) -> String {
        try PrivateFolder.ensure(directory, purpose: "the download cache folder")
        sweepAbandoned()
        let partial = directory + "/.\(version).partial-\(UUID().uuidString)"
        do throws(ArtifactError) {
            try createDirectory(partial, purpose: "a download folder")
            try await fill(partial)
            if let signature { try write(signature, to: partial + "/" + ManifestSignature.fileName) }
            try write(manifest, to: partial + "/manifest.json")
            return try moveIntoPlace(partial, version: version)
        } catch {
            discard(partial)
            throw error
        }
    }

    /// Creates the folder `path` (0700) inside a download.
    func createDirectory(_ path: String, purpose: String) throws(ArtifactError) {
        guard mkdir(path, 0o700) == 0 || (errno == EEXIST && PrivateFolder.isFolder(path)) else {
            throw ArtifactError(file: path, .unreadable("cannot create \(purpose): \(String(cString: strerror(errno)))"))
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws(ArtifactError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ArtifactError(file: path, .unreadable("cannot be written"))
        }
    }

    /// The cached manifest.json.sig of `folder`, nil when it has none; a link there is refused.
    private func storedSignature(_ folder: String) throws(ArtifactError) -> [UInt8]? {
        let path = folder + "/" + ManifestSignature.fileName
        do throws(ArtifactError) {
            return try ArtifactFolder.readFile(path, name: path, followLinks: false)
        } catch where error.problem == .missing {
            return nil
        }
    }

    private func moveIntoPlace(_ partial: String, version: String) throws(ArtifactError) -> String {
        let target = directory + "/" + version
        for _ in 0..<2 {
            if rename(partial, target) == 0 { return target }
            let code = errno
            guard code == EEXIST || code == ENOTEMPTY else {
                throw ArtifactError(file: target, .unreadable(
                    "cannot move the finished download into place: \(String(cString: strerror(code)))"))
            }
            // Another downloader finished the same version first: keep theirs if it is intact and the
            // same bytes as ours.
            if (try? verify(folder: target, version: version)) != nil,
               (try? ArtifactFolder.readFile(target + "/manifest.json", name: "manifest.json", followLinks: false))
                == (try? ArtifactFolder.readFile(partial + "/manifest.json", name: "manifest.json", followLinks: false)) {
                discard(partial)
                return target
            }
            discard(target)
        }
        throw ArtifactError(file: target, .unreadable("cannot move the finished download into place: the folder keeps reappearing"))
    }

    /// Checks that `folder` holds `version` complete: its manifest, and every file it lists with the
    /// listed size and sha256 (the check ``ArtifactFolder/load(path:)`` makes, one file in memory at a
    /// time), with no symbolic link anywhere in it.
    func verify(folder: String, version: String) throws(ArtifactError) {
        if let link = PrivateFolder.firstSymlink(under: folder) {
            throw ArtifactError(file: link, .insecure("a symbolic link in the download cache; links there are never followed"))
        }
        let manifestPath = folder + "/manifest.json"
        let list = try ManifestFileList(bytes: try ArtifactFolder.readFile(manifestPath, name: manifestPath, followLinks: false),
                                        file: manifestPath)
        guard list.modelVersion == version else {
            throw ArtifactError(file: manifestPath, .malformed("model_version is \(list.modelVersion), the folder is \(version)"))
        }
        for file in list.files {
            _ = try ArtifactFolder.verifiedFile(folder: folder, name: file.name, bytes: file.bytes, sha256: file.sha256,
                                                followLinks: false)
        }
    }

    /// How long a partial download may go untouched before it counts as abandoned.
    static let abandonedAfter: Duration = .seconds(24 * 3600)

    /// Removes what interrupted runs left behind: folders whose removal was cut short, and partial
    /// downloads untouched for ``abandonedAfter``. A download in progress adds files to its folder
    /// (which updates the folder's modification time), so one quiet for a day belongs to a process
    /// that is gone.
    func sweepAbandoned() {
        let cutoff = Date().addingTimeInterval(-Double(Self.abandonedAfter.components.seconds))
        for name in PrivateFolder.entries(of: directory) where name.hasPrefix(".") {
            let path = directory + "/" + name
            if name.contains(".trash-") {
                PrivateFolder.removeTree(path)
            } else if name.contains(".partial-") {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                #if canImport(Darwin)
                let modified = info.st_mtimespec.tv_sec
                #else
                let modified = info.st_mtim.tv_sec
                #endif
                if Double(modified) < cutoff.timeIntervalSince1970 { PrivateFolder.removeTree(path) }
            }
        }
    }

    /// Removes every complete version except `versions` (hidden partial and trash folders are left to
    /// ``sweepAbandoned()``: a partial one may be a download in progress). A symbolic link is removed
    /// itself, never what it points to; nothing is removed from a cache folder that fails
    /// ``PrivateFolder/ensure(_:purpose:)``.
    func prune(keeping versions: Set<String>) {
        guard PrivateFolder.isFolder(directory),
              (try? PrivateFolder.ensure(directory, purpose: "the download cache folder")) != nil else { return }
        for name in PrivateFolder.entries(of: directory) where !name.hasPrefix(".") && !versions.contains(name) {
            let path = directory + "/" + name
            if PrivateFolder.isFolder(path) {
                discard(path)
            } else {
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK { unlink(path) }
            }
        }
    }

    /// Removes `folder`, first renaming it to a hidden name so that no reader finds it half deleted.
    func discard(_ folder: String) {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        let trash = parent + "/.\(name.hasPrefix(".") ? String(name.dropFirst()) : name).trash-\(UUID().uuidString)"
        PrivateFolder.removeTree(rename(folder, trash) == 0 ? trash : folder)
    }
}
