// ArtifactFormats module: every file format the service reads from bytes it does not control (the
// manifest and its signature file, safetensors, gzip, the feature store, the price response table, the
// catalogue CSV, the JSON and CSV readers), parsed from bytes alone. No folder, network or swift-crypto:
// Storage verifies the files (sha256, the ed25519 signature) and reads them from a version folder, and
// the fuzz targets (Fuzz/) build on this module without compiling BoringSSL.

/// Something wrong with one artifact file, said so that an operator can act on it.
public struct ArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong with the file.
    public enum Problem: Equatable, Sendable {
        case missing
        case unreadable(String)
        case sizeMismatch(expected: Int, actual: Int)
        case checksumMismatch(expected: String, actual: String)
        case malformed(String)
        case unsupported(String)
        /// The version has no signature (manifest.json.sig) and unsigned versions are not allowed.
        case unsigned(version: String)
        /// The version is signed with `key` (base64), which is not one of the pinned public keys.
        case unpinnedKey(version: String, key: String)
        /// The signature, by a pinned key, does not match the manifest's bytes: the manifest changed
        /// after it was signed (or the signature file was damaged).
        case manifestChanged(version: String)
        /// Refused for safety before anything was read: plain http without the setting that allows
        /// it, an https→http redirect, a download cache folder others could write. Says what to do.
        case insecure(String)
    }

    /// The file, relative to the version folder when it belongs to one. A URL's credentials are
    /// masked (``CredentialRedaction``): the file is named in logs, answers and exit messages.
    public let file: String
    public let problem: Problem

    public init(file: String, _ problem: Problem) {
        self.file = CredentialRedaction.redactingURLs(in: file)
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .missing: "\(file): file is missing"
        case .unreadable(let why): "\(file): cannot be read (\(why))"
        case .sizeMismatch(let expected, let actual):
            "\(file): is \(actual) bytes, the manifest says \(expected) (truncated or replaced?)"
        case .checksumMismatch(let expected, let actual):
            "\(file): sha256 is \(actual), the manifest says \(expected) (corrupted or replaced?)"
        case .malformed(let why): "\(file): malformed: \(why)"
        case .unsupported(let why): "\(file): unsupported: \(why)"
        case .unsigned(let version):
            "\(file): version \(version) is unsigned (no manifest.json.sig); the service loads only versions signed "
                + "with a key in artifact_public_keys: publish it with --signing-key (allow_unsigned_artifacts is for development only)"
        case .unpinnedKey(let version, let key):
            "\(file): version \(version): signature does not match any pinned key (it is signed with \(key)); add that "
                + "public key to artifact_public_keys if you trust it, or republish the version signed with a pinned key"
        case .manifestChanged(let version):
            "\(file): version \(version): manifest changed after it was signed (the signature by a pinned key does not "
                + "match the manifest's bytes); republish the version from the training output"
        case .insecure(let why): "\(file): refused: \(why)"
        }
    }
}
