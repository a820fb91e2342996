import Storage
import Foundation
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
struct VersionCache: Sendable {
    let directory: String

    /// The folder of `version` when the cache holds it complete and intact, else nil.
    ///
    /// Every file is checked against the manifest (size and sha256) rather than trusted: a folder can
    /// be damaged after it was renamed into place (edited by hand, a crash before the data reached the
    /// disk, a full disk). A damaged folder is removed so the version is downloaded again.
    func completeVersion(_ version: String) -> String? {
        let folder = directory + "/" + version
        guard FileManager.default.fileExists(atPath: folder) else { return nil }
        do {
            try verify(folder: folder, version: version)
            return folder
        } catch {
            discard(folder)
            return nil
        }
    }

    /// Downloads `version` into a fresh partial folder with `fill`, writes `manifest` last and renames
    /// the folder into place. On any failure the partial folder is removed and the error rethrown.
    func install(_ version: String, manifest: [UInt8],
                 fill: (String) async throws(ArtifactError) -> Void) async throws(ArtifactError) -> String {
        try createDirectory(directory, purpose: "the download cache folder")
        sweepAbandoned()
        let partial = directory + "/.\(version).partial-\(UUID().uuidString)"
        do throws(ArtifactError) {
            try createDirectory(partial, purpose: "a download folder")
            try await fill(partial)
            guard FileManager.default.createFile(atPath: partial + "/manifest.json", contents: Data(manifest)) else {
                throw ArtifactError(file: partial + "/manifest.json", .unreadable("cannot be written"))
            }
            return try moveIntoPlace(partial, version: version)
        } catch {
            discard(partial)
            throw error
        }
    }

    /// Creates `path` and its parents when missing.
    func createDirectory(_ path: String, purpose: String) throws(ArtifactError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError(file: path, .unreadable("cannot create \(purpose): \(error.localizedDescription)"))
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
            // Another downloader finished the same version first: keep theirs if it is intact.
            if (try? verify(folder: target, version: version)) != nil {
                discard(partial)
                return target
            }
            discard(target)
        }
        throw ArtifactError(file: target, .unreadable("cannot move the finished download into place: the folder keeps reappearing"))
    }

    /// Checks that `folder` holds `version` complete: its manifest, and every file it lists with the
    /// listed size and sha256 (the check ``ArtifactFolder/load(path:)`` makes, one file in memory at a time).
    func verify(folder: String, version: String) throws(ArtifactError) {
        let manifestPath = folder + "/manifest.json"
        let list = try ManifestFileList(bytes: try ArtifactFolder.readFile(manifestPath, name: manifestPath), file: manifestPath)
        guard list.modelVersion == version else {
            throw ArtifactError(file: manifestPath, .malformed("model_version is \(list.modelVersion), the folder is \(version)"))
        }
        for file in list.files {
            _ = try ArtifactFolder.verifiedFile(folder: folder, name: file.name, bytes: file.bytes, sha256: file.sha256)
        }
    }

    /// How long a partial download may go untouched before it counts as abandoned.
    static let abandonedAfter: Duration = .seconds(24 * 3600)

    /// Removes what interrupted runs left behind: folders whose removal was cut short, and partial
    /// downloads untouched for ``abandonedAfter``. A download in progress adds files to its folder
    /// (which updates the folder's modification time), so one quiet for a day belongs to a process
    /// that is gone.
    func sweepAbandoned() {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return }
        let cutoff = Date().addingTimeInterval(-Double(Self.abandonedAfter.components.seconds))
        for name in names where name.hasPrefix(".") {
            let path = directory + "/" + name
            if name.contains(".trash-") {
                try? fileManager.removeItem(atPath: path)
            } else if name.contains(".partial-"),
                      let modified = (try? fileManager.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                      modified < cutoff {
                try? fileManager.removeItem(atPath: path)
            }
        }
    }

    /// Removes every complete version except `versions` (hidden partial and trash folders are left to
    /// ``sweepAbandoned()``: a partial one may be a download in progress).
    func prune(keeping versions: Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where !name.hasPrefix(".") && !versions.contains(name) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            discard(directory + "/" + name)
        }
    }

    /// Removes `folder`, first renaming it to a hidden name so that no reader finds it half deleted.
    func discard(_ folder: String) {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        let trash = parent + "/.\(name.hasPrefix(".") ? String(name.dropFirst()) : name).trash-\(UUID().uuidString)"
        let doomed = rename(folder, trash) == 0 ? trash : folder
        try? FileManager.default.removeItem(atPath: doomed)
    }
}
