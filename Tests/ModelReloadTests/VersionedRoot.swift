import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Storage
import TestSupport

/// A scratch models root holding the committed version and variants of it, for reload tests.
///
/// A variant is a copy of the committed version under a new name, optionally altered: its product
/// index can scale every product's historical price range, so the default price grid (and thus the
/// body of every default predict-price answer) tells which version answered.
struct VersionedRoot {
    let path: String
    let baseVersion: String

    init() throws {
        path = NSTemporaryDirectory() + "pricing-reload-" + UUID().uuidString
        let source = try CommittedModels.versionPath()
        baseVersion = (source as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: path + "/" + baseVersion)
        try setLatest(baseVersion)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func setLatest(_ version: String) throws {
        try Data((version + "\n").utf8).write(to: URL(fileURLWithPath: path + "/LATEST.tmp"))
        // rename(2) replaces LATEST atomically, as a publisher must: a reader sees the old or the new name.
        guard rename(path + "/LATEST.tmp", path + "/LATEST") == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// A copy of the base version named `name`; `edit` may damage or alter it.
    @discardableResult
    func variant(_ name: String, priceScale: Double? = nil, edit: (ScratchVersionEditor) throws -> Void = { _ in }) throws -> ScratchVersionEditor {
        let folder = path + "/" + name
        try FileManager.default.copyItem(atPath: path + "/" + baseVersion, toPath: folder)
        let editor = ScratchVersionEditor(path: folder)
        try editor.editManifest { $0["model_version"] = name }
        if let priceScale { try editor.scalePrices(priceScale) }
        try edit(editor)
        return editor
    }
}

/// Edits one version folder, keeping its manifest's checksums right unless told otherwise.
struct ScratchVersionEditor {
    let path: String

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))) }

    func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name)) }

    /// Replaces a file and records its new size and sha256 in the manifest.
    func replaceSigned(_ name: String, _ bytes: [UInt8]) throws {
        try write(name, bytes)
        try editManifest { manifest in
            var files = manifest["files"] as! [String: Any]
            files[name] = ["sha256": sha256Hex(bytes), "bytes": bytes.count]
            manifest["files"] = files
        }
    }

    func editManifest(_ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(read("manifest.json"))) as! [String: Any]
        edit(&object)
        try write("manifest.json", [UInt8](try JSONSerialization.data(withJSONObject: object)))
    }

    /// Multiplies every product's historical min and max price by `factor` in the feature store index.
    func scalePrices(_ factor: Double) throws {
        let name = "features/products.json.gz"
        var index = try JSONSerialization.jsonObject(with: Data(try Gzip.decompress(read(name), file: name))) as! [String: Any]
        index["products"] = (index["products"] as! [[String: Any]]).map { product in
            var product = product
            var price = product["price"] as! [String: Any]
            price["min"] = (price["min"] as! Double) * factor
            price["max"] = (price["max"] as! Double) * factor
            product["price"] = price
            return product
        }
        try replaceSigned(name, Gzip.compress([UInt8](try JSONSerialization.data(withJSONObject: index))))
    }
}
