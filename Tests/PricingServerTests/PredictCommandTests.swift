import Foundation
import TestSupport
import XCTest

/// `pricing-server predict`, run as a real process: the curve on success, a clear message and a
/// non-zero exit on bad input.
final class PredictCommandTests: XCTestCase {
    func run(_ arguments: [String]) throws -> CommandResult {
        try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)), arguments)
    }

    func testPrintsTheCurveAndTheDecision() throws {
        let r = try run(["predict", "85123A", "--models", CommittedModels.root, "--bins", "7", "--unit-cost", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("WHITE HANGING HEART T-LIGHT HOLDER"))
        XCTAssertEqual(r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("     ") || $0.hasPrefix("    ") }.count, 7)
        for text in ["units/wk", "sales/wk", "profit/wk", "Decision (maximizing profit per week)", "Current price:", "Recommended price:",
                     "Best price p*:", "Expected gain", "/week", "P(gain > 0):", "Elasticity at p0:", "Search range:"] {
            XCTAssertTrue(r.stdout.contains(text), "missing \(text):\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("keep_current") || r.stdout.contains("change"), r.stdout)
    }

    func testJSONOutput() throws {
        let r = try run(["predict", "85123A", "--models", CommittedModels.root, "--bins", "5", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let curve = try XCTUnwrap(doc["curve"] as? [[String: Any]])
        XCTAssertEqual(curve.count, 5)
        XCTAssertEqual(doc["model"] as? String, "mlp")
        XCTAssertNotNil(doc["baseline_units_per_week"] as? Double)
        let recommendation = try XCTUnwrap(doc["recommendation"] as? [String: Any])
        XCTAssertEqual(recommendation["objective"] as? String, "sales")
        for key in ["current_price", "recommended_price", "best_price", "decision", "decision_reason", "expected_gain", "expected_gain_pct",
                    "gain_p10", "gain_p90", "probability_of_gain", "best_price_p10", "best_price_p90", "elasticity", "elasticity_p10",
                    "elasticity_p90", "search_min", "search_max", "at_search_edge", "outside_support", "quantity", "predicted_sales"] {
            XCTAssertNotNil(recommendation[key], key)
        }
        XCTAssertEqual(recommendation["recommended_price"] as? Double, curve[0]["optimal_unit_price"] as? Double)
    }

    func testBadInputIsAClearMessageAndANonZeroExit() throws {
        let cases: [([String], String)] = [
            (["predict", "NOPE"], "unknown stockcode NOPE"),
            (["predict", "85123A", "--min", "3", "--max", "2"], "min price 3.0 is greater than max price 2.0"),
            (["predict", "85123A", "--bins", "1"], "between 2 and 1000, got 1"),
            (["predict", "85123A", "--bins", "1001"], "between 2 and 1000, got 1001"),
            (["predict", "85123A", "--bins", "many"], "'many' is invalid for '--bins <N>'"),
            (["predict", "85123A", "--min", "cheap"], "'cheap' is invalid for '--min <P>'"),
            (["predict", "85123A", "--min=-1"], "min price must be a number from 0.000001 to 1000000"),
            (["predict", "85123A", "--unit-cost=-2"], "unit cost must be a number from 0 to 1000000"),
            (["predict", "85123A", "--min", "1", "--max", "1e20", "--bins", "3"], "max price must be a number from 0.000001 to 1000000"),
            (["predict", "85123A", "--models", "/nonexistent/models"], "cannot load models from /nonexistent/models"),
        ]
        for (arguments, message) in cases {
            let r = try run(arguments + (arguments.contains("--models") ? [] : ["--models", CommittedModels.root]))
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
    }
}
