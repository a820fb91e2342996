import ArtifactFormats
import Crypto
import Foundation
public import Storage

/// Signatures for test versions: the committed version is signed with the repository's key (its public
/// half pinned in config/server.json), and versions a test alters are re-signed with an ephemeral key
/// made for this test process, whose private half never leaves memory.
public enum TestSigning {
    /// This process's signing key, kept as its raw bytes (Data is Sendable; the key type is not).
    private static let keyBytes = Curve25519.Signing.PrivateKey().rawRepresentation
    private static var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes) }

    /// The ephemeral key's public half, base64 (as `artifact_public_keys` lists keys).
    public static var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// The keys config/server.json pins (the committed version is signed with one of them).
    public static let committedKeys: [String] = {
        let path = CommittedModels.repositoryRoot + "/config/server.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let keys = object["artifact_public_keys"] as? [String] else { return [] }
        return keys
    }()

    /// The committed keys and the ephemeral one.
    public static var publicKeys: [String] { committedKeys + [publicKey] }

    /// What the service trusts in tests: the committed keys and the ephemeral one, unsigned refused.
    public static var trust: ArtifactTrust { try! ArtifactTrust(publicKeys: publicKeys) }

    /// `ARTIFACT_PUBLIC_KEYS` for a server process that must trust what this process signs.
    public static var environment: [String: String] { ["ARTIFACT_PUBLIC_KEYS": publicKeys.joined(separator: ",")] }

    /// A key no test trusts (for the wrong-key case).
    private static let strangerBytes = Curve25519.Signing.PrivateKey().rawRepresentation
    private static var stranger: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: strangerBytes) }

    /// manifest.json.sig's bytes for `manifest`, signed with the ephemeral key, or with a key nobody
    /// pins when `byStranger`.
    public static func signature(for manifest: [UInt8], byStranger: Bool = false) -> [UInt8] {
        let signer = byStranger ? stranger : key
        let signature = try! signer.signature(for: manifest)
        let body = """
            {"algorithm": "ed25519", "public_key": "\(signer.publicKey.rawRepresentation.base64EncodedString())", \
            "signature": "\(signature.base64EncodedString())"}

            """
        return Array(body.utf8)
    }

    /// Writes `folder`/manifest.json.sig for its manifest.json as it is now.
    public static func sign(folder: String, byStranger: Bool = false) throws {
        let manifest = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        try Data(signature(for: [UInt8](manifest), byStranger: byStranger)).write(to: URL(fileURLWithPath: folder + "/" + ManifestSignature.fileName))
    }

    /// The stranger's public key, base64 (as error messages name it).
    public static var strangerPublicKey: String { stranger.publicKey.rawRepresentation.base64EncodedString() }
}
