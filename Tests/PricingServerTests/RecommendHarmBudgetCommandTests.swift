import Foundation
import TestSupport
import XCTest

/// `pricing-server recommend --harm-budget X --harm-budget-spread Y`, run as a real process on the committed
/// models: the flags give the run of a `--rules` file with the same values (overriding the file's own), a run
/// that differs from the one without a budget, and a refused value names its flag.
final class RecommendHarmBudgetCommandTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recommend-budget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func server(_ arguments: [String]) throws -> CommandResult {
        try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)), arguments)
    }

    func rulesFile(_ name: String, _ json: String) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The JSON run of `arguments`: its rules and each product's (price, binding rule) by stockcode.
    func run(_ name: String, _ arguments: [String]) throws -> (rules: [String: Any], rows: [String: String]) {
        let out = scratch.appendingPathComponent("\(name).json").path
        let r = try server(["recommend", "--models", CommittedModels.root, "--out", out] + arguments)
        XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        var rows: [String: String] = [:]
        for row in try XCTUnwrap(doc["rows"] as? [[String: Any]], name) {
            let code = try XCTUnwrap(row["stockcode"] as? String)
            rows[code] = "\(try XCTUnwrap(row["recommended_price"] as? Double)) \(try XCTUnwrap(row["binding_rule"] as? String))"
        }
        return (try XCTUnwrap(doc["rules"] as? [String: Any], name), rows)
    }

    func testTheFlagsSetTheBudgetAsARulesFileDoes() throws {
        // An explicit rules file everywhere, so config/server.json (if the working folder has one) plays no part.
        let plain = try rulesFile("plain.json", #"{"pricing_rules": {}}"#)
        let budgeted = try rulesFile("budget.json", #"{"pricing_rules": {"harm_budget": 0.002, "harm_budget_spread": 2}}"#)
        let other = try rulesFile("other.json", #"{"pricing_rules": {"harm_budget": 0.5, "harm_budget_spread": 5}}"#)

        let none = try run("none", ["--rules", plain])
        let flags = try run("flags", ["--rules", plain, "--harm-budget", "0.002", "--harm-budget-spread", "2"])
        let file = try run("file", ["--rules", budgeted])
        let overridden = try run("overridden", ["--rules", other, "--harm-budget", "0.002", "--harm-budget-spread", "2"])

        XCTAssertEqual(flags.rules["harm_budget"] as? Double, 0.002)
        XCTAssertEqual(flags.rules["harm_budget_spread"] as? Double, 2)
        XCTAssertTrue(none.rules["harm_budget"] is NSNull, "no budget: \(none.rules)")
        XCTAssertEqual(flags.rows.count, none.rows.count)
        XCTAssertGreaterThan(flags.rows.count, 1000)
        XCTAssertNotEqual(flags.rows, none.rows, "the budget changes the run")
        XCTAssertTrue(flags.rows.values.contains { $0.hasSuffix(" harm_budget") })
        XCTAssertEqual(flags.rows, file.rows, "the flags give the rules file's run")
        XCTAssertEqual(overridden.rows, file.rows, "the flags override the file's values")
        XCTAssertEqual(overridden.rules["harm_budget_spread"] as? Double, 2)
    }

    func testARefusedValueNamesItsFlag() throws {
        let cases: [([String], String)] = [
            (["--harm-budget", "1.5"], "--harm-budget: harm_budget must be a number from 0 to 1"),
            (["--harm-budget", "abc"], "--harm-budget: harm_budget must be a number"),
            (["--harm-budget", "0.002", "--harm-budget-spread", "0.5"], "--harm-budget-spread: harm_budget_spread must be a number from 1 to 10"),
        ]
        for (arguments, message) in cases {
            let r = try server(["recommend", "--models", CommittedModels.root] + arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}
