@testable import ArtifactFormats
import FuzzSupport

/// manifest.json (Manifest.decode, and ManifestFileList, which a download reads first). Properties:
/// - a manifest loads or is refused with an ``ArtifactError`` naming the manifest, malformed or unsupported;
/// - a loaded manifest satisfies what the service relies on (format 2, the baseline target, no price
///   features, the price response's ranges);
/// - every file name a download would accept stays inside the version folder;
/// - the same bytes as manifest.json.sig parse or are refused naming the signature file, and never
///   verify against a pinned key whose private half nobody has (a signature cannot be forged): the
///   check (`ManifestSignature.verify`, which `ArtifactTrust.verify` runs with swift-crypto's ed25519)
///   asks the ed25519 arithmetic only about a parsed 64-byte signature, the pinned key and exactly the
///   manifest's bytes, once per pinned key, and only after the file parsed. Here the arithmetic says no,
///   as it must for that key, so the target builds without swift-crypto; StorageTests' signature tests
///   run the real one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    do {
        let manifest = try Manifest.decode(bytes, file: "manifest.json")
        require(manifest.formatVersion == Manifest.supportedFormatVersion, "format \(manifest.formatVersion) accepted")
        require(manifest.target.name == Manifest.baselineTarget, "target \(manifest.target.name) accepted")
        require(manifest.features.priceFeatures.isEmpty, "price features accepted")
        let response = manifest.priceResponse
        require(response.form == Manifest.logQuadraticForm && (1...100_000).contains(response.draws)
                && (2...100_000).contains(response.decision.gridPoints)
                && (0...1).contains(response.decision.minProbabilityOfGain) && response.decision.minExpectedGain.isFinite,
                "price response \(response) accepted")
    } catch {
        requireRefusal(error, "Manifest.decode")
    }
    do {
        let list = try ManifestFileList(bytes: bytes, file: "manifest.json")
        for file in list.files {
            let parts = file.name.split(separator: "/", omittingEmptySubsequences: false)
            require(!file.name.hasPrefix("/") && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
                    && !file.name.contains("\\") && !file.name.unicodeScalars.contains { $0.value < 0x20 }
                    && file.name != "manifest.json",
                    "file name \(file.name.debugDescription) would leave the version folder")
            require(file.bytes >= 0 && file.sha256.utf8.count == 64, "entry \(file) accepted")
        }
        require(list.files.map(\.name) == list.files.map(\.name).sorted(), "files not sorted by name")
    } catch {
        requireRefusal(error, "ManifestFileList")
    }
    let manifest = Array("{}".utf8)
    var asked = 0
    do {
        // The pinned key's private half was thrown away when it was made: nothing can sign for it.
        try ManifestSignature.verify(manifest: manifest, signature: bytes, file: "manifest.json", pinnedKeys: [unforgeable],
                                     allowUnsigned: false) { signature, key, message in
            asked += 1
            require(signature.count == 64 && key == unforgeable && message == manifest,
                    "ed25519 asked about a \(signature.count)-byte signature, key \(key), a \(message.count)-byte message")
            return false
        }
        require(false, "a signature verified against a key whose private half nobody has")
    } catch {
        switch error.problem {
        case .malformed, .unsupported:
            require(error.file == "manifest.json.sig" && asked == 0, "signature error names \(error.file), ed25519 asked \(asked) times")
        case .unpinnedKey, .manifestChanged:
            require(error.file == "manifest.json" && asked == 1, "signature error names \(error.file), ed25519 asked \(asked) times")
        default: require(false, "signature refused with \(error)")
        }
    }
    return 0
}

/// One ed25519 public key whose private key was discarded as soon as it was generated.
private let unforgeable: [UInt8] = [
    0x9e, 0xcd, 0x9a, 0x50, 0x9c, 0x10, 0xd7, 0xf4, 0x81, 0x26, 0xd8, 0xce, 0xc7, 0xc0, 0x36, 0xe5,
    0x47, 0xb8, 0xb7, 0xca, 0x05, 0xab, 0x08, 0x43, 0x7d, 0xe2, 0x27, 0x6c, 0xb0, 0x1f, 0x9a, 0x3a,
]

private func requireRefusal(_ error: ArtifactError, _ reader: String) {
    require(error.file == "manifest.json", "\(reader) error names \(error.file)")
    switch error.problem {
    case .malformed, .unsupported: break
    default: require(false, "\(reader) refused with \(error)")
    }
}
