// Storage module: the local version folder (size and sha256 of every file, the manifest's signature
// by a pinned key) and the tables read from it, the `ArtifactSource` protocol with its local
// implementation. The formats themselves are parsed in ArtifactFormats, which needs no swift-crypto.
// Knows nothing of models, pricing or networks; remote sources live in ArtifactSources.

public import ArtifactFormats
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    ///
    /// With `parallel`, files are read and hashed on every core (Dispatch's pool): for a load that
    /// nothing waits behind, such as the first one at start-up. A reload under traffic leaves it off so
    /// the request threads keep their cores.
    ///
    /// With `trust`, manifest.json's signature (``ManifestSignature``) is verified against the pinned
    /// keys before the manifest is parsed, over the very bytes then parsed, so a file swapped between
    /// the check and the read cannot slip through. The service always passes its trust; nil is for
    /// callers that vouch for the folder themselves (offline commands on a folder they name, tests).
    public static func load(path: String, parallel: Bool = false, trust: ArtifactTrust? = nil) throws(ArtifactError) -> ArtifactFolder {
        let folder = try resolveVersion(path)
        let manifestBytes = try readFile(folder + "/manifest.json", name: folder + "/manifest.json")
        if let trust {
            try trust.verify(manifest: manifestBytes, signature: try signatureFile(folder), file: folder + "/manifest.json")
        }
        let manifest = try Manifest.decode(manifestBytes, file: "manifest.json")
        // A damaged model file disables that model only (the service falls back to the next one);
        // damage anywhere else fails the whole version.
        let modelFiles = Set(manifest.models.map(\.file))
        // Largest first, so that the cores finish together.
        let files = manifest.files.sorted { ($0.value.bytes, $1.key) > ($1.value.bytes, $0.key) }
        let results = forEachInParallel(files.count, parallel: parallel) { i -> Result<[UInt8], ArtifactError> in
            let (name, entry) = files[i]
            return Result { () throws(ArtifactError) in try verifiedFile(folder: folder, name: name, bytes: entry.bytes, sha256: entry.sha256) }
        }
        var contents: [String: [UInt8]] = [:]
        var modelFailures: [String: ArtifactError] = [:]
        // Failures in name order, so the error reported is the same whatever order the cores finished in.
        for (i, (name, _)) in files.enumerated().sorted(by: { $0.element.key < $1.element.key }) {
            switch results[i] {
            case .success(let bytes): contents[name] = bytes
            case .failure(let error):
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
    /// Without `followLinks` a file that is a symbolic link is refused (the download cache's rule).
    package static func verifiedFile(folder: String, name: String, bytes size: Int, sha256: String,
                                     followLinks: Bool = true) throws(ArtifactError) -> [UInt8] {
        guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw ArtifactError(file: name, .malformed("path escapes the version folder"))
        }
        let bytes = try readFile(folder + "/" + name, name: name, followLinks: followLinks)
        guard bytes.count == size else {
            throw ArtifactError(file: name, .sizeMismatch(expected: size, actual: bytes.count))
        }
        let digest = sha256Hex(bytes)
        guard digest == sha256.lowercased() else {
            throw ArtifactError(file: name, .checksumMismatch(expected: sha256, actual: digest))
        }
        return bytes
    }

    /// The bytes of `folder`'s manifest.json.sig, nil when it has none.
    package static func signatureFile(_ folder: String) throws(ArtifactError) -> [UInt8]? {
        let path = folder + "/" + ManifestSignature.fileName
        do throws(ArtifactError) {
            return try readFile(path, name: path)
        } catch where error.problem == .missing {
            return nil
        }
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

    /// The bytes of the file at `path`, read straight into the array (no intermediate `Data`). Without
    /// `followLinks`, a symbolic link at `path` is refused rather than read (O_NOFOLLOW).
    package static func readFile(_ path: String, name: String, followLinks: Bool = true) throws(ArtifactError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ArtifactError(file: name, .missing) }
            if code == ELOOP && !followLinks {
                throw ArtifactError(file: name, .insecure("is a symbolic link; links in the download cache are never followed"))
            }
            throw ArtifactError(file: name, .unreadable(String(cString: strerror(code))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArtifactError(file: name, .unreadable(String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw ArtifactError(file: name, .unreadable("is a directory")) }
        let size = Int(info.st_size)
        var failure: Int32 = 0
        // One byte more than the size, so a file that grew since fstat shows as a size mismatch.
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            while count < buffer.count {
                let n = read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n > 0 { count += n } else if n == 0 || errno != EINTR { failure = n < 0 ? errno : 0; break }
            }
        }
        guard failure == 0 else { throw ArtifactError(file: name, .unreadable(String(cString: strerror(failure)))) }
        return bytes
    }
}
