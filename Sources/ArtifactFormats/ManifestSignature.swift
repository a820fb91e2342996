/// manifest.json.sig: the detached ed25519 signature of a version's manifest.json, over the manifest's
/// exact bytes, written by `python -m pricing_training publish` (and `train`) next to the manifest.
///
/// It is a small JSON object, `{"algorithm": "ed25519", "public_key": "<base64>", "signature": "<base64>"}`.
/// The public key is there only to name the signer in messages (which key to pin, or that a pinned
/// key's signature no longer matches): trust comes from the pinned keys of ``ArtifactTrust``, never
/// from this field.
public struct ManifestSignature: Sendable, Equatable {
    /// The file's name in a version folder, next to manifest.json.
    public static let fileName = "manifest.json.sig"
    /// A signature file is a few hundred bytes; anything much larger is not one.
    public static let sizeLimit = 4096

    /// The signer's raw 32-byte ed25519 public key, as the file claims it.
    public let publicKey: [UInt8]
    /// The raw 64-byte ed25519 signature.
    public let signature: [UInt8]

    /// Parses manifest.json.sig's bytes; `file` names it in errors.
    public init(bytes: [UInt8], file: String) throws(ArtifactError) {
        struct Body: Decodable {
            let algorithm: String
            let publicKey: String
            let signature: String
        }
        guard bytes.count <= Self.sizeLimit else {
            throw ArtifactError(file: file, .malformed("larger than \(Self.sizeLimit) bytes, not a signature file"))
        }
        let body = try decodeArtifactJSON(Body.self, from: bytes, file: file, context: "not a signature file")
        guard body.algorithm == "ed25519" else {
            throw ArtifactError(file: file, .unsupported("signature algorithm \(body.algorithm); this service verifies ed25519"))
        }
        guard let key = base64Decoded(body.publicKey), key.count == 32 else {
            throw ArtifactError(file: file, .malformed("public_key is not a base64 32-byte ed25519 key"))
        }
        guard let signature = base64Decoded(body.signature), signature.count == 64 else {
            throw ArtifactError(file: file, .malformed("signature is not a base64 64-byte ed25519 signature"))
        }
        self.publicKey = key
        self.signature = signature
    }
}
