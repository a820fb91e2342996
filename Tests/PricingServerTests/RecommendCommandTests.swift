import Foundation
import TestSupport
import XCTest

/// `pricing-server recommend`, run as a real process on the committed models: a catalogue file in,
/// CSV and JSON out, bad lines reported with their line and column, the CSV read by Python's csv
/// module and pandas.
final class RecommendCommandTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recommend-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func run(_ executable: URL, _ arguments: [String]) throws -> CommandResult {
        try CommandResult.run(executable, arguments)
    }

    func server(_ arguments: [String]) throws -> CommandResult {
        try run(ServerBinary.url(testBundle: Bundle(for: Self.self)), arguments)
    }

    /// A catalogue with good lines, a quoted stockcode, and one bad line of each kind.
    func writeCatalogue() throws -> String {
        let path = scratch.appendingPathComponent("shop.csv").path
        let text = """
        stockcode,current_price,unit_cost,floor,ceiling
        85123A,2.95,1.10,,
        "10027",,,2.50,3.20
        10036,,,,
        NOPE1,2.00,,,
        10080,abc,,,
        10120,,-1,,
        10123C,,,5,4

        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testCatalogueToCSVReadableByPythonAndPandas() throws {
        let catalogue = try writeCatalogue()
        let out = scratch.appendingPathComponent("prices.csv").path
        let r = try server(["recommend", "--models", CommittedModels.root, "--catalogue", catalogue, "--out", out, "--price-ending", ".x9"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for expected in ["line 5, column stockcode: unknown stockcode NOPE1", "line 6, column current_price: \"abc\" is not a number",
                         "line 7, column unit_cost", "line 8, column floor"] {
            XCTAssertTrue(r.stderr.contains(expected), "missing \(expected) in:\n\(r.stderr)")
        }
        XCTAssertTrue(r.stderr.contains("3 products"), r.stderr)
        let python = try run(URL(fileURLWithPath: CommittedModels.repositoryRoot + "/.venv/bin/python3"),
                             [CommittedModels.repositoryRoot + "/scripts/check_recommendations_csv.py", out])
        XCTAssertEqual(python.status, 0, python.stdout + python.stderr)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["stockcodes"] as? [String], ["85123A", "10027", "10036"])
        XCTAssertEqual((parsed["descriptions"] as? [String])?.first, "WHITE HANGING HEART T-LIGHT HOLDER")
    }

    func testJSONOutputOnlyChangesAndRules() throws {
        let out = scratch.appendingPathComponent("prices.json").path
        let rules = scratch.appendingPathComponent("rules.json").path
        try #"{"pricing_rules": {"max_change_pct": 10, "price_ending": ".99"}}"#.write(toFile: rules, atomically: true, encoding: .utf8)
        let r = try server(["recommend", "--models", CommittedModels.root, "--rules", rules, "--out", out, "--only-changes"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        XCTAssertEqual((doc["rules"] as? [String: Any])?["max_change_pct"] as? Double, 10)
        XCTAssertEqual((doc["rules"] as? [String: Any])?["price_ending"] as? String, ".99")
        let rows = try XCTUnwrap(doc["rows"] as? [[String: Any]])
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            XCTAssertEqual(row["decision"] as? String, "change")
            XCTAssertLessThanOrEqual(abs(try XCTUnwrap(row["change_pct"] as? Double)), 10.0001)
            let rule = try XCTUnwrap(row["binding_rule"] as? String)
            XCTAssertTrue(["model", "max_change", "price_ending", "evidence_limited", "insufficient_evidence"].contains(rule), rule)
        }
        let totals = try XCTUnwrap(doc["totals"] as? [String: Any])
        XCTAssertEqual(totals["changed"] as? Int, rows.count)
        let gain = try XCTUnwrap(totals["expected_gain"] as? Double)
        XCTAssertLessThanOrEqual(try XCTUnwrap(totals["gain_p10"] as? Double), gain)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(totals["gain_p90"] as? Double), gain)
    }

    func testUnusableInputIsAClearMessageAndANonZeroExit() throws {
        let bad = scratch.appendingPathComponent("bad.csv").path
        try "stockcode,price\n85123A,2\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--catalogue", bad], "bad.csv: line 1, column 2 (\"price\"): unknown column"),
            (["--catalogue", scratch.appendingPathComponent("missing.csv").path], "cannot be read"),
            (["--max-change-pct=-3"], "max_change_pct must be"),
            (["--price-ending", "99"], "price_ending must be"),
        ]
        for (arguments, message) in cases {
            let r = try server(["recommend", "--models", CommittedModels.root] + arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}
