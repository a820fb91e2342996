import ArtifactFormats
import Foundation
import Storage
import TestSupport
import XCTest

/// A version loads only when manifest.json carries a signature by a pinned key; every other case is
/// refused with a message naming the cause and the version (real files, the committed version).
final class ArtifactSignatureTests: XCTestCase {
    var scratch: ScratchVersion!
    var version = ""

    override func setUpWithError() throws {
        scratch = try ScratchVersion()
        version = try CommittedModels.folder().manifest.modelVersion
    }
    override func tearDown() { scratch.remove() }

    func loadError(_ trust: ArtifactTrust = TestSigning.trust) -> ArtifactError? {
        do {
            _ = try ArtifactFolder.load(path: scratch.path, trust: trust)
            return nil
        } catch {
            return error
        }
    }

    func testCommittedVersionIsSignedByTheKeyConfigServerJSONPins() throws {
        XCTAssertFalse(TestSigning.committedKeys.isEmpty, "config/server.json pins no artifact_public_keys")
        let committedOnly = try ArtifactTrust(publicKeys: TestSigning.committedKeys)
        XCTAssertNoThrow(try ArtifactFolder.load(path: CommittedModels.root, trust: committedOnly))
    }

    func testFlippedByteInTheManifestIsAChangedManifest() throws {
        var manifest = try scratch.read("manifest.json")
        let at = manifest.lastIndex(of: UInt8(ascii: "0"))!  // a digit inside some value: still valid JSON
        manifest[at] = UInt8(ascii: "1")
        try scratch.write("manifest.json", manifest)
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error.problem, .manifestChanged(version: version))
        XCTAssertTrue(error.description.contains("manifest changed"), error.description)
        XCTAssertTrue(error.description.contains(version), error.description)
    }

    func testFlippedByteInAnArtifactFileFailsItsChecksum() throws {
        var golden = try scratch.read("golden.json")
        golden[golden.count / 2] ^= 0x01
        try scratch.write("golden.json", golden)
        let error = try XCTUnwrap(loadError())
        guard case .checksumMismatch = error.problem else { return XCTFail("\(error)") }
        XCTAssertEqual(error.file, "golden.json")
    }

    func testUnsignedVersionIsRefusedUnlessExplicitlyAllowed() throws {
        try FileManager.default.removeItem(atPath: scratch.path + "/" + ManifestSignature.fileName)
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error.problem, .unsigned(version: version))
        XCTAssertTrue(error.description.contains("is unsigned"), error.description)
        XCTAssertNoThrow(try ArtifactFolder.load(path: scratch.path, trust: ArtifactTrust(publicKeys: [], allowUnsigned: true)))
    }

    func testSignatureByAKeyThatIsNotPinnedIsRefused() throws {
        try TestSigning.sign(folder: scratch.path, byStranger: true)
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error.problem, .unpinnedKey(version: version, key: TestSigning.strangerPublicKey))
        XCTAssertTrue(error.description.contains("does not match any pinned key"), error.description)
        // Allowing unsigned versions does not excuse a signature that fails.
        XCTAssertNotNil(loadError(try ArtifactTrust(publicKeys: TestSigning.publicKeys, allowUnsigned: true)))
    }

    func testRotationAcceptsEitherPinnedKey() throws {
        try TestSigning.sign(folder: scratch.path)
        XCTAssertNil(loadError(try ArtifactTrust(publicKeys: TestSigning.committedKeys + [TestSigning.publicKey])))
        XCTAssertEqual(loadError(try ArtifactTrust(publicKeys: TestSigning.committedKeys))?.problem,
                       .unpinnedKey(version: version, key: TestSigning.publicKey))
    }

    func testAPinnedKeyThatIsNotAKeyIsRefusedByName() {
        XCTAssertThrowsError(try ArtifactTrust(publicKeys: ["not-base64!"])) { error in
            XCTAssertTrue("\(error)".contains("not-base64!"), "\(error)")
        }
    }

    func testDamagedSignatureFileIsMalformed() throws {
        try scratch.write(ManifestSignature.fileName, Array("{\"algorithm\": \"rsa\"}".utf8))
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error.file, scratch.path + "/manifest.json.sig")
    }
}
