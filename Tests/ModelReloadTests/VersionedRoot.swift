import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ArtifactFormats
import TestSupport

/// A scratch models root holding the committed version and variants of it, for reload tests.
///
/// A variant is a copy of the committed version under a new name, optionally altered: its product
/// index can scale every product's historical price range, so the default price grid (the history
/// widened to the supported range; and thus the body of every default predict-price answer) tells
/// which version answered. The golden reference sweeps name their prices, so the variant still
/// passes its parity self-check.
struct VersionedRoot {
    let path: String
    let baseVersion: String

    init() throws {
        path = NSTemporaryDirectory() + "pricing-reload-" + UUID().uuidString
        baseVersion = (try CommittedModels.versionPath() as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = try ScratchVersion(at: path + "/" + baseVersion)
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
    func variant(_ name: String, priceScale: Double? = nil, edit: (ScratchVersion) throws -> Void = { _ in }) throws -> ScratchVersion {
        let version = try ScratchVersion(at: path + "/" + name)
        try version.editManifest { $0["model_version"] = name }
        if let priceScale { try version.scalePrices(priceScale) }
        try edit(version)
        return version
    }
}

extension ScratchVersion {
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
