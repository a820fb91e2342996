public import Foundation
public import Storage

/// Paths of the repository's committed artifact set, which the tests run against.
public enum CommittedModels {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// models/ (has LATEST), or $PRICING_TEST_MODELS when set (to test another artifact set).
    public static var root: String {
        ProcessInfo.processInfo.environment["PRICING_TEST_MODELS"] ?? repositoryRoot + "/models"
    }

    /// The version folder LATEST names.
    public static func versionPath() throws -> String { try ArtifactFolder.resolveVersion(root) }

    public static func folder() throws -> ArtifactFolder { try ArtifactFolder.load(path: root) }
}

/// A scratch copy of the committed version that a test may damage, removed by `remove()`.
public struct ScratchVersion {
    public let path: String

    /// Copies the committed version to `path` (default: a fresh temporary folder).
    public init(at path: String = NSTemporaryDirectory() + "pricing-test-" + UUID().uuidString) throws {
        try FileManager.default.copyItem(atPath: try CommittedModels.versionPath(), toPath: path)
        self.path = path
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    public func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))) }

    public func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    /// Writes `bytes` to `name` and records its new size and sha256 in manifest.json, so that the
    /// damage reaches the parser instead of stopping at the checksum.
    public func replaceSigned(_ name: String, _ bytes: [UInt8]) throws {
        try write(name, bytes)
        try editManifest { manifest in
            var files = manifest["files"] as! [String: Any]
            files[name] = ["sha256": sha256Hex(bytes), "bytes": bytes.count]
            manifest["files"] = files
        }
    }

    /// Applies `edit` to one entry of the first reference sweep in golden.json (e.g. "decision", or
    /// "models" for the per-model curves) and re-signs the file, so the change reaches the parity check.
    public func editFirstGoldenSweep(_ key: String, _ edit: (inout [String: Any]) -> Void) throws {
        var golden = try JSONSerialization.jsonObject(with: Data(read("golden.json"))) as! [String: Any]
        var sweeps = golden["sweeps"] as! [[String: Any]]
        var entry = sweeps[0][key] as! [String: Any]
        edit(&entry)
        sweeps[0][key] = entry
        golden["sweeps"] = sweeps
        try replaceSigned("golden.json", [UInt8](try JSONSerialization.data(withJSONObject: golden)))
    }

    /// Scales one model's reference quantities in the first golden sweep, so that model no longer
    /// agrees with the training pipeline and fails its parity self-check.
    public func scaleGoldenQuantities(of model: String, by factor: Double) throws {
        try editFirstGoldenSweep("models") { models in
            var curve = models[model] as! [String: Any]
            curve["quantity"] = (curve["quantity"] as! [Double]).map { $0 * factor }
            models[model] = curve
        }
    }

    /// Applies `edit` to manifest.json's JSON object and signs the new manifest with the test
    /// process's key (``TestSigning``), so the change reaches the checks after the signature's.
    public func editManifest(_ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(read("manifest.json"))) as! [String: Any]
        edit(&object)
        try write("manifest.json", [UInt8](try JSONSerialization.data(withJSONObject: object)))
        try TestSigning.sign(folder: path)
    }
}

/// The `pricing-server` executable built with the tests.
public enum ServerBinary {
    public static func url(testBundle: Bundle) throws -> URL {
        let bundle = testBundle.bundleURL
        let candidates = [
            bundle.deletingLastPathComponent().appendingPathComponent("pricing-server"),
            bundle.appendingPathComponent("pricing-server"),
            URL(fileURLWithPath: CommittedModels.repositoryRoot + "/.build/debug/pricing-server"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.map(\.path).joined(separator: ", ")])
        }
        return found
    }
}
