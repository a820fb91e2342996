// Storage module: the artifact format and the local version folder (manifest, size and sha256 of every
// file, safetensors, gzip, the feature store, the price response table), and the `ArtifactSource`
// protocol with its local implementation. Knows nothing of models, pricing or networks; remote
// sources live in ArtifactSources.

import Foundation

/// One artifact version folder, read from disk and verified as a whole.
///
/// Loading reads manifest.json, then every file the manifest lists, checking each one's size and
/// sha256 before anything is parsed. A missing, truncated or altered file fails the whole load with an
/// `ArtifactError` naming it, so a caller never holds a partly loaded version. The exception is a
/// model file: its damage is recorded in `modelFailures` and only that model is unavailable.
public struct ArtifactFolder: Sendable {
    /// The version folder's path.
    public let path: String
    public let manifest: Manifest
    private let contents: [String: [UInt8]]
    /// Model files that failed verification; their models are unavailable, the rest of the version is fine.
    public let modelFailures: [String: ArtifactError]

    /// Loads `path`, which is either a version folder (has manifest.json) or a models root whose
    /// `LATEST` file names the version to load.
    public static func load(path: String) throws(ArtifactError) -> ArtifactFolder {
        let folder = try resolveVersion(path)
        let manifestBytes = try readFile(folder + "/manifest.json", name: folder + "/manifest.json")
        let manifest = try Manifest.decode(manifestBytes, file: "manifest.json")
        // A damaged model file disables that model only (the service falls back to the next one);
        // damage anywhere else fails the whole version.
        let modelFiles = Set(manifest.models.map(\.file))
        var contents: [String: [UInt8]] = [:]
        var modelFailures: [String: ArtifactError] = [:]
        for (name, entry) in manifest.files.sorted(by: { $0.key < $1.key }) {
            do throws(ArtifactError) {
                contents[name] = try verifiedFile(folder: folder, name: name, bytes: entry.bytes, sha256: entry.sha256)
            } catch {
                guard modelFiles.contains(name) else { throw error }
                modelFailures[name] = error
            }
        }
        for file in modelFiles where contents[file] == nil && modelFailures[file] == nil {
            modelFailures[file] = ArtifactError(file: file, .malformed("a model file the manifest's file list does not include"))
        }
        return ArtifactFolder(path: folder, manifest: manifest, contents: contents, modelFailures: modelFailures)
    }

    /// The bytes of `name` in `folder`, checked against the manifest's size and sha256 (hex, any case).
    /// Errors name the file relative to the folder.
    package static func verifiedFile(folder: String, name: String, bytes size: Int, sha256: String) throws(ArtifactError) -> [UInt8] {
        guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw ArtifactError(file: name, .malformed("path escapes the version folder"))
        }
        let bytes = try readFile(folder + "/" + name, name: name)
        guard bytes.count == size else {
            throw ArtifactError(file: name, .sizeMismatch(expected: size, actual: bytes.count))
        }
        let digest = sha256Hex(bytes)
        guard digest == sha256.lowercased() else {
            throw ArtifactError(file: name, .checksumMismatch(expected: sha256, actual: digest))
        }
        return bytes
    }

    /// The verified bytes of a file listed in the manifest.
    public func bytes(_ name: String) throws(ArtifactError) -> [UInt8] {
        if let failure = modelFailures[name] { throw failure }
        guard let bytes = contents[name] else { throw ArtifactError(file: name, .missing) }
        return bytes
    }

    /// A version folder for `path`: itself when it has manifest.json, else root/LATEST's version.
    public static func resolveVersion(_ path: String) throws(ArtifactError) -> String {
        let fm = FileManager.default
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        if fm.fileExists(atPath: trimmed + "/manifest.json") { return trimmed }
        guard fm.fileExists(atPath: trimmed + "/LATEST") else {
            if !fm.fileExists(atPath: trimmed) { throw ArtifactError(file: trimmed, .missing) }
            throw ArtifactError(file: trimmed + "/manifest.json", .missing)
        }
        let latest = try readFile(trimmed + "/LATEST", name: trimmed + "/LATEST")
        let version = String(decoding: latest, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !version.isEmpty, !version.contains("/") else {
            throw ArtifactError(file: trimmed + "/LATEST", .malformed("does not name a version folder"))
        }
        return trimmed + "/" + version
    }

    package static func readFile(_ path: String, name: String) throws(ArtifactError) -> [UInt8] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ArtifactError(file: name, .missing) }
        guard !isDirectory.boolValue else { throw ArtifactError(file: name, .unreadable("is a directory")) }
        guard let data = fm.contents(atPath: path) else { throw ArtifactError(file: name, .unreadable("permission denied or I/O error")) }
        return [UInt8](data)
    }
}
