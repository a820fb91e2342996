import Foundation
import TestSupport
import XCTest

/// `pricing-server recommend` as a real process on a model version whose descriptions start like
/// spreadsheet formulas: its CSV, read by Python's csv module, has them behind a `'`, and its
/// numeric columns stay plain numbers (negative ones too).
final class RecommendSafeCSVCommandTests: XCTestCase {
    func testFormulaDescriptionsAreNeutralisedAndNumbersStayNumbers() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        let planted = try scratch.plantFormulaDescriptions()
        let folder = NSTemporaryDirectory() + "recommend-csv-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let catalogue = folder + "/shop.csv"
        // A ceiling below the current price, so every recommended change is negative whatever the model's evidence
        // says about a price far above the product's history.
        try ("stockcode,current_price,ceiling\n" + planted.keys.sorted().map { "\($0),100,90\n" }.joined())
            .write(toFile: catalogue, atomically: true, encoding: .utf8)
        let out = folder + "/recommendations.csv"
        let result = try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)),
                                           ["recommend", "--models", scratch.path, "--catalogue", catalogue, "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try FormulaCells.readWithPython(out)
        let header = try XCTUnwrap(rows.first)
        let stockcode = try XCTUnwrap(header.firstIndex(of: "stockcode"))
        let description = try XCTUnwrap(header.firstIndex(of: "description"))
        let change = try XCTUnwrap(header.firstIndex(of: "change_pct"))
        var seen: [String: String] = [:]
        for row in rows.dropFirst() {
            seen[row[stockcode]] = row[description]
            XCTAssertNotNil(Double(row[change]), "change_pct is not a plain number: \(row[change])")
        }
        XCTAssertEqual(seen, planted.mapValues { "'" + $0 })
        XCTAssertTrue(rows.dropFirst().contains { (Double($0[change]) ?? 0) < 0 }, "no negative change to check")
    }
}
