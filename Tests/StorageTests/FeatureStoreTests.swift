import ArtifactFormats
import Foundation
import Storage
import TestSupport
import XCTest

final class FeatureStoreTests: XCTestCase {
    func testProductsAndContextRows() throws {
        let folder = try CommittedModels.folder()
        let store = try FeatureStore(folder: folder)
        XCTAssertEqual(store.products.count, folder.manifest.featureStore.products)
        XCTAssertEqual(store.products.map(\.stockcode), store.products.map(\.stockcode).sorted())
        let product = try XCTUnwrap(store.product("85123A"))
        XCTAssertEqual(product.description, "WHITE HANGING HEART T-LIGHT HOLDER")
        let rows = try XCTUnwrap(try store.contextRows(for: "85123A"))
        XCTAssertEqual(rows.count, product.rowCount)
        XCTAssertEqual(rows.values.count, rows.count * store.columns.count)
        XCTAssertGreaterThan(rows.count, 0)
        XCTAssertLessThanOrEqual(rows.count, folder.manifest.featureStore.rowsPerProduct)
        XCTAssertEqual(store.columns, folder.manifest.featureStore.columns)
        XCTAssertEqual(store.index(of: "85123A").map { store.products[$0].stockcode }, "85123A")
        XCTAssertNil(store.index(of: "NOPE"))
        XCTAssertNil(try store.contextRows(for: "NOPE"))
    }

    func testCorruptedShardIsAnErrorNamingIt() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        let folder = try ArtifactFolder.load(path: scratch.path)
        let store = try FeatureStore(folder: folder)
        let product = try XCTUnwrap(store.product("85123A"))
        let shard = "features/context-" + String(format: "%03d", product.shard) + ".safetensors.gz"
        let bytes = try scratch.read(shard)
        try scratch.replaceSigned(shard, Array(bytes.prefix(bytes.count / 2)))
        let damaged = try FeatureStore(folder: ArtifactFolder.load(path: scratch.path))
        XCTAssertThrowsError(try damaged.contextRows(for: "85123A")) { error in
            XCTAssertEqual((error as? ArtifactError)?.file, shard)
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testIndexPointingFarOutsideTheShardIsAnErrorNotATrap() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        let name = "features/products.json.gz"
        var index = try JSONSerialization.jsonObject(with: Data(Gzip.decompress(scratch.read(name), file: name))) as! [String: Any]
        var products = index["products"] as! [[String: Any]]
        let i = products.firstIndex { $0["stockcode"] as? String == "85123A" }!
        products[i]["row_offset"] = Int.max
        index["products"] = products
        try scratch.replaceSigned(name, Gzip.compress([UInt8](try JSONSerialization.data(withJSONObject: index))))
        XCTAssertThrowsError(try FeatureStore(folder: ArtifactFolder.load(path: scratch.path))) { error in
            XCTAssertEqual((error as? ArtifactError)?.file, name)
        }
    }

    func testGzipRejectsGarbage() {
        XCTAssertThrowsError(try Gzip.decompress([1, 2, 3, 4, 5], file: "x.gz")) { error in
            XCTAssertEqual((error as? ArtifactError)?.file, "x.gz")
        }
    }
}
