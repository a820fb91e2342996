@testable import ArtifactFormats
import Foundation
import TestSupport
import XCTest

/// The feature store index read with JSONScanner: the same records JSONDecoder reads from the
/// committed index, and clear errors for damaged ones.
final class FeatureStoreIndexTests: XCTestCase {
    private func read(_ json: String) throws(ArtifactError) -> FeatureStoreIndex {
        try FeatureStoreIndex(json: Array(json.utf8), file: "features/products.json.gz")
    }

    func testCommittedIndexReadsAsJSONDecoderReadsIt() throws {
        let folder = try CommittedModels.folder()
        let bytes = try Gzip.decompress(try folder.bytes(folder.manifest.featureStore.index), file: "index")
        let index = try FeatureStoreIndex(json: bytes, file: "index")
        struct Reference: Decodable { let columns: [String]; let shards: Int; let products: [ProductRecord] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let reference = try decoder.decode(Reference.self, from: Data(bytes))
        XCTAssertEqual(index.columns, reference.columns)
        XCTAssertEqual(index.shards, reference.shards)
        XCTAssertEqual(index.products.count, reference.products.count)
        XCTAssertEqual(index.products.count, folder.manifest.featureStore.products)
        for (a, b) in zip(index.products, reference.products) {
            XCTAssertEqual([a.stockcode, a.description, a.firstSold, a.lastSold], [b.stockcode, b.description, b.firstSold, b.lastSold])
            XCTAssertEqual([a.lines, a.shard, a.rowOffset, a.rowCount], [b.lines, b.shard, b.rowOffset, b.rowCount])
            XCTAssertEqual(a.price, b.price, "prices must be bit-identical (\(a.stockcode))")
        }
    }

    func testEscapesNumbersAndUnknownMembers() throws {
        let index = try read(#"""
        {"columns": ["a\u00e9", "b\"c\\d\/e\n"], "extra": {"nested": [1, -2.5e3, true, false, null, "x\u0041"]},
         "shards": 2, "products": [{"stockcode": "C\ud83d\ude00", "description": "ZINC \"HEART\"", "lines": 3,
         "price": {"min": 0.1, "p10": 1e-2, "median": -0, "mean": 2.5E+1, "p90": 3, "max": 4.000000000000001, "last": 1.7976931348623157e308, "n": 1},
         "first_sold": "2010-12-01", "last_sold": "2011-12-09", "shard": 1, "row_offset": 0, "row_count": 13, "support": [1, 2]}]}
        """#)
        XCTAssertEqual(index.columns, ["aé", "b\"c\\d/e\n"])
        XCTAssertEqual(index.shards, 2)
        let product = try XCTUnwrap(index.products.first)
        XCTAssertEqual(product.stockcode, "C😀")
        XCTAssertEqual(product.description, "ZINC \"HEART\"")
        XCTAssertEqual(product.price, PriceStats(min: 0.1, p10: 0.01, median: 0, mean: 25, p90: 3, max: 4.000000000000001,
                                                 last: 1.7976931348623157e308))
        XCTAssertEqual([product.lines, product.shard, product.rowOffset, product.rowCount], [3, 1, 0, 13])
    }

    func testDamagedIndexesNameTheFileAndWhatIsWrong() {
        let cases: [(String, String)] = [
            (#"{"columns": [], "shards": 1}"#, #"the index has no "products""#),
            (#"{"columns": [], "shards": 1.5, "products": []}"#, "expected an integer at byte 25"),
            (#"{"columns": [], "shards": 1, "products": [{"stockcode": "X"}]}"#, #"products[0] (X) has no "description""#),
            (#"{"columns": [], "shards": 1, "products": [}"#, "expected an object at byte 42"),
            (#"{"columns": ["a], "shards": 1}"#, "expected ',' or ']' in an array at byte 19"),
            (#"{"columns": [], "shards": 1, "products": []} x"#, "unexpected content after the document"),
            (#"{"columns": [], "shards": 1, "products": [], "#, "unexpected end of the document at byte 45"),
            (#"{"columns": ["\x"], "shards": 1, "products": []}"#, #"a bad escape \x"#),
            (#"{"columns": [], "shards": 99999999999999999999, "products": []}"#, "an integer out of range"),
            ("", "unexpected end of the document"),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try read(json), json) { error in
                let description = "\(error)"
                XCTAssertTrue(description.hasPrefix("features/products.json.gz: malformed: "), description)
                XCTAssertTrue(description.contains(expected), "\(expected) not in: \(description)")
            }
        }
    }
}
