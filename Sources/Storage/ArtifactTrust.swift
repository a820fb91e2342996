public import ArtifactFormats
import Crypto

/// Which artifact versions the service trusts: those whose manifest.json carries a valid ed25519
/// signature (``ManifestSignature``) by one of the pinned public keys.
///
/// The manifest lists the size and sha256 of every other file of the version, so a verified manifest
/// vouches for the whole version; the connection it came over (a local folder, http(s), S3, the
/// download cache) is not trusted. Several keys may be pinned at once so a key can be rotated: pin
/// the new key, publish signed with it, then unpin the old one.
public struct ArtifactTrust: Sendable, Equatable {
    /// The pinned raw 32-byte ed25519 public keys.
    public let publicKeys: [[UInt8]]
    /// Development only: a version without a signature is loaded. A version that is signed must still
    /// verify (a signature that does not match is never ignored).
    public let allowUnsigned: Bool

    /// `publicKeys` are base64 ed25519 public keys (32 bytes each), as `artifact_public_keys` lists them.
    /// Throws naming the key that is not one.
    public init(publicKeys: [String], allowUnsigned: Bool = false) throws(ArtifactError) {
        var keys: [[UInt8]] = []
        for text in publicKeys {
            guard let key = base64Decoded(text), key.count == 32,
                  (try? Curve25519.Signing.PublicKey(rawRepresentation: key)) != nil else {
                throw ArtifactError(file: "artifact_public_keys", .malformed(
                    "\"\(text)\" is not a base64 ed25519 public key (32 bytes; `python -m pricing_training keygen` prints one)"))
            }
            keys.append(key)
        }
        self.init(rawKeys: keys, allowUnsigned: allowUnsigned)
    }

    /// `rawKeys` are raw 32-byte ed25519 public keys.
    public init(rawKeys: [[UInt8]], allowUnsigned: Bool = false) {
        self.publicKeys = rawKeys
        self.allowUnsigned = allowUnsigned
    }

    /// Throws unless `signature` (manifest.json.sig's bytes, nil when there is none) is a valid
    /// signature of exactly `manifest` by a pinned key. `file` names the manifest in errors; the
    /// error names the version (as the manifest claims it) and the cause: unsigned, signed by a key
    /// that is not pinned, or a manifest that changed after it was signed.
    public func verify(manifest: [UInt8], signature: [UInt8]?, file: String) throws(ArtifactError) {
        try ManifestSignature.verify(manifest: manifest, signature: signature, file: file, pinnedKeys: publicKeys,
                                     allowUnsigned: allowUnsigned) { signature, key, message in
            (try? Curve25519.Signing.PublicKey(rawRepresentation: key))?.isValidSignature(signature, for: message) == true
        }
    }
}
