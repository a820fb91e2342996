import ArtifactFormats
import Foundation
import Storage
import TestSupport
import XCTest

/// Loading a version verifies every file; each kind of damage is an error naming the file and the
/// problem, never a crash and never a partly loaded version.
final class ArtifactFolderTests: XCTestCase {
    var scratch: ScratchVersion!

    override func setUpWithError() throws { scratch = try ScratchVersion() }
    override func tearDown() { scratch.remove() }

    func loadError() -> ArtifactError? {
        do {
            _ = try ArtifactFolder.load(path: scratch.path)
            return nil
        } catch {
            return error
        }
    }

    func testCommittedVersionLoadsAndEveryFileIsVerified() throws {
        let folder = try ArtifactFolder.load(path: scratch.path)
        XCTAssertEqual(folder.manifest.formatVersion, 2)
        XCTAssertEqual(folder.manifest.target.name, "log_weekly_units_at_reference_price")
        XCTAssertEqual(folder.manifest.priceResponse.form, "log_quadratic")
        XCTAssertTrue(folder.manifest.features.priceFeatures.isEmpty)
        XCTAssertNotNil(folder.manifest.files[folder.manifest.priceResponse.file])
        XCTAssertEqual(folder.manifest.models.map(\.name), ["mlp", "lightgbm", "svr", "elasticnet"])
        for (name, entry) in folder.manifest.files {
            XCTAssertEqual(try folder.bytes(name).count, entry.bytes, name)
        }
    }

    func testModelsRootResolvesThroughLatest() throws {
        let version = try ArtifactFolder.resolveVersion(CommittedModels.root)
        XCTAssertTrue(version.hasSuffix("/" + (try CommittedModels.folder().manifest.modelVersion)))
    }

    func testMissingFile() throws {
        try FileManager.default.removeItem(atPath: scratch.path + "/golden.json")
        XCTAssertEqual(loadError(), ArtifactError(file: "golden.json", .missing))
        XCTAssertEqual(loadError()?.description, "golden.json: file is missing")
    }

    func testMissingModelFileDisablesOnlyThatModel() throws {
        try FileManager.default.removeItem(atPath: scratch.path + "/svr.safetensors")
        let folder = try ArtifactFolder.load(path: scratch.path)
        XCTAssertEqual(folder.modelFailures, ["svr.safetensors": ArtifactError(file: "svr.safetensors", .missing)])
        XCTAssertThrowsError(try folder.bytes("svr.safetensors"))
        XCTAssertNoThrow(try folder.bytes("lightgbm.txt"))
    }

    func testMissingManifest() throws {
        try FileManager.default.removeItem(atPath: scratch.path + "/manifest.json")
        XCTAssertEqual(loadError()?.file, scratch.path + "/manifest.json")
        XCTAssertEqual(loadError()?.problem, .missing)
    }

