import Foundation

extension ManifestSignature {
    /// Whether `signature` is a valid ed25519 signature of `message` by the raw 32-byte public `key`.
    public typealias Ed25519Check = (_ signature: [UInt8], _ key: [UInt8], _ message: [UInt8]) -> Bool

    /// `ArtifactTrust.verify`'s decision, apart from the ed25519 arithmetic, which `isValid` does
    /// (Storage's `ArtifactTrust` passes swift-crypto's; this module stays free of it, so the fuzz
    /// build of the parsers compiles no BoringSSL). Throws unless `signature` (manifest.json.sig's
    /// bytes, nil when there is none) is a valid signature of exactly `manifest` by one of
    /// `pinnedKeys`. `file` names the manifest in errors; the error names the version (as the
    /// manifest claims it) and the cause: unsigned, signed by a key that is not pinned, or a
    /// manifest that changed after it was signed.
    public static func verify(manifest: [UInt8], signature: [UInt8]?, file: String, pinnedKeys: [[UInt8]],
                              allowUnsigned: Bool, isValid: Ed25519Check) throws(ArtifactError) {
        guard let signature else {
            if allowUnsigned { return }
            throw ArtifactError(file: file, .unsigned(version: claimedVersion(manifest)))
        }
        let parsed = try ManifestSignature(bytes: signature, file: file + ".sig")
        // Every pinned key is tried, whichever key the file names: the named key only explains a failure.
        for key in pinnedKeys where isValid(parsed.signature, key, manifest) { return }
        // Only now is the manifest read for its version, to name it: a verified one needs no second parse.
        let version = claimedVersion(manifest)
        guard pinnedKeys.contains(parsed.publicKey) else {
            throw ArtifactError(file: file, .unpinnedKey(version: version, key: Data(parsed.publicKey).base64EncodedString()))
        }
        throw ArtifactError(file: file, .manifestChanged(version: version))
    }

    /// The manifest's `model_version` for messages, before it is verified; "(unknown version)" when
    /// the bytes do not say.
    static func claimedVersion(_ manifest: [UInt8]) -> String {
        struct Head: Decodable { let modelVersion: String }
        return (try? decodeArtifactJSON(Head.self, from: manifest, file: "manifest.json"))?.modelVersion ?? "(unknown version)"
    }
}

/// Standard base64 (padding required), nil when `text` is not.
package func base64Decoded(_ text: String) -> [UInt8]? {
    Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)).map { [UInt8]($0) }
}