    func testTruncatedFile() throws {
        let bytes = try scratch.read("features/products.json.gz")
        try scratch.write("features/products.json.gz", Array(bytes.prefix(bytes.count - 100)))
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error, ArtifactError(file: "features/products.json.gz", .sizeMismatch(expected: bytes.count, actual: bytes.count - 100)))
        XCTAssertTrue(error.description.contains("features/products.json.gz") && error.description.contains("truncated"))
    }

    func testCorruptedFile() throws {
        var bytes = try scratch.read("golden.json")
        bytes[bytes.count / 2] ^= 0x55
        try scratch.write("golden.json", bytes)
        let error = try XCTUnwrap(loadError())
        guard case .checksumMismatch = error.problem else { return XCTFail("expected a checksum mismatch, got \(error)") }
        XCTAssertEqual(error.file, "golden.json")
    }

    func testDamagedModelFilesDisableOnlyThoseModels() throws {
        let network = try scratch.read("network.safetensors")
        try scratch.write("network.safetensors", Array(network.prefix(network.count - 100)))
        var text = try scratch.read("lightgbm.txt")
        text[text.count / 2] ^= 0x55
        try scratch.write("lightgbm.txt", text)
        let folder = try ArtifactFolder.load(path: scratch.path)
        XCTAssertEqual(folder.modelFailures["network.safetensors"],
                       ArtifactError(file: "network.safetensors", .sizeMismatch(expected: network.count, actual: network.count - 100)))
        guard case .checksumMismatch = folder.modelFailures["lightgbm.txt"]?.problem else { return XCTFail("lightgbm.txt") }
        XCTAssertEqual(folder.modelFailures.count, 2)
    }

    func testUnsupportedFormatVersion() throws {
        // A format-1 version (price features, log1p(quantity) target, no price response) is refused by
        // its version number, not as a manifest missing fields.
        try scratch.editManifest { m in
            m["format_version"] = 1
            m["price_response"] = nil
        }
        XCTAssertEqual(loadError(), ArtifactError(file: "manifest.json", .unsupported("format_version 1; this service reads 2")))
        XCTAssertEqual(loadError()?.description, "manifest.json: unsupported: format_version 1; this service reads 2")
        try scratch.editManifest { $0["format_version"] = 3 }
        XCTAssertEqual(loadError(), ArtifactError(file: "manifest.json", .unsupported("format_version 3; this service reads 2")))
    }

    func testFormatTwoInvariantsAreChecked() throws {
        try scratch.editManifest { m in
            var target = m["target"] as! [String: Any]
            target["name"] = "log1p_quantity"
            m["target"] = target
        }
        XCTAssertEqual(loadError(), ArtifactError(file: "manifest.json", .unsupported(
            "target log1p_quantity; this service reads log_weekly_units_at_reference_price")))
        try scratch.editManifest { m in
            var target = m["target"] as! [String: Any]
            target["name"] = "log_weekly_units_at_reference_price"
            m["target"] = target
            var response = m["price_response"] as! [String: Any]
            response["form"] = "isoelastic"
            m["price_response"] = response
        }
        XCTAssertEqual(loadError()?.problem, .unsupported("price_response.form isoelastic; this service computes log_quadratic"))
        try scratch.editManifest { m in
            var response = m["price_response"] as! [String: Any]
            response["form"] = "log_quadratic"
            response["draws"] = 0
            m["price_response"] = response
        }
        XCTAssertTrue(loadError()?.description.contains("price_response needs") == true, "\(String(describing: loadError()))")
        try scratch.editManifest { $0["price_response"] = nil }
        guard case .malformed(let why) = loadError()?.problem else { return XCTFail("\(String(describing: loadError()))") }
        XCTAssertTrue(why.contains("price_response") || why.contains("priceResponse"), why)
    }

    func testMissingPriceResponseFile() throws {
        try FileManager.default.removeItem(atPath: scratch.path + "/price_response.safetensors")
        XCTAssertEqual(loadError(), ArtifactError(file: "price_response.safetensors", .missing))
    }

    func testMalformedManifest() throws {
        try scratch.write("manifest.json", Array("{\"format_version\": 1,".utf8))
        let error = try XCTUnwrap(loadError())
        XCTAssertEqual(error.file, "manifest.json")
        guard case .malformed = error.problem else { return XCTFail("\(error)") }
    }

    func testPathEscapingTheFolderIsRefused() throws {
        try scratch.editManifest { m in
            var files = m["files"] as! [String: Any]
            files["../outside"] = ["sha256": String(repeating: "0", count: 64), "bytes": 1]
            m["files"] = files
        }
        XCTAssertEqual(loadError(), ArtifactError(file: "../outside", .malformed("path escapes the version folder")))
    }

    func testLatestNamingNothing() throws {
        let root = NSTemporaryDirectory() + "pricing-root-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("no-such-version\n".utf8).write(to: URL(fileURLWithPath: root + "/LATEST"))
        XCTAssertThrowsError(try ArtifactFolder.load(path: root)) { error in
            XCTAssertEqual((error as? ArtifactError)?.file, root + "/no-such-version/manifest.json")
        }
        XCTAssertThrowsError(try ArtifactFolder.load(path: root + "/nowhere")) { error in
            XCTAssertEqual((error as? ArtifactError)?.problem, .missing)
        }
    }
}
